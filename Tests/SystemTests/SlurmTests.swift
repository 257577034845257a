import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// scripts/slurm/mnist-mpi.sbatch on a real Slurm cluster (Debian's slurm-wlm and munge,
/// started by scripts/slurm/cluster.sh): on one node a whole job, a preempted job that requeues
/// and resumes, and `srun` without PMI refused with a clear message; a job across two emulated
/// hosts, and jobs there that lose a host's ranks or its link and complete all the same.
@Suite(.serialized) struct SlurmTests {
    let cluster = Fixtures.temporaryDirectory()
    var environment: [String: String] { ["SLURM_CONF": "\(cluster)/slurm.conf"] }

    func slurm(
        _ command: String, _ arguments: [String], timeout: Double = 60,
        extra: [String: String] = [:]
    ) throws -> Fixtures.Output {
        let environment = environment.merging(extra) { $1 }
        // A cluster of emulated hosts (cluster.sh --hosts writes their names to hosts) is
        // reached from h1's network.
        guard FileManager.default.fileExists(atPath: "\(cluster)/hosts") else {
            return try Fixtures.run("/usr/bin/\(command)", arguments, timeout: timeout, environment: environment)
        }
        return try Fixtures.run(
            "/usr/sbin/ip", ["netns", "exec", "mnist-h1", "/usr/bin/\(command)"] + arguments, timeout: timeout, environment: environment)
    }

    /// `scontrol show job` fields, e.g. `JobState`, `Restarts`, `ExitCode`.
    func job(_ id: String) throws -> [String: String] {
        let text = try slurm("scontrol", ["show", "job", id]).stdout
        var fields: [String: String] = [:]
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = token.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }

    func waitForState(_ id: String, _ wanted: Set<String>, timeout: Double) throws -> [String: String] {
        let start = Date()
        while true {
            let fields = try job(id)
            if let state = fields["JobState"], wanted.contains(state) { return fields }
            if Date().timeIntervalSince(start) > timeout { return fields }
            usleep(200_000)
        }
    }

