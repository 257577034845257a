import Foundation
import TestSupport
import Testing

/// `--tensorboard` read back by TensorBoard's own reader (Tests/python/tensorboard_check.py),
/// in a single process, at np = 1 and 4, and across a resume at another rank count.
@Suite(.serialized) struct TensorBoardTests {
    let data = ["--data-dir", Fixtures.dataDirectory]

    func check(_ dir: String) throws {
        let out = try Fixtures.run(
            "/usr/bin/env",
            [
                "python3", "\(Fixtures.repo)/Tests/python/tensorboard_check.py",
                "\(dir)/tb", "\(dir)/history.json",
            ])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("tensorboard: all checks passed"), "\(out.stdout)")
    }

    @Test(arguments: [(nil, 2), (1, 1), (4, 1)] as [(Int?, Int)])
    func theReaderGetsTheHistoryBack(np: Int?, epochs: Int) throws {
        let dir = Fixtures.temporaryDirectory()
        let args = data + ["--epochs", "\(epochs)", "--validate", "--tensorboard", "\(dir)/tb", "--history", "\(dir)/history.json"]
        let out = try np.map { try Fixtures.mpirun($0, args) } ?? Fixtures.run(Fixtures.releaseBinary, args)
        #expect(out.status == 0, "\(out.stderr)")
        try check(dir)
    }

    /// A run cut off past its checkpoint (at step 700; the checkpoint is at 469), resumed at
    /// another rank count: one curve, the cut-off run's steps after 469 dropped by TensorBoard.
    @Test func aResumedRunContinuesTheCurves() throws {
        let dir = Fixtures.temporaryDirectory()
        let common = data + ["--epochs", "3", "--validate", "--tensorboard", "\(dir)/tb", "--checkpoint-dir", "\(dir)/checkpoints"]
        let first = try Fixtures.mpirun(2, common + ["--max-steps", "700"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try Fixtures.mpirun(3, common + ["--resume", "--history", "\(dir)/history.json"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("Resuming from the checkpoint at step 469"))
        try check(dir)
    }

    /// A fresh run refuses a directory with another run's events; --resume without a
    /// checkpoint starts over in it, and TensorBoard shows only the new run.
    @Test func aFreshRunRefusesAUsedDirectory() throws {
        let dir = Fixtures.temporaryDirectory()
        let args = data + ["--tensorboard", "\(dir)/tb"]
        let first = try Fixtures.mpirun(2, args + ["--max-steps", "50"])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try Fixtures.mpirun(2, args + ["--max-steps", "50"], timeout: 60)
        #expect(again.status == 1)
        #expect(
            again.stderr.contains(
                "mnist-mpi: error: \(dir)/tb/train holds an earlier run's event files: choose another --tensorboard directory, delete them, or continue that run with --resume"
            ), "\(again.stderr)")
        let restart = try Fixtures.run(
            Fixtures.releaseBinary,
            args + [
                "--epochs", "1", "--resume", "--checkpoint-dir", "\(dir)/none",
                "--history", "\(dir)/history.json",
            ])
        #expect(restart.status == 0, "\(restart.stderr)")
        try check(dir)
    }

    @Test func anUnusableDirectoryIsOneClearErrorOnEveryRank() throws {
        let dir = Fixtures.temporaryDirectory()
        FileManager.default.createFile(atPath: "\(dir)/file", contents: Data())
        let out = try Fixtures.mpirun(2, data + ["--max-steps", "5", "--tensorboard", "\(dir)/file/tb"], timeout: 60)
        #expect(out.status == 1, "\(out.stderr)")
        #expect(out.stderr.contains("mnist-mpi: error: \(dir)/file/tb/train: cannot create the TensorBoard directory"), "\(out.stderr)")
        #expect(!out.stdout.contains("Epoch 1/"))
    }
}
