import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// The files `train` writes, checked by the tools users already have (Tests/python/interop.py:
/// safetensors + NumPy, onnx.checker + onnxruntime, csv, xml.etree, zlib), against `predict`.
@Suite(.serialized) struct InteropTests {
    @Test func pythonToolsReadWhatWeWrite() throws {
        let dir = Fixtures.temporaryDirectory()
        let train = try Fixtures.mpirun(
            2,
            [
                "--data-dir", Fixtures.dataDirectory, "--epochs", "2",
                "--save", "\(dir)/model.safetensors", "--export-onnx", "\(dir)/model.onnx",
                "--csv", "\(dir)/log.csv", "--plot", "\(dir)/curves.svg",
                "--history", "\(dir)/history.json",
            ])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("- val_loss: "))
        let check = try Fixtures.run(
            "/usr/bin/env",
            [
                "python3", "\(Fixtures.repo)/Tests/python/interop.py",
                Fixtures.releaseBinary, Fixtures.dataDirectory, dir,
            ])
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        #expect(check.stdout.contains("interop: all checks passed"))
    }
}