    func submit(_ out: String, checkpoints: String, _ flags: [String]) throws -> String {
        let result = try slurm(
            "sbatch",
            [
                "--parsable", "--ntasks=2", "--output=\(out)", "--chdir=\(Fixtures.repo)",
                "\(Fixtures.repo)/scripts/slurm/mnist-mpi.sbatch",
            ] + flags,
            extra: ["CHECKPOINT_DIR": checkpoints])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` with the emulated hosts h1 and h2 up (scripts/netns/hosts.sh, whose path it
    /// is given) and a slurmd on each, and takes them down after.
    func onTwoEmulatedHosts(_ body: (_ hosts: String) throws -> Void) throws {
        let hosts = "\(Fixtures.repo)/scripts/netns/hosts.sh"
        let network = try Fixtures.run(hosts, ["up", "2"])
        defer { _ = try? Fixtures.run(hosts, ["down"]) }
        try #require(network.status == 0, "\(network.stderr)")
        let up = try Fixtures.run("\(Fixtures.repo)/scripts/slurm/cluster.sh", ["up", cluster, "--hosts", "2"], timeout: 90)
        defer { _ = try? Fixtures.run("\(Fixtures.repo)/scripts/slurm/cluster.sh", ["down", cluster]) }
        try #require(up.status == 0, "the Slurm cluster did not start: \(up.stdout)\(up.stderr)")
        try body(hosts)
    }

    /// For the batch script's mpirun across the emulated hosts: their link is the only way
    /// between them; each host's ranks on its own core.
    static let mpirunAcrossHosts =
        "--bind-to none --mca btl tcp,self,vader --mca btl_tcp_if_include 10.231.0.0/24 --mca oob_tcp_if_include 10.231.0.0/24"

    /// Submits the batch script as `sbatch -N 2 --ntasks-per-node=2` with its output in
    /// `dir`/job.out and the test data; returns the job's id.
    func submitAcrossHosts(dir: String, _ flags: [String], extra: [String: String]) throws -> String {
        let submitted = try slurm(
            "sbatch",
            [
                "--parsable", "-N", "2", "--ntasks-per-node=2", "--output=\(dir)/job.out", "--chdir=\(Fixtures.repo)",
                "\(Fixtures.repo)/scripts/slurm/mnist-mpi.sbatch", "--data-dir", Fixtures.dataDirectory,
            ] + flags,
            extra: extra)
        try #require(submitted.status == 0, "\(submitted.stderr)")
        return submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The processes whose command line contains `pattern` and that run as emulated host
    /// `host` (their UTS namespace's hostname), with their command names.
    func processes(_ pattern: String, on host: String) throws -> [(pid: pid_t, command: String)] {
        let found = try Fixtures.run(
            "/bin/sh",
            [
                "-c",
                "for p in $(pgrep -f '\(pattern)'); do [ \"$(nsenter -t $p -u hostname)\" = \(host) ] && echo $p $(cat /proc/$p/comm); done",
            ])
        return found.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard fields.count == 2, let pid = pid_t(fields[0]) else { return nil }
            return (pid, fields[1])
        }
    }

    @Test func batchJobsRunRequeueAndResume() throws {
        let up = try Fixtures.run("\(Fixtures.repo)/scripts/slurm/cluster.sh", ["up", cluster], timeout: 90)
        defer { _ = try? Fixtures.run("\(Fixtures.repo)/scripts/slurm/cluster.sh", ["down", cluster]) }
        try #require(up.status == 0, "the Slurm cluster did not start: \(up.stdout)\(up.stderr)")
        let data = ["--data-dir", Fixtures.dataDirectory]

        // 1. A whole job: completes, exit code 0, the tutorial's output in the job's file.
        let dir = Fixtures.temporaryDirectory()
        let first = try submit("\(dir)/whole.out", checkpoints: "\(dir)/ck-whole", data + ["--epochs", "1"])
        let done = try waitForState(first, ["COMPLETED", "FAILED", "CANCELLED"], timeout: 120)
        let whole = Fixtures.text("\(dir)/whole.out")
        #expect(done["JobState"] == "COMPLETED" && done["ExitCode"] == "0:0", "\(done)\n\(whole)")
        #expect(whole.contains("Training on 60000 samples: 2 rank(s)"))
        #expect(whole.contains("Test accuracy: 0.9"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/ck-whole").contains("checkpoint-00000469.safetensors"))

        // 2. Preempted after its first checkpoint: SIGTERM to the batch script, which requeues;
        //    the requeued job resumes from the checkpoint and completes.
        let second = try submit("\(dir)/preempted.out", checkpoints: "\(dir)/ck", data + ["--epochs", "3"])
        #expect(Fixtures.waitFor("\(dir)/ck/checkpoint-00000469.safetensors", timeout: 120))
        #expect(try slurm("scancel", ["--signal=TERM", "--batch", second]).status == 0)
        let requeued = try waitForState(second, ["PENDING"], timeout: 60)
        #expect(requeued["Restarts"] == "1", "\(requeued)")
        // Slurm holds a requeued job until the old credentials expire (cred_expire=10 here).
        let resumed = try waitForState(second, ["COMPLETED", "FAILED", "CANCELLED"], timeout: 180)
        let log = Fixtures.text("\(dir)/preempted.out")
        #expect(resumed["JobState"] == "COMPLETED" && resumed["ExitCode"] == "0:0", "\(resumed)\n\(log)")
        #expect(log.contains("stopped by SIGTERM"), "\(log)")
        #expect(log.contains("requeueing job \(second)"))
        #expect(log.contains("(restart 1)"))
        #expect(log.contains("Resuming from the checkpoint at step"))
        #expect(log.contains("Epoch 3/3"))
        #expect(log.contains("Test accuracy: 0.9"))

        // 3. srun without PMI: every task would be rank 0 of 1; each says so and fails.
        let srun = try slurm("srun", ["-n", "2", Fixtures.releaseBinary] + data, timeout: 60)
        #expect(srun.status != 0)
        let message = "Slurm started 2 tasks that each see an MPI world of 1 (srun without PMI support)"
        #expect(srun.stderr.components(separatedBy: message).count == 3, "\(srun.stderr)")
    }

    /// Across two emulated hosts (scripts/netns), a slurmd on each: `srun --mpi=pmix` starts
    /// every rank itself, and the batch script, submitted with `sbatch -N 2`, runs the job
    /// through srun (its choice where Slurm offers PMIx) and through mpirun (asked for), which
    /// starts the second host's ranks through Slurm. Every way the ranks span the hosts and run
    /// a reduction across them, hierarchical or factored as auto chose.
    @Test func jobsSpanHostsThroughSrunAndMpirun() throws {
        try onTwoEmulatedHosts { _ in try spanHosts() }
    }

    private func spanHosts() throws {
        let line = /Reduction: (hierarchical|factored) \(auto: [^)]*\), 2 hosts x 2 rank\(s\)/
        let direct = try slurm(
            "srun",
            [
                "--mpi=pmix", "-N", "2", "--ntasks-per-node=2", Fixtures.releaseBinary, "--data-dir", Fixtures.dataDirectory, "--max-steps",
                "30",
            ],
            timeout: 120)
        #expect(direct.status == 0 && direct.stdout.contains(line), "\(direct.stdout)\(direct.stderr)")
        for launcher in ["", "mpirun"] {
            let dir = Fixtures.temporaryDirectory()
            let id = try submitAcrossHosts(
                dir: dir, ["--max-steps", "30", "--history", "\(dir)/h.json"],
                extra: ["CHECKPOINT_DIR": "\(dir)/ck", "MNIST_MPI_LAUNCHER": launcher, "MPIRUN_FLAGS": Self.mpirunAcrossHosts])
            let done = try waitForState(id, ["COMPLETED", "FAILED", "CANCELLED"], timeout: 180)
            let log = Fixtures.text("\(dir)/job.out")
            #expect(done["JobState"] == "COMPLETED" && done["ExitCode"] == "0:0", "\(done)\n\(log)")
            #expect(log.contains("on h[1-2], 4 tasks through \(launcher.isEmpty ? "srun" : launcher)"), "\(log)")
            #expect(log.contains("Training on 60000 samples: 4 rank(s)") && log.contains(line), "\(log)")
            #expect(Fixtures.text("\(dir)/h.json").contains(/"reduction":"(hierarchical|factored)"/), "\(Fixtures.text("\(dir)/h.json"))")
        }
    }

    /// The batch script relaunches a job inside its allocation: on two emulated hosts, a
    /// 5-epoch job checkpointing every 100 steps loses (a) every rank of host 2, killed in epoch
    /// 2, and completes on both hosts, launched by srun and by mpirun; then (b) host 2's link,
    /// cut in epoch 2, and completes on host 1 alone. Each prints how long it took from the
    /// failure to training again.
    @Test func jobsRecoverInsideTheirAllocation() throws {
        try onTwoEmulatedHosts { hosts in try recover(hosts: hosts) }
    }

    private func recover(hosts: String) throws {
        let mpirun = ["MNIST_MPI_LAUNCHER": "mpirun", "MPIRUN_FLAGS": Self.mpirunAcrossHosts]
        for (failure, launcher) in [("ranks of h2 killed", [:]), ("ranks of h2 killed", mpirun), ("link of h2 cut", [:])] {
            let dir = Fixtures.temporaryDirectory()
            let id = try submitAcrossHosts(
                dir: dir, ["--checkpoint-every", "100", "--peer-timeout", "5"],
                extra: ["CHECKPOINT_DIR": "\(dir)/ck"].merging(launcher) { $1 })
            // Epoch 2 is steps 470-938.
            try #require(
                Fixtures.waitFor("\(dir)/ck/checkpoint-00000600.safetensors", timeout: 120), "\(Fixtures.text("\(dir)/job.out"))")
            if failure.hasPrefix("ranks") {
                // The ranks on h2 (not srun or mpirun, whose command lines name them too).
                let ranks = try processes("mnist-mpi --checkpoint-dir \(dir)/ck", on: "h2").filter {
                    !["srun", "mpirun"].contains($0.command)
                }
                let killed = ranks.filter { kill($0.pid, SIGKILL) == 0 }
                #expect(killed.count == 2, "\(ranks)")
            } else {
                #expect(try Fixtures.run(hosts, ["cut", "h2"]).status == 0)
            }
            let failed = Date()
            // What a relaunch can lose: the steps after the newest checkpoint at the failure.
            let newestAtFailure = try CheckpointStore(directory: "\(dir)/ck").steps().first ?? 0
            // Training again: the relaunch's Reduction line, printed before its first step.
            let log = "\(dir)/job.out"
            var recovered: Double?
            while recovered == nil && Date().timeIntervalSince(failed) < 240 {
                if Fixtures.text(log).components(separatedBy: "Reduction: ").count == 3 { recovered = Date().timeIntervalSince(failed) }
                usleep(100_000)
            }
            let done = try waitForState(id, ["COMPLETED", "FAILED", "CANCELLED"], timeout: 240)
            let text = Fixtures.text(log)
            #expect(done["JobState"] == "COMPLETED" && done["ExitCode"] == "0:0", "\(done)\n\(text)")
            #expect(text.contains("restart 1 of 2") && text.contains("Resuming from the checkpoint at step"), "\(text)")
            #expect(text.contains("tasks through \(launcher["MNIST_MPI_LAUNCHER"] ?? "srun")"), "\(text)")
            let resumed = text.firstMatch(of: /Resuming from the checkpoint at step ([0-9]+)/).map { String($0.1) } ?? "?"
            if failure.hasPrefix("ranks") {
                #expect(text.contains("relaunching on h1 h2 (2 2 tasks)"), "\(text)")
                let accuracy = text.firstMatch(of: /Test accuracy: ([0-9.]+)/).flatMap { Double($0.1) } ?? 0
                #expect(accuracy >= 0.975, "\(text)")
            } else {
                #expect(text.contains("node h2 does not answer; leaving it out") && text.contains("relaunching on h1 (2 tasks)"), "\(text)")
                #expect(text.contains("2 ranks on one host") && text.contains("Test accuracy: 0.9"), "\(text)")
            }
            // Nothing of the job is left on host 1.
            let left = try processes("\(dir)/ck", on: "h1")
            #expect(left.isEmpty, "left running on h1: \(left)")
            print(
                "recovery (\(failure), \(launcher["MNIST_MPI_LAUNCHER"] ?? "srun")): training again \(recovered.map { String(format: "%.1f", $0) } ?? "never") s after the failure, from step \(resumed) (the newest checkpoint at the failure: step \(newestAtFailure), the next due 100 steps later)"
            )
        }
    }
}
