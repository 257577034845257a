import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// `.keras` files both ways, checked by Keras 3 itself (Tests/python/keras_roundtrip.py), and
/// `--init` from a Keras file in every launch mode.
@Suite(.serialized) struct KerasTests {
    let data = ["--data-dir", Fixtures.dataDirectory]

    @Test func kerasLoadsOursAndWeReadKeras() throws {
        let dir = Fixtures.temporaryDirectory()
        let train = try Fixtures.mpirun(
            2,
            data + [
                "--epochs", "1", "--save", "\(dir)/ours.keras",
                "--history", "\(dir)/history.json", "--checkpoint-dir", "\(dir)/checkpoints",
            ])
        #expect(train.status == 0, "\(train.stderr)")
        let check = try Fixtures.run(
            "/usr/bin/env",
            [
                "python3", "\(Fixtures.repo)/Tests/python/keras_roundtrip.py",
                Fixtures.releaseBinary, Fixtures.dataDirectory, dir,
            ])
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        #expect(check.stdout.contains("keras round trip: all checks passed"))
    }

    /// A mixed-bfloat16 run's `.keras` names Keras's `mixed_bfloat16` policy, with the softmax a
    /// float32 Activation (Tests/python/keras_mixed.py), and mnist-mpi reads it back as the same
    /// network.
    @Test(.enabled(if: Precision.mixedBFloat16.runsHere, "the CPU lacks AVX512_BF16"))
    func kerasLoadsAMixedPrecisionModelWithItsPolicy() throws {
        let dir = Fixtures.temporaryDirectory()
        let train = try Fixtures.mpirun(
            2,
            data + ["--epochs", "1", "--precision", "mixed-bfloat16", "--save", "\(dir)/mixed.keras", "--history", "\(dir)/h.json"])
        #expect(train.status == 0, "\(train.stderr)")
        let check = try Fixtures.run(
            "/usr/bin/env",
            ["python3", "\(Fixtures.repo)/Tests/python/keras_mixed.py", Fixtures.dataDirectory, "\(dir)/mixed.keras", "\(dir)/h.json"])
        #expect(check.status == 0 && check.stdout.contains("keras mixed: all checks passed"), "\(check.stdout)\n\(check.stderr)")
        // evaluate computes in the policy the file names: the run's own final evaluation.
        let history = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/h.json"))) as! [String: Any]
        let accuracy = String(format: "%.4f", try #require(history["test_accuracy"] as? Double))
        let back = try Fixtures.run(Fixtures.releaseBinary, ["evaluate", "--model", "\(dir)/mixed.keras"] + data)
        #expect(back.status == 0 && back.stdout.contains("Test accuracy: \(accuracy)"), "\(accuracy): \(back.stdout)\(back.stderr)")
        // Through safetensors and back, the policy stays.
        for (from, to) in [("mixed.keras", "m.safetensors"), ("m.safetensors", "again.keras")] {
            let export = try Fixtures.run(Fixtures.releaseBinary, ["export", "--model", "\(dir)/\(from)", "--output", "\(dir)/\(to)"])
            #expect(export.status == 0, "\(export.stderr)")
        }
        let again = try ModelFile.read("\(dir)/again.keras")
        #expect(try again.precision == .mixedBFloat16 && ModelFile.read("\(dir)/m.safetensors").precision == .mixedBFloat16)
    }

    /// The same deterministic run from a model's safetensors file and from its `.keras` export,
    /// without mpirun and at np = 1, 2, 4: the same bits everywhere. And back to safetensors:
    /// the same tensors.
    @Test func initFromAKerasFileInEveryMode() throws {
        let dir = Fixtures.temporaryDirectory()
        let seed = try Fixtures.run(Fixtures.releaseBinary, data + ["--max-steps", "20", "--save", "\(dir)/m.safetensors"])
        #expect(seed.status == 0, "\(seed.stderr)")
        let export = try Fixtures.run(Fixtures.releaseBinary, ["export", "--model", "\(dir)/m.safetensors", "--output", "\(dir)/m.keras"])
        #expect(export.status == 0, "\(export.stderr)")
        let back = try Fixtures.run(Fixtures.releaseBinary, ["export", "--model", "\(dir)/m.keras", "--output", "\(dir)/back.safetensors"])
        #expect(back.status == 0, "\(back.stderr)")
        let original = try Safetensors.decode(FileIO.read("\(dir)/m.safetensors"), name: "m")
        let returned = try Safetensors.decode(FileIO.read("\(dir)/back.safetensors"), name: "back")
        #expect(original.tensors == returned.tensors)

        func run(_ np: Int?, from model: String) throws -> [Safetensors.Tensor] {
            let args =
                data + [
                    "--deterministic", "--epochs", "1", "--max-steps", "30", "--init", "\(dir)/\(model)",
                    "--save", "\(dir)/out-\(np ?? 0)-\(model).safetensors",
                ]
            let out = try np.map { try Fixtures.mpirun($0, args) } ?? Fixtures.run(Fixtures.releaseBinary, args)
            #expect(out.status == 0, "\(out.stderr)")
            return try Safetensors.decode(FileIO.read("\(dir)/out-\(np ?? 0)-\(model).safetensors"), name: model).tensors
        }
        let reference = try run(nil, from: "m.safetensors")
        for np in [nil, 1, 2, 4] { #expect(try run(np, from: "m.keras") == reference, "np \(np ?? 0)") }
    }

    /// A Keras model of another shape is one clear line and a failure on every rank.
    @Test func otherArchitecturesAreOneClearError() throws {
        let dir = Fixtures.temporaryDirectory()
        let good = try Zip.Archive(
            KerasFile.encode(
                Architecture().glorotInitialization(seed: 1), Architecture(),
                optimizer: RMSprop()), name: "good")
        let config = String(decoding: try good.contents(of: "config.json")!, as: UTF8.self)
        let wrong = Zip.archive(
            try good.entries.map { e in
                (
                    e.name,
                    e.name == "config.json"
                        ? Array(config.replacingOccurrences(of: #""units":512"#, with: #""units":128"#).utf8)
                        : try good.contents(of: e.name)!
                )
            })
        try FileIO.writeAtomically(wrong, to: "\(dir)/wide.keras")
        let line = "mnist-mpi: error: \(dir)/wide.keras: layer dense is Dense(128, relu), mnist-mpi's model needs Dense(512, relu) there"
        let train = try Fixtures.mpirun(2, data + ["--init", "\(dir)/wide.keras"], timeout: 60)
        #expect(train.status != 0)
        #expect(train.stderr.contains(line), "\(train.stderr)")
        for command in ["evaluate", "predict"] {
            let out = try Fixtures.run(Fixtures.releaseBinary, [command, "--model", "\(dir)/wide.keras"] + data)
            #expect(out.status != 0)
            #expect(out.stderr.components(separatedBy: "\n").filter { !$0.isEmpty } == [line], "\(out.stderr)")
        }
    }
}

extension KerasTests {
    /// A weights file that crashes the HDF5 library (Tests/fuzz/hdf5/) inside a valid archive:
    /// one line and a clean failure on every rank, with or without mpirun.
    @Test func aWeightsFileThatCrashesHDF5IsOneClearError() throws {
        let dir = Fixtures.temporaryDirectory()
        let good = try Zip.Archive(
            KerasFile.encode(
                Architecture().glorotInitialization(seed: 1), Architecture(),
                optimizer: RMSprop()), name: "good")
        let crafted = try FileIO.read("\(Fixtures.repo)/Tests/fuzz/hdf5/segv-in-accum-read")
        try FileIO.writeAtomically(
            Zip.archive([
                ("config.json", try good.contents(of: "config.json")!),
                ("model.weights.h5", crafted),
            ]), to: "\(dir)/crafted.keras")
        let line =
            "mnist-mpi: error: \(dir)/crafted.keras: model.weights.h5: the HDF5 library crashed (signal 11) reading it: a damaged or crafted file"
        for np in [nil, 2] {
            let args = data + ["--init", "\(dir)/crafted.keras"]
            let out = try np.map { try Fixtures.mpirun($0, args, timeout: 60) } ?? Fixtures.run(Fixtures.releaseBinary, args, timeout: 60)
            #expect(out.status == 1, "np \(np ?? 0): \(out.stderr)")
            #expect(out.stderr.contains(line), "\(out.stderr)")
        }
        let evaluate = try Fixtures.run(Fixtures.releaseBinary, ["evaluate", "--model", "\(dir)/crafted.keras"] + data)
        #expect(evaluate.status == 1)
        #expect(evaluate.stderr.components(separatedBy: "\n").filter { !$0.isEmpty } == [line], "\(evaluate.stderr)")
    }
}
