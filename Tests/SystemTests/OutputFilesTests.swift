import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// Every file `train` will write is checked before training, in every launch mode; a write
/// that fails after training anyway keeps the weights.
@Suite(.serialized) struct OutputFilesTests {
    let data = ["--data-dir", Fixtures.dataDirectory]

    @Test(arguments: ["--save", "--export-onnx", "--history", "--plot", "--csv", "--profile"], [1, 2])
    func anUnwritableOutputEndsTheJobBeforeTraining(flag: String, ranks: Int) throws {
        let path = "/nonexistent-\(flag.dropFirst(2))/out"
        let arguments = data + ["--max-steps", "30", flag, path]
        let out =
            ranks == 1
            ? try Fixtures.run(Fixtures.releaseBinary, arguments, timeout: 60)
            : try Fixtures.mpirun(ranks, arguments, timeout: 60)
        #expect(out.status == 1, "\(out.stderr)")
        #expect(out.stderr.contains("mnist-mpi: error: \(path): cannot be written: No such file or directory"), "\(out.stderr)")
        #expect(!out.stdout.contains("Epoch 1/"), "trained before failing")
    }

    @Test func aDirectoryIsNoOutputFile() throws {
        let dir = Fixtures.temporaryDirectory()
        let out = try Fixtures.mpirun(2, data + ["--max-steps", "3", "--save", dir], timeout: 60)
        #expect(out.status == 1)
        #expect(out.stderr.contains("mnist-mpi: error: \(dir): is a directory, not a file"), "\(out.stderr)")
    }

    /// A disk that fills during training (a 1 MiB tmpfs passes the check but cannot hold the
    /// 1.6 MB model): one line that names the failure and where the weights went.
    @Test func aFailedWriteAfterTrainingKeepsTheWeights() throws {
        let dir = Fixtures.temporaryDirectory()
        let mount = try Fixtures.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir])
        try #require(mount.status == 0, "mount needs root: \(mount.stderr)")
        defer { _ = try? Fixtures.run("/bin/umount", [dir]) }
        let out = try Fixtures.mpirun(2, data + ["--max-steps", "3", "--save", "\(dir)/model.safetensors"], timeout: 60)
        #expect(out.status == 1)
        let line = try #require(
            out.stderr.split(separator: "\n").first { $0.contains("the trained weights are saved in ") }, "\(out.stderr)")
        #expect(line.hasPrefix("mnist-mpi: error: \(dir)/model.safetensors: write failed: No space left on device"))
        let rescued = String(line.split(separator: " ").dropLast(3).last!)
        defer { unlink(rescued) }
        #expect(try ModelFile.load(rescued, Architecture()).count == Architecture().parameterCount)
    }
}
