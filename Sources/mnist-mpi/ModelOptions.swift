import ArgumentParser
import MNISTMPI

/// Which dataset, and where its files are: `--dataset` and `--data-dir`, shared by every command.
struct DataOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "mnist or fashion-mnist (Zalando's clothes, same format) (default: mnist, or the dataset a model file records).",
            valueName: "name"))
    var dataset: String?

    @Option(
        help: ArgumentHelp(
            "Directory with the four IDX files, .gz or raw (default: data for mnist, /usr/share/datasets/fashion-mnist for fashion-mnist).",
            valueName: "dir"))
    var dataDir: String?

    func validate() throws {
        if let dataset, DatasetSpec.named(dataset) == nil {
            throw ValidationError("--dataset must be one of \(DatasetSpec.known.map(\.name).joined(separator: ", ")) (got \(dataset))")
        }
    }

    /// The dataset `--dataset` names (checked by `validate`), else `fallback`.
    func spec(or fallback: DatasetSpec = .mnist) -> DatasetSpec { dataset.flatMap(DatasetSpec.named) ?? fallback }

    func directory(for spec: DatasetSpec) -> String { dataDir ?? spec.defaultDirectory }

    func load(_ spec: DatasetSpec) throws -> Dataset { try Dataset.load(spec, from: directory(for: spec)) }
}

/// The options of the commands that use a trained model: which file, which dataset.
struct ModelOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A model saved by --save, a checkpoint (safetensors), or a Keras 3 model (.keras) of the tutorial's network.", valueName: "file"
        ))
    var model: String

    @OptionGroup var data: DataOptions

    @Option(
        help: ArgumentHelp(
            "How the layers compute: float32 or mixed-bfloat16 (default: the policy the model file names, float32 where this CPU lacks AVX512_BF16).",
            valueName: "policy"))
    var precision: Precision?

    /// For the commands that compute with the model (`evaluate`, `predict`; `export` only
    /// writes the policy into the file): a policy asked for that this CPU cannot compute in.
    func refuseUncomputable() throws {
        if let precision, !precision.runsHere {
            throw ValidationError(Messages.unavailable(precision))
        }
    }

    /// The model's weights, the dataset it belongs to (a Keras file does not say: --dataset,
    /// else MNIST) and its dtype policy (--precision, else the one the file names).
    func load() throws -> (
        parameters: FloatBuffer, architecture: Architecture, dataset: DatasetSpec, metadata: [String: String], precision: Precision
    ) {
        let contents = try ModelFile.read(model)
        let spec = data.spec(or: contents.metadata["dataset"].flatMap(DatasetSpec.named) ?? .mnist)
        let architecture = Architecture(classes: spec.classNames.count)
        let policy = try precision ?? contents.precision ?? .float32
        return (try contents.parameters(architecture), architecture, spec, contents.metadata, policy)
    }

    /// `policy`, or float32 (with a note) where this CPU cannot compute in it.
    func computable(_ policy: Precision) -> Precision {
        guard !policy.runsHere else { return policy }
        Terminal.error("mnist-mpi: note: \(model) names \(policy.kerasPolicy), which needs AVX512_BF16; computing in float32")
        return .float32
    }

    func loadData(_ spec: DatasetSpec) throws -> Dataset { try data.load(spec) }
}

/// Which half of a dataset.
enum SplitName: String, ExpressibleByArgument, CaseIterable {
    case train, test

    func of(_ data: Dataset) -> Split { self == .train ? data.train : data.test }
}
