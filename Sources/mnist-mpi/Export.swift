import ArgumentParser
import MNISTMPI

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a saved model or a checkpoint to ONNX (.onnx), Keras 3 (.keras) or a plain safetensors model (.safetensors).",
        discussion: """
            The ONNX model (opset 13) takes input float[N,784] in [0,1] and gives probabilities \
            float[N,10]: Gemm -> Relu -> Gemm -> Softmax. The Keras model is compiled as the \
            tutorial's (RMSprop with Keras's defaults, sparse categorical cross-entropy, accuracy) \
            with a fresh optimizer.
            """)

    @OptionGroup var options: ModelOptions

    @Option(help: ArgumentHelp("The file to write; its extension (.onnx, .keras or .safetensors) picks the format.", valueName: "file"))
    var output: String

    func validate() throws {
        guard [".onnx", ".keras", ".safetensors"].contains(where: output.hasSuffix) else {
            throw ValidationError("--output must end in .onnx, .keras or .safetensors (got \(output))")
        }
    }

    func run() throws {
        try runOnRankZero {
            let (parameters, architecture, spec, metadata, precision) = try options.load()
            if output.hasSuffix(".onnx") {
                let onnx = ONNX.model(parameters, architecture, dataset: spec, testAccuracy: metadata["test_accuracy"])
                try FileIO.writeAtomically(onnx, to: output)
            } else if output.hasSuffix(".keras") {
                try FileIO.writeAtomically(
                    KerasFile.encode(parameters, architecture, optimizer: RMSprop(), precision: precision), to: output)
            } else {
                // A saved model's description carries over (but for the dataset, which may have
                // been chosen anew); a checkpoint's training state does not.
                var kept = metadata["format"] == "mnist-mpi" ? metadata.filter { $0.key != "dataset" } : [:]
                kept["precision"] = precision.rawValue
                try ModelFile.save(
                    parameters, architecture, metadata: ModelFile.metadata(architecture, dataset: spec, extra: kept), to: output)
            }
            print("Wrote \(output)")
        }
    }
}
