import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// Test hosts made of network namespaces on a bridge (scripts/netns), each with its own
/// hostname and /dev/shm, OpenMPI launched across them with a launch agent that enters the
/// host, shared memory on a host and TCP between hosts. Needs root, as CI has.
@Suite(.serialized) struct MultiHostTests {
    static let scripts = "\(Fixtures.repo)/scripts/netns"

    init() throws {
        let up = try Fixtures.run("\(Self.scripts)/hosts.sh", ["up", "2"], timeout: 30)
        try #require(up.status == 0, "cannot make the test hosts (root and iproute2 needed): \(up.stderr)")
    }

    /// Starts `np` ranks, `perHost` a host, with `mpirunFlags`, over the test hosts.
    func acrossHosts(
        _ arguments: [String], dir: String, np: Int = 2, perHost: Int = 1, mpirunFlags: [String] = [],
        environment: [String: String] = [:]
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(Self.scripts)/mpirun.sh")
        process.environment = ProcessInfo.processInfo.environment.merging(["RANKS_PER_HOST": "\(perHost)"].merging(environment) { $1 }) {
            $1
        }
        process.arguments =
            ["-np", "\(np)"] + mpirunFlags + environment.keys.flatMap { ["-x", $0] }
            + [Fixtures.releaseBinary] + (arguments.first == "plan" ? [] : ["--data-dir", Fixtures.dataDirectory]) + arguments
        FileManager.default.createFile(atPath: dir + "/stdout", contents: nil)
        FileManager.default.createFile(atPath: dir + "/stderr", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stderr"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func trainingAcrossHostsEqualsLocalRanks() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let flags = ["--no-shuffle", "--max-steps", "30", "--save"]
        let remote = try acrossHosts(flags + ["\(dir)/hosts.safetensors", "--reduction", "hierarchical"], dir: dir)
        let (status, _) = Fixtures.wait(remote, timeout: 120)
        #expect(status == 0, "\(Fixtures.text(dir + "/stderr"))")
        let local = try Fixtures.mpirun(2, ["--data-dir", Fixtures.dataDirectory] + flags + ["\(dir)/local.safetensors"])
        #expect(local.status == 0)
        // Rank 0 says how the gradients are summed, and across hosts what that sends.
        let link = "Reduction: hierarchical, 2 hosts x 1 rank(s): 1.63 MB each way over each host's link a step (float32)"
        #expect(Fixtures.text(dir + "/stdout").contains(link), "\(Fixtures.text(dir + "/stdout"))")
        // auto on one host: shared memory, with the model's prediction and runner-up.
        #expect(
            local.stdout.contains(
                /Reduction: shared-memory \(auto: predicted [0-9.]+ ms a step; runner-up allreduce [0-9.]+ ms\), 2 ranks on one host/),
            "\(local.stdout)")
        // Two ranks: each gradient element is a + b whichever way it travels, so the bits agree.
        #expect(
            try ModelFile.load("\(dir)/hosts.safetensors", Architecture()).array
                == ModelFile.load("\(dir)/local.safetensors", Architecture()).array)
    }

    /// Hosts with different rank counts (2 and 1): the default sums with the flat allreduce and
    /// says why; asking for the hierarchy is one clear error.
    @Test func unevenHostsTrainFlatOrSayWhyNot() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let job = try acrossHosts(["--max-steps", "5"], dir: dir, np: 3, perHost: 2)
        let (status, _) = Fixtures.wait(job, timeout: 120)
        #expect(status == 0, "\(Fixtures.text(dir + "/stderr"))")
        let line = "Reduction: allreduce, 2 hosts of 1 to 2 ranks (hierarchical and factored need as many ranks on every host)"
        #expect(Fixtures.text(dir + "/stdout").contains(line), "\(Fixtures.text(dir + "/stdout"))")
        let asked = Fixtures.temporaryDirectory()
        let refused = try acrossHosts(["--max-steps", "5", "--reduction", "hierarchical"], dir: asked, np: 3, perHost: 2)
        let (refusedStatus, _) = Fixtures.wait(refused, timeout: 120)
        #expect(refusedStatus == 1)
        #expect(
            Fixtures.text(asked + "/stderr").contains(
                "mnist-mpi: error: --reduction hierarchical needs the same number of ranks on every node"),
            "\(Fixtures.text(asked + "/stderr"))")
    }

    /// Ranks on two hosts share no memory: `--reduction shared-memory` is one clear error.
    @Test func sharedMemoryNeedsOneNode() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let job = try acrossHosts(["--max-steps", "5", "--reduction", "shared-memory"], dir: dir)
        let (status, _) = Fixtures.wait(job, timeout: 120)
        #expect(status == 1)
        #expect(
            Fixtures.text(dir + "/stderr").contains(
                "mnist-mpi: error: --reduction shared-memory needs every rank on one node, and these ranks span several: use --reduction hierarchical, factored, allreduce or sharded"
            ),
            "\(Fixtures.text(dir + "/stderr"))")
    }

    @Test func cuttingAHostsLinkEndsTheJobWithinAMinute() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let ck = "\(dir)/ck"
        let job = try acrossHosts(["--epochs", "50", "--checkpoint-every", "20", "--checkpoint-dir", ck], dir: dir)
        try #require(
            Fixtures.waitFor(CheckpointStore(directory: ck).path(step: 20), timeout: 60),
            "no first checkpoint: \(Fixtures.text(dir + "/stderr"))")
        _ = try Fixtures.run("\(Self.scripts)/hosts.sh", ["cut", "h2"])
        let (status, seconds) = Fixtures.wait(job, timeout: 120)
        #expect(status != 0)
        #expect(seconds < 60)
        let stderr = Fixtures.text(dir + "/stderr")
        #expect(
            stderr.contains("ORTE has lost communication with a remote daemon") || stderr.contains("no answer from the other ranks"),
            "\(stderr)")
        // The last complete checkpoint is intact.
        let newest = try #require(try CheckpointStore(directory: ck).steps().first)
        let checkpoint = try Checkpoint.decode(
            FileIO.read(CheckpointStore(directory: ck).path(step: newest)),
            name: "ck", architecture: Architecture())
        #expect(checkpoint.position.step == newest)
        // No process of the job survives on either host.
        usleep(500_000)
        #expect(Fixtures.pid(ofRank: 1, commandContaining: ck, timeout: 0.1) == nil)
        #expect(Fixtures.pid(ofRank: 0, commandContaining: ck, timeout: 0.1) == nil)
    }

    /// Runs across the hosts to the end; fails the test on a non-zero exit.
    func trainAcrossHosts(_ arguments: [String], np: Int, perHost: Int, mpirunFlags: [String] = []) throws {
        let dir = Fixtures.temporaryDirectory()
        let job = try acrossHosts(arguments, dir: dir, np: np, perHost: perHost, mpirunFlags: mpirunFlags)
        let (status, _) = Fixtures.wait(job, timeout: 180)
        #expect(status == 0, "\(Fixtures.text(dir + "/stderr"))")
    }

    func weights(_ path: String) throws -> [Float] { try ModelFile.load(path, Architecture()).array }

    func largestDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max()! }

    /// 2 hosts x 2 ranks (by slot and by node) and 2 x 3: the hierarchical reduction takes the
    /// steps of 4 (6) ranks on one node up to float rounding, and says it ran hierarchical;
    /// with bfloat16 on the wire the weights stay close.
    @Test(arguments: [(4, 2, [String]()), (4, 2, ["--map-by", "node"]), (6, 3, [String]())])
    func hierarchicalEqualsOneNode(np: Int, perHost: Int, mapping: [String]) throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let flags = ["--no-shuffle", "--max-steps", "30"]
        try trainAcrossHosts(
            flags + ["--reduction", "hierarchical", "--save", "\(dir)/hosts.safetensors", "--history", "\(dir)/h.json"], np: np,
            perHost: perHost, mpirunFlags: mapping)
        let local = try Fixtures.mpirun(
            np, ["--data-dir", Fixtures.dataDirectory] + flags + ["--save", "\(dir)/local.safetensors", "--history", "\(dir)/local.json"])
        #expect(local.status == 0, "\(local.stderr)")
        #expect(Fixtures.text("\(dir)/h.json").contains(#""reduction":"hierarchical""#), "\(Fixtures.text("\(dir)/h.json"))")
        #expect(Fixtures.text("\(dir)/h.json").contains(#""hosts":2,"#) && Fixtures.text("\(dir)/local.json").contains(#""hosts":1,"#))
        // The training set is held once per host: its first rank wrote the host's copy (47 MB,
        // all resident), the others map it and hold no copy of their own. By proportional set
        // size (a shared page's share in each process that maps it), a host's ranks add up to
        // at most one copy and 30 MB a rank, and every other rank to at most its share of the
        // copy and 30 MB (a copy of its own would be 47 MB more).
        let hostsInJob = np / perHost
        let hostOf = { (rank: Int) in mapping.isEmpty ? rank / perHost : rank % hostsInJob }
        for (history, hostCount) in [("\(dir)/h.json", hostsInJob), ("\(dir)/local.json", 1)] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: history))) as! [String: Any]
            let (peak, pss) = (try #require(json["peak_rss_mb"] as? [Double]), try #require(json["pss_mb"] as? [Double]))
            #expect(peak.count == np && pss.count == np)
            for host in 0..<hostCount {
                let ranks = (0..<np).filter { hostCount == 1 || hostOf($0) == host }
                #expect(peak[ranks[0]] > 47, "\(history): host \(host)'s first rank wrote the copy: \(peak)")
                #expect(ranks.map { pss[$0] }.reduce(0, +) <= 47.04 + 30 * Double(ranks.count), "\(history): host \(host): \(pss)")
                for rank in ranks.dropFirst() {
                    #expect(pss[rank] <= 47.04 / Double(ranks.count) + 30, "\(history): rank \(rank): \(pss)")
                }
            }
        }
        let (hosts, one) = (try weights("\(dir)/hosts.safetensors"), try weights("\(dir)/local.safetensors"))
        #expect(largestDifference(hosts, one) < 1e-5)
        #expect(hosts != one || np == 2)  // summed in another order: the comparison above is not of one run with itself
        try trainAcrossHosts(
            flags + ["--reduction", "hierarchical", "--save", "\(dir)/bf16.safetensors", "--wire-precision", "bfloat16"], np: np,
            perHost: perHost,
            mpirunFlags: mapping)
        let bf16 = try weights("\(dir)/bf16.safetensors")
        #expect(largestDifference(bf16, one) > 1e-6 && largestDifference(bf16, one) < 0.02)
    }

    /// `--deterministic` across hosts: the very bytes of one process.
    @Test func deterministicAcrossHostsIsBitwiseOneProcess() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let flags = ["--deterministic", "--max-steps", "20"]
        try trainAcrossHosts(flags + ["--save", "\(dir)/hosts.safetensors"], np: 4, perHost: 2, mpirunFlags: ["--map-by", "node"])
        let single = try Fixtures.run(
            Fixtures.releaseBinary, ["--data-dir", Fixtures.dataDirectory] + flags + ["--save", "\(dir)/one.safetensors"])
        #expect(single.status == 0, "\(single.stderr)")
        #expect(
            try differing(weights("\(dir)/hosts.safetensors").map(\.bitPattern), weights("\(dir)/one.safetensors").map(\.bitPattern)) == 0)
    }

    /// A checkpoint written by 2 hosts x 2 ranks resumes on one node with 3 ranks, and the
    /// result is the uninterrupted one node run's up to float rounding.
    @Test func checkpointsCrossLayouts() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let flags = ["--no-shuffle", "--epochs", "1"]
        try trainAcrossHosts(
            flags + ["--checkpoint-dir", "\(dir)/ck", "--checkpoint-every", "20", "--max-steps", "20"],
            np: 4, perHost: 2)
        let resumed = try Fixtures.mpirun(
            3,
            ["--data-dir", Fixtures.dataDirectory] + flags + [
                "--max-steps", "40",
                "--checkpoint-dir", "\(dir)/ck", "--resume", "--save", "\(dir)/resumed.safetensors",
            ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("Resuming from the checkpoint at step 20"))
        let whole = try Fixtures.mpirun(
            3,
            ["--data-dir", Fixtures.dataDirectory] + flags + [
                "--max-steps", "40",
                "--save", "\(dir)/whole.safetensors",
            ])
        #expect(whole.status == 0)
        #expect(largestDifference(try weights("\(dir)/resumed.safetensors"), try weights("\(dir)/whole.safetensors")) < 1e-5)
    }

    /// A rank frozen on the other host while the data reaches it, mid-training, or while the
    /// results are gathered: the others' watchdogs end the job with one clear line and exit 3.
    @Test(arguments: [("loading the data", 2), ("training", 3), ("gathering the results", 2)])
    func aFrozenRankOnAnotherHostEndsTheJob(phase: String, rank: Int) throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let job = try acrossHosts(
            ["--max-steps", "200", "--peer-timeout", "3"], dir: dir, np: 4, perHost: 2,
            environment: ["MNIST_MPI_TEST_FREEZE": "\(phase)@\(rank)"])
        let (status, seconds) = Fixtures.wait(job, timeout: 120)
        let stderr = Fixtures.text(dir + "/stderr")
        #expect(status == 3, "\(stderr)")
        #expect(seconds < 30)
        #expect(stderr.contains("no answer from the other ranks for 3 s while \(phase)"), "\(stderr)")
    }

    /// `plan` watches its peers as training does: the rank on the other host frozen while the
    /// links are measured ends the job with one clear line and exit 3.
    @Test func aFrozenRankOnAnotherHostEndsPlan() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let job = try acrossHosts(
            ["plan", "--peer-timeout", "3"], dir: dir, np: 2, environment: ["MNIST_MPI_TEST_FREEZE": "measuring@1"])
        let (status, seconds) = Fixtures.wait(job, timeout: 120)
        let stderr = Fixtures.text(dir + "/stderr")
        #expect(status == 3, "\(stderr)")
        #expect(seconds < 30)
        #expect(stderr.contains("rank 0: no answer from the other ranks for 3 s while measuring"), "\(stderr)")
    }

    /// What crosses a host's link per step is what the ring must send: 2 (N - 1) / N of the
    /// gradient each way for N = 2 hosts (half in bfloat16), whatever the ranks per host; the
    /// flat allreduce with ranks mapped by node sends more. Counted on h1's interface over
    /// two runs that differ by 200 steps (start-up traffic cancels, but for what its TCP
    /// retransmissions vary: 4 MB once, 2.7% of 100 steps' payload).
    @Test func bytesOnTheLinkAreWhatTheAlgorithmMustSend() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        func sent(_ extra: [String], steps: Int) throws -> Double {
            let counter = "/sys/class/net/mnist-veth1/statistics/tx_bytes"
            let before = try Fixtures.run("/usr/sbin/ip", ["netns", "exec", "mnist-h1", "cat", counter]).stdout
            try trainAcrossHosts(["--max-steps", "\(steps)"] + extra, np: 4, perHost: 2, mpirunFlags: ["--map-by", "node"])
            let after = try Fixtures.run("/usr/sbin/ip", ["netns", "exec", "mnist-h1", "cat", counter]).stdout
            return Double(after.trimmingCharacters(in: .whitespacesAndNewlines))! - Double(
                before.trimmingCharacters(in: .whitespacesAndNewlines))!
        }
        let gradient = Double(Architecture().parameterCount * 4)
        let hierarchical = ["--reduction", "hierarchical"]
        for (extra, expected) in [(hierarchical, gradient), (hierarchical + ["--wire-precision", "bfloat16"], gradient / 2)] {
            // Start-up traffic varies a little between runs (retransmissions): 2% below the payload is allowed.
            let perStep = (try sent(extra, steps: 210) - sent(extra, steps: 10)) / 200
            #expect(perStep > 0.98 * expected && perStep < expected * 1.1, "\(extra): \(perStep) bytes a step, \(expected) expected")
        }
        let flat = (try sent(["--reduction", "allreduce"], steps: 50) - sent(["--reduction", "allreduce"], steps: 10)) / 40
        #expect(flat > 1.5 * gradient, "flat by node: \(flat) bytes a step")
    }

    /// `--reduction factored` at 2 hosts x 2 ranks (mapped by node: each host's ranks are not
    /// neighbours in rank order): the steps of 4 ranks on one node up to float rounding, the
    /// Reduction line's payload, and h1's interface carrying about that a step: (N - 1) / N of
    /// a batch's hidden-layer gradients (128 x 512 floats) and the other host's second-layer
    /// sums (5,133 floats), a tenth of the hierarchical reduction's 1.63 MB.
    @Test func factoredSendsTheHiddenGradientsAndEqualsOneNode() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let counter = "/sys/class/net/mnist-veth1/statistics/tx_bytes"
        func sent(steps: Int, save: String) throws -> (bytes: Double, stdout: String) {
            let before = try Fixtures.run("/usr/sbin/ip", ["netns", "exec", "mnist-h1", "cat", counter]).stdout
            let job = try acrossHosts(
                ["--no-shuffle", "--reduction", "factored", "--max-steps", "\(steps)", "--save", save], dir: dir, np: 4, perHost: 2,
                mpirunFlags: ["--map-by", "node"])
            let (status, _) = Fixtures.wait(job, timeout: 180)
            #expect(status == 0, "\(Fixtures.text(dir + "/stderr"))")
            let after = try Fixtures.run("/usr/sbin/ip", ["netns", "exec", "mnist-h1", "cat", counter]).stdout
            let bytes =
                Double(after.trimmingCharacters(in: .whitespacesAndNewlines))! - Double(
                    before.trimmingCharacters(in: .whitespacesAndNewlines))!
            return (bytes, Fixtures.text(dir + "/stdout"))
        }
        // 400 steps apart: the start-up traffic (47 MB of training set to h2) varies by a few
        // hundred KB between runs, which over 100 steps was 15% of this small payload.
        let (short, long) = (try sent(steps: 30, save: "\(dir)/hosts.safetensors"), try sent(steps: 430, save: "\(dir)/long.safetensors"))
        #expect(
            short.stdout.contains("Reduction: factored, 2 hosts x 2 rank(s): 0.15 MB each way over each host's link a step (float32)"),
            "\(short.stdout)")
        let payload = Double(128 * 512 * 4 / 2 + 5133 * 4)
        let perStep = (long.bytes - short.bytes) / 400
        #expect(perStep > 0.95 * payload && perStep < 1.15 * payload, "\(perStep) bytes a step, \(payload) expected")
        let local = try Fixtures.mpirun(
            4, ["--data-dir", Fixtures.dataDirectory, "--no-shuffle", "--max-steps", "30", "--save", "\(dir)/local.safetensors"])
        #expect(local.status == 0, "\(local.stderr)")
        let (hosts, one) = (try weights("\(dir)/hosts.safetensors"), try weights("\(dir)/local.safetensors"))
        #expect(largestDifference(hosts, one) < 1e-5 && hosts != one)
    }

    /// The milliseconds of `plan`'s "Predicted step: X ms" line.
    func predictedStep(_ stdout: String) -> Double {
        guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("Predicted step: ") }) else { return .nan }
        return Double(line.dropFirst("Predicted step: ".count).prefix { $0 != " " }) ?? .nan
    }

    /// Two ranks a host: `plan` measures the path between them (no note), and the network
    /// stack with both pairs exchanging at once over the host's one core.
    @Test func planMeasuresTwoRanksAHost() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let job = try acrossHosts(["plan", "--save-costs", "\(dir)/costs.json"], dir: dir, np: 4, perHost: 2)
        let (status, _) = Fixtures.wait(job, timeout: 120)
        let (stdout, stderr) = (Fixtures.text(dir + "/stdout"), Fixtures.text(dir + "/stderr"))
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("Layout: 2 host(s) x 2 rank(s)") && !stderr.contains("no second rank on this host"), "\(stdout)\(stderr)")
        // A test host's ranks may use one core (agent.sh's taskset): the layout is taken on that one.
        #expect(stdout.contains("x 2 rank(s), 1.00 core(s) a host"), "\(stdout)")
        let costs = try JSON.parse(Array(Fixtures.text("\(dir)/costs.json").utf8))
        let stack = costs["network_core_seconds_per_byte"]?.double ?? .nan
        #expect(stack > 0 && stack < 1e-8, "\(stack) s a byte")
        #expect(costs["memory"]?["latency"]?.double != 1e-6, "the path between a host's ranks was measured, not assumed as a memory copy")
        // Three ranks over two hosts (two and one): the layout is the busiest host's, and plan says so.
        let uneven = Fixtures.temporaryDirectory()
        let third = try acrossHosts(["plan", "--costs", "\(dir)/costs.json"], dir: uneven, np: 3, perHost: 2)
        let (unevenStatus, _) = Fixtures.wait(third, timeout: 120)
        let (unevenOut, unevenErr) = (Fixtures.text(uneven + "/stdout"), Fixtures.text(uneven + "/stderr"))
        #expect(unevenStatus == 0 && unevenOut.contains("Layout: 2 host(s) x 2 rank(s)"), "\(unevenOut)\(unevenErr)")
        #expect(
            unevenErr.contains(
                "mnist-mpi: note: this job's hosts run 1 to 2 ranks; the prediction is for 2 on each (--ranks-per-host to choose)"),
            "\(unevenErr)")
    }

    /// `plan` across two hosts measures the link and predicts; alone, it needs a link described.
    @Test func planMeasuresTheLinkBetweenHosts() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let job = try acrossHosts(["plan", "--save-costs", "\(dir)/costs.json"], dir: dir, np: 2)
        let (status, _) = Fixtures.wait(job, timeout: 120)
        let stdout = Fixtures.text(dir + "/stdout")
        #expect(status == 0, "\(Fixtures.text(dir + "/stderr"))")
        #expect(stdout.contains("Layout: 2 host(s) x 1 rank(s)") && stdout.contains("Predicted step:"), "\(stdout)")
        #expect(!stdout.contains("link       unmeasured"), "\(stdout)")
        // Every rank exchanged with its counterpart on the other host at once to measure the network stack.
        #expect(!stdout.contains("network stack unmeasured") && stdout.contains("of a core a byte exchanged"), "\(stdout)")
        // One rank a host: the path between a host's ranks is assumed, and plan says so, once.
        let note = "mnist-mpi: note: no second rank on this host: the path between a host's ranks is taken to be a memory copy"
        #expect(Fixtures.text(dir + "/stderr").components(separatedBy: note).count == 2, "\(Fixtures.text(dir + "/stderr"))")
        // The saved costs answer another layout without measuring.
        let again = try Fixtures.run(
            Fixtures.releaseBinary,
            ["plan", "--costs", "\(dir)/costs.json", "--hosts", "4", "--ranks-per-host", "8", "--cores-per-host", "2"])
        #expect(again.status == 0 && again.stdout.contains("Layout: 4 host(s) x 8 rank(s)"), "\(again.stderr)")
        // Alone, the job's one rank a host runs on the cores it may use; another rank count on the machine's.
        let pinned = ["-c", "0", Fixtures.releaseBinary, "plan", "--costs", "\(dir)/costs.json", "--hosts", "2"]
        let onOne = try Fixtures.run("/usr/bin/taskset", pinned)
        #expect(
            onOne.status == 0 && onOne.stdout.contains("Layout: 2 host(s) x 1 rank(s), 1.00 core(s) a host"),
            "\(onOne.stdout)\(onOne.stderr)")
        let onMachine = try Fixtures.run("/usr/bin/taskset", pinned + ["--ranks-per-host", "2"])
        let machine = "2 host(s) x 2 rank(s), \(Launcher.onlineCores).00 core(s) a host"
        #expect(onMachine.status == 0 && onMachine.stdout.contains(machine), "\(onMachine.stdout)\(onMachine.stderr)")
        // 8 ranks on 2 cores a host: the model says what it leaves out.
        let slicing = "ranks take turns on each core: the model leaves out the time slicing between them"
        #expect(again.stderr.contains("mnist-mpi: note: 4 \(slicing)"), "\(again.stderr)")
        // A link shaped by a token bucket: said so, and the burst overlaps the link with compute.
        let shaped = ["plan", "--costs", "\(dir)/costs.json", "--hosts", "2", "--link-gbps", "1", "--link-latency-us", "10"]
        let rateOnly = try Fixtures.run(Fixtures.releaseBinary, shaped)
        #expect(!rateOnly.stderr.contains(slicing), "\(rateOnly.stderr)")
        let bucket = try Fixtures.run(Fixtures.releaseBinary, shaped + ["--link-burst-kib", "1024"])
        #expect(bucket.status == 0 && bucket.stdout.contains("bursts of 1024 KiB"), "\(bucket.stdout)\(bucket.stderr)")
        #expect(predictedStep(bucket.stdout) < predictedStep(rateOnly.stdout), "\(bucket.stdout)")
        let negative = try Fixtures.run(Fixtures.releaseBinary, shaped + ["--link-burst-kib=-1"])
        #expect(negative.status != 0 && negative.stderr.contains("--link-burst-kib must be 0 or more"), "\(negative.stderr)")
        // Layouts beyond what the model walks are refused.
        let tooMany = try Fixtures.run(Fixtures.releaseBinary, shaped + ["--ranks-per-host", "1025"])
        #expect(tooMany.status != 0 && tooMany.stderr.contains("--ranks-per-host must be 1 to 1024 (got 1025)"), "\(tooMany.stderr)")
        let huge = try Fixtures.run(Fixtures.releaseBinary, shaped + ["--hosts", "100000"])
        #expect(huge.status != 0 && huge.stderr.contains("--hosts must be 1 to 1024 (got 100000)"), "\(huge.stderr)")
        // A costs file from before the network stack was measured names what it lacks.
        let old = Fixtures.text("\(dir)/costs.json").replacingOccurrences(of: "\"network_core_seconds_per_byte\"", with: "\"x\"")
        try old.write(toFile: "\(dir)/old.json", atomically: true, encoding: .utf8)
        let refused = try Fixtures.run(Fixtures.releaseBinary, ["plan", "--costs", "\(dir)/old.json"])
        #expect(
            refused.status != 0 && refused.stderr.contains("written by an older mnist-mpi (no network_core_seconds_per_byte)"),
            "\(refused.stderr)")
        let alone = try Fixtures.run(Fixtures.releaseBinary, ["plan"])
        #expect(alone.status == 1)
        #expect(alone.stderr.contains("mnist-mpi: error: no second host to measure a link to"), "\(alone.stderr)")
    }
}
