import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// The subcommands on a model trained here: evaluate, predict, show, export.
@Suite(.serialized) struct CommandTests {
    static let trained: (dir: String, model: String) = {
        let dir = Fixtures.temporaryDirectory()
        _ = try! Fixtures.run(
            Fixtures.releaseBinary,
            [
                "--data-dir", Fixtures.dataDirectory, "--max-steps", "200",
                "--epochs", "1", "--save", "\(dir)/model.safetensors",
                "--checkpoint-dir", "\(dir)/ck", "--checkpoint-every", "100",
            ])
        return (dir, "\(dir)/model.safetensors")
    }()
    var data: [String] { ["--model", Self.trained.model, "--data-dir", Fixtures.dataDirectory] }

    @Test func evaluateMatchesTheSavedAccuracyUnderMpirun() throws {
        let svg = "\(Self.trained.dir)/confusion.svg"
        let out = try Fixtures.mpirun(2, ["evaluate"] + data + ["--plot", svg])
        #expect(out.status == 0, "\(out.stderr)")
        let saved = try Safetensors.decode(FileIO.read(Self.trained.model), name: "m").metadata["test_accuracy"]!
        #expect(out.stdout.contains("Test accuracy: \(format4(Double(saved)!))"), "\(out.stdout)")
        // Printed once (rank 0), with the matrix and the per-class table.
        #expect(out.stdout.components(separatedBy: "Confusion matrix").count == 2)
        #expect(out.stdout.contains("precision     recall   f1-score    support"))
        #expect(out.stdout.contains("macro avg"))
        let picture = Fixtures.text(svg)
        #expect(picture.hasPrefix("<?xml") && picture.contains("predicted class") && picture.hasSuffix("</svg>\n"))
    }

    @Test func predictPrintsTheTutorialsFirstTen() throws {
        let out = try Fixtures.run(Fixtures.releaseBinary, ["predict"] + data + ["--index", "0..9"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("#0: predicted 7"), "\(out.stdout)")  // test image 0 is a 7
        #expect(out.stdout.contains("#9: "))
        #expect(!out.stdout.contains("#10: "))
    }

    @Test func predictRejectsBadIndicesAndBadImages() throws {
        let range = try Fixtures.run(Fixtures.releaseBinary, ["predict"] + data + ["--index", "10000"])
        #expect(range.status == 1)
        #expect(range.stderr.contains("--index 10000 is out of range: the test split has 10000 images"))
        let syntax = try Fixtures.run(Fixtures.releaseBinary, ["predict"] + data + ["--index", "9..3"])
        #expect(syntax.status == 64 && syntax.stderr.contains("--index wants indices like 0..9"))
        let junk = "\(Self.trained.dir)/junk.png"
        try Data(PNG.signature + [0, 0, 0, 13]).write(to: URL(fileURLWithPath: junk))
        let bad = try Fixtures.run(Fixtures.releaseBinary, ["predict"] + data + [junk])
        #expect(bad.status == 1 && bad.stderr.contains("\(junk): bad PNG: truncated before IEND"), "\(bad.stderr)")
    }

    @Test func showWritesTheDigitAsPNG() throws {
        let path = "\(Self.trained.dir)/four.png"
        let out = try Fixtures.run(
            Fixtures.releaseBinary, ["show", "--index", "4", "--data-dir", Fixtures.dataDirectory, "--output", path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("mnist train image #4, label 9"))
        let train = try Dataset.load(.mnist, from: Fixtures.dataDirectory).train
        #expect(try PNG.decode(FileIO.read(path), name: path) == train.image(4))
    }

    @Test func exportTurnsACheckpointIntoAModel() throws {
        let checkpoint = "\(Self.trained.dir)/ck/checkpoint-00000200.safetensors"
        let out = "\(Self.trained.dir)/from-checkpoint.safetensors"
        let run = try Fixtures.run(Fixtures.releaseBinary, ["export", "--model", checkpoint, "--output", out])
        #expect(run.status == 0, "\(run.stderr)")
        let exported = try Safetensors.decode(FileIO.read(out), name: out)
        #expect(exported.tensors.map(\.name) == Architecture().tensors.map(\.name))  // no optimizer state
        #expect(try differing(ModelFile.load(out, Architecture()).array, ModelFile.load(Self.trained.model, Architecture()).array) == 0)
        let onnx = try Fixtures.run(Fixtures.releaseBinary, ["export", "--model", checkpoint, "--output", "\(Self.trained.dir)/m.onnx"])
        #expect(onnx.status == 0)
        let wrong = try Fixtures.run(Fixtures.releaseBinary, ["export", "--model", checkpoint, "--output", "m.pt"])
        #expect(wrong.status == 64 && wrong.stderr.contains("--output must end in .onnx, .keras or .safetensors"))
    }
}
