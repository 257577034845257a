import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// Faults of a real job (release binary under mpirun, real data): each ends the job quickly
/// with a clear message and loses no completed work.
@Suite(.serialized) struct FailureTests {
    let data = ["--data-dir", Fixtures.dataDirectory]

    func weights(_ path: String) throws -> [Float] { try ModelFile.load(path, Architecture()).array }

    func checkpoint(_ path: String) throws -> Checkpoint {
        try Checkpoint.decode(FileIO.read(path), name: path, architecture: Architecture())
    }

    func leftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp") }
    }

    @Test func resumeAfterAnInterruptionIsBitwiseIdentical() throws {
        let dir = Fixtures.temporaryDirectory()
        let whole = try Fixtures.mpirun(2, data + ["--epochs", "3", "--save", "\(dir)/whole.safetensors"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let first = try Fixtures.mpirun(2, data + ["--epochs", "2", "--checkpoint-dir", "\(dir)/ck"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try Fixtures.mpirun(
            2,
            data + [
                "--epochs", "3", "--checkpoint-dir", "\(dir)/ck", "--resume",
                "--save", "\(dir)/resumed.safetensors",
            ])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("Resuming from the checkpoint at step 938: epoch 3, batch 0"))
        #expect(try differing(weights("\(dir)/whole.safetensors"), weights("\(dir)/resumed.safetensors")) == 0)
        // The per-epoch history survives the interruption too.
        let stored = try checkpoint("\(dir)/ck/checkpoint-00001407.safetensors")
        #expect(stored.position.history.count == 3 && stored.position.epoch == 3)
        // Only the newest two are kept.
        #expect(try CheckpointStore(directory: "\(dir)/ck").steps() == [1407, 938])
    }

    /// Elastic restart: a job stopped at one rank count resumes at another and agrees with an
    /// uninterrupted run up to float rounding.
    @Test(arguments: [
        (2, 3, "allreduce"), (4, 2, "allreduce"), (4, 2, "sharded"), (2, 3, "sharded"),
        (4, 2, "shared-memory"), (2, 3, "shared-memory"),
    ])
    func resumeWithAnotherRankCountMidEpoch(ranks: (first: Int, second: Int, reduction: String)) throws {
        let dir = Fixtures.temporaryDirectory()
        let common = data + ["--no-shuffle", "--reduction", ranks.reduction]
        let whole = try Fixtures.mpirun(2, common + ["--max-steps", "40", "--save", "\(dir)/whole.safetensors"])
        let first = try Fixtures.mpirun(
            ranks.first, common + ["--max-steps", "20", "--checkpoint-every", "20", "--checkpoint-dir", "\(dir)/ck"])
        let second = try Fixtures.mpirun(
            ranks.second,
            common + [
                "--max-steps", "40", "--checkpoint-dir", "\(dir)/ck", "--resume",
                "--save", "\(dir)/resumed.safetensors",
            ])
        #expect(whole.status == 0 && first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        #expect(second.stdout.contains("Resuming from the checkpoint at step 20: epoch 1, batch 20"))
        let a = try weights("\(dir)/whole.safetensors"), b = try weights("\(dir)/resumed.safetensors")
        let diff = zip(a, b).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / a.reduce(0.0) { $0 + Double(abs($1)) }
        #expect(diff <= 1e-5)
    }

    @Test func corruptTruncatedAndForeignCheckpointsAreSkipped() throws {
        let dir = Fixtures.temporaryDirectory()
        let ck = "\(dir)/ck"
        let run = try Fixtures.mpirun(
            1,
            data + [
                "--max-steps", "30", "--checkpoint-every", "10", "--keep-checkpoints", "5",
                "--checkpoint-dir", ck,
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let store = CheckpointStore(directory: ck)
        #expect(try store.steps() == [30, 20, 10])
        // Newest: one flipped byte in the weights. Next: truncated. Then a model file, not a checkpoint.
        var bytes = try FileIO.read(store.path(step: 30))
        bytes[bytes.count - 100] ^= 0x01
        try FileIO.writeAtomically(bytes, to: store.path(step: 30))
        let second = try FileIO.read(store.path(step: 20))
        try FileIO.writeAtomically(Array(second.prefix(second.count / 2)), to: store.path(step: 20))
        try ModelFile.save(Architecture().glorotInitialization(seed: 1), Architecture(), metadata: [:], to: store.path(step: 25))
        let resumed = try Fixtures.mpirun(2, data + ["--max-steps", "12", "--checkpoint-dir", ck, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(
            resumed.stderr.contains("warning: skipping \(store.path(step: 30)): checkpoint content does not match its checksum (corrupt)"))
        #expect(resumed.stderr.contains("warning: skipping \(store.path(step: 25)): not an mnist-mpi checkpoint"))
        #expect(resumed.stderr.contains("warning: skipping \(store.path(step: 20)): not a valid safetensors file"))
        #expect(resumed.stdout.contains("Resuming from the checkpoint at step 10"))
        // Nothing valid left at all: a clear error.
        try FileManager.default.removeItem(atPath: store.path(step: 10))
        let none = try Fixtures.mpirun(2, data + ["--max-steps", "12", "--checkpoint-dir", ck, "--resume"], timeout: 60)
        #expect(none.status == 1)
        #expect(none.stderr.contains("mnist-mpi: error: \(ck): none of its 3 checkpoint(s) is valid"))
    }

    @Test func checkpointOfAnotherModelShapeIsRejected() throws {
        let dir = Fixtures.temporaryDirectory()
        let other = Architecture(hidden: 256)
        let foreign = Checkpoint(
            architecture: other, parameters: other.glorotInitialization(seed: 1).array,
            velocity: [Float](repeating: 0, count: other.parameterCount), position: TrainingPosition(),
            runID: "foreign", settings: TrainingOptions().settings)
        try FileManager.default.createDirectory(atPath: "\(dir)/ck", withIntermediateDirectories: true)
        try FileIO.writeAtomically(foreign.encode(), to: CheckpointStore(directory: "\(dir)/ck").path(step: 5))
        let out = try Fixtures.mpirun(2, data + ["--checkpoint-dir", "\(dir)/ck", "--resume"], timeout: 60)
        #expect(out.status == 1)
        #expect(out.stderr.contains("tensor dense.kernel has shape [784, 256], this model needs [784, 512]"))
    }

    @Test func sigtermOnOneRankStopsAllAfterACheckpoint() throws {
        let dir = Fixtures.temporaryDirectory()
        let ck = "\(dir)/ck"
        let job = try Fixtures.launch(2, data + ["--epochs", "20", "--checkpoint-dir", ck], dir: dir)
        #expect(Fixtures.waitFor(CheckpointStore(directory: ck).path(step: 469)))
        let rank1 = try #require(Fixtures.pid(ofRank: 1, commandContaining: ck))
        kill(rank1, SIGTERM)
        let (status, seconds) = Fixtures.wait(job, timeout: 60)
        let stderr = Fixtures.text(dir + "/stderr")
        #expect(status == 143, "\(stderr)")
        #expect(seconds < 10)
        #expect(stderr.contains("stopped by a signal after step"))
        #expect(leftovers(ck).isEmpty)
        let newest = try #require(try CheckpointStore(directory: ck).steps().first)
        #expect(newest > 469 && newest % 469 != 0)  // mid-epoch: the step the signal arrived at
        #expect(try checkpoint(CheckpointStore(directory: ck).path(step: newest)).position.step == newest)
    }

    @Test func killedRankEndsTheJobAndTheCheckpointResumes() throws {
        let dir = Fixtures.temporaryDirectory()
        let ck = "\(dir)/ck"
        let job = try Fixtures.launch(2, data + ["--epochs", "20", "--checkpoint-dir", ck], dir: dir)
        #expect(Fixtures.waitFor(CheckpointStore(directory: ck).path(step: 469)))
        let rank1 = try #require(Fixtures.pid(ofRank: 1, commandContaining: ck))
        kill(rank1, SIGKILL)
        let (status, seconds) = Fixtures.wait(job, timeout: 60)
        #expect(status != 0)
        #expect(seconds < 30)
        #expect(Fixtures.text(dir + "/stderr").contains("exited on signal 9 (Killed)"))
        let resumed = try Fixtures.mpirun(2, data + ["--epochs", "2", "--max-steps", "1000", "--checkpoint-dir", ck, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("Resuming from the checkpoint at step"))
    }

    @Test func stalledPeerEndsTheJobAfterThePeerTimeout() throws {
        let dir = Fixtures.temporaryDirectory()
        let ck = "\(dir)/ck"
        let job = try Fixtures.launch(2, data + ["--epochs", "20", "--peer-timeout", "5", "--checkpoint-dir", ck], dir: dir)
        #expect(Fixtures.waitFor(CheckpointStore(directory: ck).path(step: 469)))
        let rank1 = try #require(Fixtures.pid(ofRank: 1, commandContaining: ck))
        kill(rank1, SIGSTOP)  // alive but silent, as behind a cut link
        let (status, seconds) = Fixtures.wait(job, timeout: 60)
        #expect(status == 3)
        #expect(seconds < 15)
        #expect(Fixtures.text(dir + "/stderr").contains("no answer from the other ranks for 5 s"))
    }

    /// RMSprop bounds each step to about lr x 3, so --learning-rate 1e9 only makes the loss huge
    /// (4e20, finite) in an epoch; 1e20 overflows the logits within two steps.
    @Test func divergenceStopsWithTheStep() throws {
        let out = try Fixtures.mpirun(2, data + ["--learning-rate", "1e20"], timeout: 60)
        #expect(out.status == 1)
        #expect(
            out.stderr.range(
                of: #"mnist-mpi: error: loss became (NaN|inf|-inf) at epoch 1, step \d+: training diverged"#,
                options: .regularExpression) != nil, "\(out.stderr)")
    }

    @Test(arguments: [
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--epochs=-3"], "--epochs must be at least 1"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
        (["--learning-rate", "nan"], "--learning-rate must be a positive finite number"),
        (["--learning-rate=-1"], "--learning-rate must be a positive finite number"),
        (["--learning-rate", "inf"], "--learning-rate must be a positive finite number"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--resume"], "--resume needs --checkpoint-dir"),
        (["--epochs", "two"], "The value 'two' is invalid for '--epochs <epochs>'"),
        (["--bogus"], "Unknown option '--bogus'"),
    ])
    func badFlagsExit64(flags: [String], message: String) throws {
        let out = try Fixtures.run(Fixtures.releaseBinary, data + flags, timeout: 30)
        #expect(out.status == 64)
        #expect(out.stderr.contains(message), "\(out.stderr)")
    }

    @Test func unwritableCheckpointDirectoryFailsBeforeTraining() throws {
        let dir = Fixtures.temporaryDirectory()
        FileManager.default.createFile(atPath: "\(dir)/file", contents: Data([1]))
        let out = try Fixtures.mpirun(2, data + ["--checkpoint-dir", "\(dir)/file/ck"], timeout: 60)
        #expect(out.status == 1)
        #expect(out.stderr.contains("mnist-mpi: error: \(dir)/file/ck: cannot create the checkpoint directory"))
        #expect(!out.stdout.contains("Epoch 1/5"))
    }

    /// A 5 MiB tmpfs holds one 3.3 MB checkpoint but not a second beside it.
    @Test func fullDiskKeepsThePreviousCheckpoint() throws {
        let dir = Fixtures.temporaryDirectory()
        let mount = try Fixtures.run("/bin/mount", ["-t", "tmpfs", "-o", "size=5m", "tmpfs", dir])
        try #require(mount.status == 0, "mount needs root: \(mount.stderr)")
        defer { _ = try? Fixtures.run("/bin/umount", [dir]) }
        let out = try Fixtures.mpirun(2, data + ["--epochs", "3", "--checkpoint-dir", dir], timeout: 120)
        #expect(out.status == 1)
        #expect(
            out.stderr.contains("mnist-mpi: error: \(dir)/checkpoint-00000938.safetensors: write failed: No space left on device"),
            "\(out.stderr)")
        #expect(leftovers(dir).isEmpty)
        #expect(try CheckpointStore(directory: dir).steps() == [469])
        #expect(try checkpoint(CheckpointStore(directory: dir).path(step: 469)).position.epoch == 1)
    }
}
