import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// The tool tried as a careless user and as an attacker would: reused directories, settings
/// changed on resume, crafted files, huge numbers, launch modes, repeated signals.
@Suite(.serialized) struct EdgeTests {
    let data = ["--data-dir", Fixtures.dataDirectory]

    func weights(_ path: String) throws -> [Float] { try ModelFile.load(path, Architecture()).array }

    @Test func aFreshRunRefusesAnotherRunsCheckpointsAndLosesNothing() throws {
        let ck = Fixtures.temporaryDirectory() + "/ck"
        let store = CheckpointStore(directory: ck)
        let first = try Fixtures.mpirun(
            2,
            data + [
                "--max-steps", "30", "--checkpoint-every", "10", "--keep-checkpoints", "1",
                "--checkpoint-dir", ck,
            ])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try store.steps() == [30])
        let fresh = try Fixtures.mpirun(2, data + ["--max-steps", "5", "--checkpoint-dir", ck], timeout: 60)
        #expect(fresh.status == 1)
        #expect(
            fresh.stderr.contains(
                "mnist-mpi: error: \(ck) holds checkpoints of an earlier run (newest: step 30): continue it with --resume, choose another --checkpoint-dir, or delete them with --start-over"
            ), "\(fresh.stderr)")
        #expect(try store.steps() == [30])
        let over = try Fixtures.mpirun(
            2,
            data + [
                "--max-steps", "20", "--checkpoint-every", "10", "--keep-checkpoints", "1",
                "--checkpoint-dir", ck, "--start-over",
            ])
        #expect(over.status == 0, "\(over.stderr)")
        #expect(try store.steps() == [20])
        let resumed = try Fixtures.mpirun(2, data + ["--max-steps", "25", "--checkpoint-dir", ck, "--resume"])
        #expect(resumed.stdout.contains("Resuming from the checkpoint at step 20"), "\(resumed.stderr)")
    }

    /// One checkpoint of the defaults, resumed with each setting that changes the math or data.
    @Test func resumeRefusesOtherMathOrData() throws {
        let ck = Fixtures.temporaryDirectory() + "/ck"
        let made = try Fixtures.run(
            Fixtures.releaseBinary, data + ["--max-steps", "10", "--checkpoint-every", "10", "--checkpoint-dir", ck])
        #expect(made.status == 0, "\(made.stderr)")
        let cases: [([String], String)] = [
            (data + ["--learning-rate", "0.002"], "--learning-rate 0.001, this run has 0.002"),
            (data + ["--seed", "7"], "--seed 42, this run has 7"),
            (data + ["--no-shuffle"], "--no-shuffle false, this run has true"),
            (data + ["--batch-size", "64"], "--batch-size 128, this run has 64"),
            (data + ["--deterministic"], "--deterministic off, this run has on (--micro-shards 8)"),
            (["--dataset", "fashion-mnist"], "--dataset mnist, this run has fashion-mnist"),
        ]
        for (flags, message) in cases {
            let out = try Fixtures.mpirun(2, flags + ["--max-steps", "20", "--checkpoint-dir", ck, "--resume"], timeout: 60)
            #expect(out.status == 1)
            #expect(
                out.stderr.contains("mnist-mpi: error: the checkpoint was made with \(message): resume with the same value"),
                "\(flags): \(out.stderr)")
        }
        // What may change does: more steps, another rank count, threads.
        let fine = try Fixtures.mpirun(3, data + ["--max-steps", "15", "--threads", "1", "--checkpoint-dir", ck, "--resume"])
        #expect(fine.status == 0 && fine.stdout.contains("Resuming from the checkpoint at step 10"), "\(fine.stderr)")
    }

    /// A safetensors header whose shape overflows: one clear line and exit 1 from every reader.
    @Test func craftedModelFilesAreErrorsNotCrashes() throws {
        let dir = Fixtures.temporaryDirectory()
        var header = Array(#"{"dense.kernel":{"dtype":"F32","shape":[4294967296,4294967296,4294967296,4],"data_offsets":[0,16]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        ByteOrder.appendLittleEndian(UInt64(header.count), to: &bytes)
        try FileIO.writeAtomically(bytes + header + [UInt8](repeating: 0, count: 16), to: "\(dir)/bad.safetensors")
        for flags in [["evaluate", "--model", "\(dir)/bad.safetensors"], ["--init", "\(dir)/bad.safetensors"]] {
            let out = try Fixtures.run(Fixtures.releaseBinary, flags + data, timeout: 60)
            #expect(out.status == 1, "\(flags): \(out.stderr)")
            #expect(
                out.stderr.contains(
                    "mnist-mpi: error: \(dir)/bad.safetensors: not a valid safetensors file: tensor dense.kernel has shape"),
                "\(out.stderr)")
        }
        try FileManager.default.createDirectory(atPath: "\(dir)/ck", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(dir)/bad.safetensors", toPath: CheckpointStore(directory: "\(dir)/ck").path(step: 9))
        let resume = try Fixtures.run(Fixtures.releaseBinary, data + ["--max-steps", "1", "--checkpoint-dir", "\(dir)/ck", "--resume"])
        #expect(resume.status == 1 && resume.stderr.contains("none of its 1 checkpoint(s) is valid"), "\(resume.stderr)")
    }

    @Test func hugeNumbersAreBoundedByTheData() throws {
        // A batch larger than the training set is one batch of all of it (Keras does the same).
        let big = try Fixtures.run(Fixtures.releaseBinary, data + ["--batch-size", "100000000", "--max-steps", "1"], timeout: 120)
        #expect(big.status == 0, "\(big.stderr)")
        let index = try Fixtures.run(Fixtures.releaseBinary, ["predict", "--model", "x", "--index", "0..9999999999"], timeout: 30)
        #expect(index.status == 64)
        #expect(index.stderr.contains("--index 9999999999 is out of range: no split holds more than 10000000 images"), "\(index.stderr)")
        let timeout = try Fixtures.run(Fixtures.releaseBinary, data + ["--peer-timeout", "1e300"], timeout: 30)
        #expect(timeout.status == 64 && timeout.stderr.contains("--peer-timeout must be 0 or a number of seconds up to 1000000"))
    }

    /// --deterministic gives the same tensor bytes without mpirun (any --threads) and with it.
    @Test func deterministicHoldsInEveryLaunchMode() throws {
        let dir = Fixtures.temporaryDirectory()
        let flags = data + ["--deterministic", "--max-steps", "30"]
        func tensors(_ name: String) throws -> [Float] { try weights("\(dir)/\(name).safetensors") }
        for threads in ["1", "2"] {
            let out = try Fixtures.run(
                Fixtures.releaseBinary, flags + ["--threads", threads, "--save", "\(dir)/single-\(threads).safetensors"])
            #expect(out.status == 0, "\(out.stderr)")
        }
        let plain = try Fixtures.run(Fixtures.releaseBinary, flags + ["--save", "\(dir)/single.safetensors"])
        #expect(plain.status == 0, "\(plain.stderr)")
        for np in [1, 2, 4, 8] {
            let out = try Fixtures.mpirun(np, flags + ["--save", "\(dir)/np\(np).safetensors"])
            #expect(out.status == 0, "\(out.stderr)")
        }
        let reference = try tensors("np1")
        for name in ["single", "single-1", "single-2", "np2", "np4", "np8"] {
            #expect(try tensors(name).map(\.bitPattern) == reference.map(\.bitPattern), "\(name)")
        }
    }

    /// First Ctrl-C: stop after the step (with a checkpoint). Second: now.
    @Test func aSecondSignalEndsTheProcessAtOnce() throws {
        let dir = Fixtures.temporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.releaseBinary)
        process.arguments = data + ["--epochs", "20", "--batch-size", "60000"]  // steps of about a second
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stdout").creatingFile())
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stderr").creatingFile())
        try process.run()
        #expect(Fixtures.waitFor(text: "Epoch 1/20", in: dir + "/stdout"))
        kill(process.processIdentifier, SIGINT)
        usleep(20_000)
        kill(process.processIdentifier, SIGINT)
        let (_, seconds) = Fixtures.wait(process, timeout: 30)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT)
        #expect(seconds < 2)
        #expect(!Fixtures.text(dir + "/stderr").contains("stopped by a signal"))
    }
}

extension URL {
    /// Creates an empty file here; returns the URL.
    func creatingFile() -> URL {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return self
    }
}
