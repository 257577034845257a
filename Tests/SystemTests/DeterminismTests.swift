import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

@Suite(.serialized) struct DeterminismTests {
    /// Runs a 1-epoch shuffled `--deterministic` job with `np` ranks in a directory of its own,
    /// saving to the same relative path so the recorded command lines agree too.
    func run(np: Int, label: String, root: String) throws -> (model: [UInt8], metrics: [String]) {
        let dir = "\(root)/\(label)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        let out = try Fixtures.mpirun(
            np,
            [
                "--data-dir", Fixtures.dataDirectory, "--deterministic", "--epochs", "1",
                "--save", "model.safetensors",
            ])
        #expect(out.status == 0, "np=\(np): \(out.stderr)")
        // What a person reads, minus wall-clock timings.
        let metrics = out.stdout.split(separator: "\n").map(String.init).filter {
            $0.contains("loss:") || $0.contains("predicted") || $0.hasPrefix("Test accuracy")
        }.map { $0.replacingOccurrences(of: #"\] - \d+s \d+[mu]?s/step"#, with: "]", options: .regularExpression) }
        return (try FileIO.read("\(dir)/model.safetensors"), metrics)
    }

    @Test func rankCountsOneTwoFourGiveTheSameBytes() throws {
        let root = Fixtures.temporaryDirectory()
        let one = try run(np: 1, label: "np1", root: root)
        let two = try run(np: 2, label: "np2", root: root)
        let four = try run(np: 4, label: "np4", root: root)
        // The epoch line, 10 predictions, the evaluation line and the test accuracy.
        #expect(one.metrics.count == 13, "\(one.metrics)")
        #expect(differing(one.model, two.model) == 0)
        #expect(differing(one.model, four.model) == 0)
        #expect(one.metrics == two.metrics)
        #expect(one.metrics == four.metrics)
        // ... and the same rank count again, bit for bit.
        let twoAgain = try run(np: 2, label: "np2-again", root: root)
        #expect(differing(twoAgain.model, two.model) == 0 && twoAgain.metrics == two.metrics)
    }

    /// Every instruction-set variant of our kernels (`MNIST_MPI_ISA`; a CPU without one runs
    /// its widest) trains the same weights to the bit: the first layer's product is one chain
    /// of fused multiply-adds per entry on each, SSE2's emulated in double.
    @Test func everyInstructionSetTrainsTheSameWeights() throws {
        let root = Fixtures.temporaryDirectory()
        let weights = try ["avx512", "avx2", "sse2"].map { isa in
            let path = "\(root)/\(isa).safetensors"
            let out = try Fixtures.run(
                Fixtures.releaseBinary,
                ["--data-dir", Fixtures.dataDirectory, "--epochs", "1", "--max-steps", "30", "--save", path],
                environment: ["MNIST_MPI_ISA": isa])
            #expect(out.status == 0, "\(isa): \(out.stderr)")
            return try ModelFile.load(path, Architecture()).array.map(\.bitPattern)
        }
        for (isa, other) in zip(["avx2", "sse2"], weights.dropFirst()) {
            #expect(differing(other, weights[0]) == 0, "\(isa) against avx512")
        }
    }

    @Test func aRankCountThatDoesNotDivideTheMicroShardsIsAClearError() throws {
        let out = try Fixtures.mpirun(3, ["--data-dir", Fixtures.dataDirectory, "--deterministic"], timeout: 60)
        #expect(out.status == 1)
        #expect(
            out.stderr.contains(
                "mnist-mpi: error: --deterministic needs a power-of-two number of ranks that divides the 8 micro-shards of a batch (got 3 ranks)"
            ))
    }
}
