import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// A rank that freezes in any phase of a job, from MPI_Init to MPI_Finalize, ends the job
/// within --peer-timeout and a few seconds, with exit status 3 and a message naming the phase.
@Suite(.serialized) struct PeerTimeoutTests {
    let data = ["--data-dir", Fixtures.dataDirectory]
    static let phases = [
        "start-up", "loading the data", "sending the initial weights", "reading the checkpoints", "training",
        "gathering the results", "evaluating and writing files", "finishing (MPI_Finalize)",
    ]

    /// Runs 2 ranks with `MNIST_MPI_TEST_FREEZE` stopping `rank` (SIGSTOP) as it enters `phase`.
    func frozen(_ phase: String, rank: Int) throws -> (status: Int32, seconds: Double, stderr: String) {
        let dir = Fixtures.temporaryDirectory()
        let out = try Fixtures.run(
            "/usr/bin/mpirun",
            ["-np", "2", "--oversubscribe", "-x", "MNIST_MPI_TEST_FREEZE", Fixtures.releaseBinary]
                + data + ["--max-steps", "30", "--peer-timeout", "3", "--checkpoint-dir", "\(dir)/ck"],
            timeout: 60, environment: ["MNIST_MPI_TEST_FREEZE": "\(phase)@\(rank)"])
        return (out.status, out.seconds, out.stderr)
    }

    @Test(arguments: phases)
    func aFrozenRankOneEndsTheJob(phase: String) throws {
        let (status, seconds, stderr) = try frozen(phase, rank: 1)
        #expect(status == 3, "\(stderr)")
        #expect(seconds < 3 + 8, "\(seconds) s")
        // The waiting rank names its own phase: the frozen one's, or one it reached on its own.
        let later = Self.phases[Self.phases.firstIndex(of: phase)!...]
        #expect(later.contains { stderr.contains("no answer from the other ranks for 3 s while \($0)") }, "\(stderr)")
    }

    @Test(arguments: ["loading the data", "reading the checkpoints", "evaluating and writing files"])
    func aFrozenRankZeroEndsTheJob(phase: String) throws {
        let (status, seconds, stderr) = try frozen(phase, rank: 0)
        #expect(status == 3, "\(stderr)")
        #expect(seconds < 3 + 8, "\(seconds) s")
        #expect(stderr.contains("rank 1: no answer from the other ranks for 3 s while \(phase)"), "\(stderr)")
    }

    /// Rank 0 reading a training file from a pipe that a slow writer feeds: slow progress is no
    /// false alarm, and no progress at all (a hung file system) ends the job.
    @Test(arguments: [true, false])
    func rankZerosSlowReadIsNotAHangButAStuckOneIs(feeds: Bool) throws {
        let dir = Fixtures.temporaryDirectory()
        for name in DatasetSpec.mnist.files where name != "train-images-idx3-ubyte" {
            try FileManager.default.createSymbolicLink(
                atPath: "\(dir)/\(name).gz", withDestinationPath: "\(Fixtures.dataDirectory)/\(name).gz")
        }
        let pipe = "\(dir)/train-images-idx3-ubyte.gz"
        #expect(mkfifo(pipe, 0o644) == 0)
        let writer = Thread {
            guard feeds, let bytes = FileManager.default.contents(atPath: "\(Fixtures.dataDirectory)/train-images-idx3-ubyte.gz"),
                let handle = FileHandle(forWritingAtPath: pipe)
            else { return }
            // About 5 s in all, longer than the peer timeout of 2 s.
            let chunk = bytes.count / 50 + 1
            for start in stride(from: 0, to: bytes.count, by: chunk) {
                handle.write(bytes[start..<min(start + chunk, bytes.count)])
                usleep(100_000)
            }
            try? handle.close()
        }
        writer.start()
        let out = try Fixtures.mpirun(2, ["--data-dir", dir, "--max-steps", "5", "--peer-timeout", "2"], timeout: 60)
        if feeds {
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.seconds > 4)
        } else {
            #expect(out.status == 3, "\(out.stderr)")
            #expect(out.stderr.contains("rank 1: no answer from the other ranks for 2 s while loading the data"), "\(out.stderr)")
        }
    }
}
