import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// Runs the release binary (built by scripts/test.sh) under mpirun on the real data.
@Suite(.serialized) struct IntegrationTests {
    let data = ["--data-dir", Fixtures.dataDirectory]

    func weights(_ path: String) throws -> [Float] {
        try ModelFile.load(path, Architecture()).array
    }

    /// Mean absolute difference over mean absolute weight.
    func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        var diff = 0.0, size = 0.0
        for i in a.indices {
            diff += Double(abs(a[i] - b[i]))
            size += Double(abs(a[i]))
        }
        return diff / size
    }

    @Test func rankCountDoesNotChangeTheMath() throws {
        let dir = Fixtures.temporaryDirectory()
        var saved: [[Float]] = []
        for np in [1, 2, 3] {
            let path = "\(dir)/np\(np).safetensors"
            let out = try Fixtures.mpirun(np, data + ["--no-shuffle", "--max-steps", "50", "--save", path])
            #expect(out.status == 0, "np=\(np): \(out.stderr)")
            #expect(out.stdout.contains("50/469 [===>"), "np=\(np) ran \(out.stdout)")
            saved.append(try weights(path))
        }
        #expect(relativeDifference(saved[0], saved[1]) <= 1e-5)
        #expect(relativeDifference(saved[0], saved[2]) <= 1e-5)
        // ... and training did move the weights, far more than that.
        let initial = Architecture().glorotInitialization(seed: 42).array
        #expect(relativeDifference(saved[0], initial) > 1e-2)
    }

    /// Two ranks that taskset keeps on one core while mpirun does not bind them: OpenMPI does
    /// not know, so the trainer makes a waiting rank yield its core, and rank 0 says so once.
    @Test func ranksOnFewerCoresYieldWhileTheyWait() throws {
        func run(cores: String, _ mpirunFlags: [String] = []) throws -> Fixtures.Output {
            try Fixtures.run(
                "/usr/bin/taskset",
                ["-c", cores, "/usr/bin/mpirun", "-np", "2", "--bind-to", "none"] + mpirunFlags + [Fixtures.releaseBinary] + data
                    + ["--max-steps", "20"])
        }
        let note = "mnist-mpi: note: 2 ranks on this node share 1 core(s): a rank waiting for others yields its core (mpi_yield_when_idle)"
        let narrow = try run(cores: "0")
        #expect(narrow.status == 0 && narrow.stderr.components(separatedBy: note).count == 2, "\(narrow.stderr)")
        let chosen = try run(cores: "0", ["--mca", "mpi_yield_when_idle", "0"])
        #expect(chosen.status == 0 && !chosen.stderr.contains("mnist-mpi: note:"), "\(chosen.stderr)")
        let wide = try run(cores: "0,1")
        #expect(wide.status == 0 && !wide.stderr.contains("mnist-mpi: note:"), "\(wide.stderr)")
    }

    /// Runs mpirun with a /dev/shm of its own, `megabytes` large (a private mount, so other
    /// tests' jobs do not show up in it); the output, and what the job left in /dev/shm.
    func mpirunWithOwnDevShm(megabytes: Int, _ np: Int, _ arguments: [String]) throws -> (Fixtures.Output, left: String) {
        let command = ["/usr/bin/mpirun", "-np", "\(np)", "--oversubscribe", Fixtures.releaseBinary] + data + arguments
        let out = try Fixtures.run(
            "/usr/bin/unshare",
            [
                "-m", "/bin/sh", "-c",
                "mount -t tmpfs -o size=\(megabytes)m tmpfs /dev/shm && \"$@\"; status=$?; ls /dev/shm >&2; exit $status", "sh",
            ] + command)
        return (out, out.stderr.split(separator: "\n").filter { $0.hasPrefix("mnist-mpi-") }.joined(separator: " "))
    }

    /// A node holds the training set once: rank 0 loaded it, the others map the node's copy and
    /// hold none of their own. By proportional set size (a shared page's share in each process
    /// that maps it) the node's ranks add up to at most one copy (47 MB) and 30 MB a rank, and
    /// every rank but the first to at most its share of the copy and 30 MB (a copy of its own
    /// would be 47 MB more). Rank 0 peaks at 90 MiB at most at np 2 and 3 (128 MB when it loaded
    /// the set into an array of its own and then copied it into the node's).
    @Test(arguments: [
        (2, ["--reduction", "allreduce"]), (3, ["--reduction", "shared-memory"]), (4, ["--reduction", "sharded"]),
        (4, ["--deterministic"]), (2, ["--threads", "2"]),
    ])
    func otherRanksOfANodeDoNotHoldTheTrainingSet(np: Int, flags: [String]) throws {
        let dir = Fixtures.temporaryDirectory()
        let (out, left) = try mpirunWithOwnDevShm(megabytes: 200, np, flags + ["--max-steps", "30", "--history", "\(dir)/h.json"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(left.isEmpty, "left in /dev/shm: \(left)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/h.json"))) as! [String: Any]
        let (peak, pss) = (try #require(json["peak_rss_mb"] as? [Double]), try #require(json["pss_mb"] as? [Double]))
        // Rank 0 read the set straight into the node's copy: beside the other ranks it holds the
        // test set (7.8 MB) and, while inflating, the compressed file (9.9 MB), never a copy of
        // its own (47 MB more).
        #expect(peak.count == np && peak[0] > 47 && peak[0] - peak.dropFirst().max()! < 25, "rank 0: \(peak) MB")
        #expect(np > 3 || peak[0] <= 90 * 1.048576, "rank 0 at most 90 MiB: \(peak) MB")
        #expect(pss.count == np && pss.reduce(0, +) <= 47.04 + 30 * Double(np), "\(pss)")
        for (rank, mb) in pss.enumerated().dropFirst() { #expect(mb <= 47.04 / Double(np) + 30, "rank \(rank): \(pss)") }
    }

    @Test func aFullDevShmIsOneClearError() throws {
        let (out, left) = try mpirunWithOwnDevShm(megabytes: 20, 2, ["--max-steps", "5"])
        #expect(out.status != 0)
        let line = try #require(out.stderr.split(separator: "\n").first { $0.hasPrefix("mnist-mpi: error:") })
        #expect(
            line.hasPrefix("mnist-mpi: error: holding the training images in shared memory failed: /dev/shm/mnist-mpi-")
                && line.hasSuffix(": cannot hold 47040016 bytes: No space left on device"), "\(out.stderr)")
        #expect(left.isEmpty, "left in /dev/shm: \(left)")
    }

    @Test func singleProcessEqualsMpirunOneRankBitForBit() throws {
        let dir = Fixtures.temporaryDirectory()
        let args = data + ["--max-steps", "30", "--threads", "2", "--epochs", "1"]
        let alone = try Fixtures.run(Fixtures.releaseBinary, args + ["--save", "\(dir)/alone.safetensors"])
        let mpi = try Fixtures.mpirun(1, args + ["--save", "\(dir)/mpi.safetensors"])
        #expect(alone.status == 0 && mpi.status == 0, "\(alone.stderr)\(mpi.stderr)")
        #expect(try differing(weights("\(dir)/alone.safetensors"), weights("\(dir)/mpi.safetensors")) == 0)
    }

    @Test func fullTutorialOnTwoRanksReaches975() throws {
        let dir = Fixtures.temporaryDirectory()
        let out = try Fixtures.mpirun(2, data + ["--history", "\(dir)/history.json", "--save", "\(dir)/model.safetensors"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/history.json"))) as! [String: Any]
        let accuracy = json["test_accuracy"] as! Double
        #expect(accuracy >= 0.975)
        #expect((json["accuracy"] as! [Double]).count == 5)
        #expect(json["ranks"] as! Int == 2)
        // What a person sees, in the tutorial's order.
        let lines = out.stdout
        for expected in [
            "x_train: (60000, 28, 28) uint8", "Training image #4, label 9", "Epoch 5/5",
            "469/469 [==============================]", "Predictions for the first 10 test images",
            "313/313 [==============================]", "Test accuracy: \(format4(accuracy))",
        ] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        // The saved model carries its test accuracy and reproduces it.
        let file = try Safetensors.decode(FileIO.read("\(dir)/model.safetensors"), name: "m")
        #expect(file.metadata["test_accuracy"] == "\(accuracy)")
        let test = try Dataset.load(.mnist, from: Fixtures.dataDirectory).test
        let evaluation = Evaluator.evaluate(try ModelFile.load("\(dir)/model.safetensors", Architecture()), Architecture(), on: test)
        #expect(evaluation.accuracy == accuracy)
    }

    @Test func corruptDataEndsEveryRankQuickly() throws {
        let dir = Fixtures.temporaryDirectory()
        for name in DatasetSpec.standardFiles {
            try FileManager.default.copyItem(atPath: "\(Fixtures.dataDirectory)/\(name).gz", toPath: "\(dir)/\(name).gz")
        }
        // Truncate the training labels.
        let path = "\(dir)/train-labels-idx1-ubyte.gz"
        let bytes = try FileIO.read(path)
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: path))
        let out = try Fixtures.mpirun(2, ["--data-dir", dir], timeout: 60)
        #expect(out.status != 0)
        #expect(out.seconds < 30)
        #expect(out.stderr.contains("mnist-mpi: error: train-labels-idx1-ubyte.gz: gzip stream is truncated"))
    }

    @Test func moreRanksThanTheBatchIsAClearError() throws {
        let out = try Fixtures.mpirun(3, data + ["--batch-size", "2"], timeout: 60)
        #expect(out.status != 0)
        #expect(out.stderr.contains("3 ranks cannot share a batch of 2"))
    }

    @Test func badFlagsArePrintedOnceAndFail() throws {
        let out = try Fixtures.mpirun(2, data + ["--epochs", "0"], timeout: 60)
        #expect(out.status != 0)
        #expect(out.stderr.components(separatedBy: "--epochs must be at least 1").count == 2, "\(out.stderr)")
    }
}
