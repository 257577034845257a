/// The trained network as a safetensors file: tensors `dense.kernel` (inputs, hidden),
/// `dense.bias` (hidden), `dense_1.kernel` (hidden, classes), `dense_1.bias` (classes), F32,
/// kernels (in, out) as in Keras (transpose them for PyTorch's `nn.Linear.weight`).
public enum ModelFile {
    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case missingTensor(file: String, name: String)
        case wrongShape(file: String, name: String, found: [Int], expected: [Int])

        public var description: String {
            switch self {
            case let .missingTensor(file, name): return "\(file): has no tensor \(name)"
            case let .wrongShape(file, name, found, expected):
                return "\(file): tensor \(name) has shape \(found), this model needs \(expected)"
            }
        }
    }

    /// What a saved model says about itself: its format, architecture, kernel layout, dataset
    /// and the dataset's file checksums, plus `extra` entries.
    public static func metadata(
        _ architecture: Architecture, dataset: DatasetSpec,
        extra: [String: String] = [:]
    ) -> [String: String] {
        var metadata = [
            "format": "mnist-mpi",
            "architecture": "\(architecture.inputs)-\(architecture.hidden)-\(architecture.classes) dense relu softmax",
            "kernel_layout": "(in, out) as Keras; y = x @ kernel + bias",
            "dataset": dataset.name,
        ]
        for (file, sum) in dataset.sha256 { metadata["sha256:\(file)"] = sum }
        return metadata.merging(extra) { $1 }
    }

    /// The four tensors of `parameters`, named and shaped by `architecture`.
    public static func tensors(_ parameters: FloatBuffer, _ architecture: Architecture, prefix: String = "") -> [Safetensors.Tensor] {
        architecture.tensors.map { t in
            Safetensors.Tensor(
                name: prefix + t.name, shape: t.shape,
                values: Array(UnsafeBufferPointer(start: parameters.pointer + t.offset, count: t.count)))
        }
    }

    /// Copies the tensors named by `architecture` (with `prefix`) out of `file` into a parameter vector.
    public static func parameters(
        from file: Safetensors.File, _ architecture: Architecture, prefix: String = "",
        name: String
    ) throws -> FloatBuffer {
        let params = FloatBuffer(count: architecture.parameterCount)
        for t in architecture.tensors {
            guard let stored = file.tensor(prefix + t.name) else {
                throw LoadError.missingTensor(file: name, name: prefix + t.name)
            }
            guard stored.shape == t.shape else {
                throw LoadError.wrongShape(file: name, name: prefix + t.name, found: stored.shape, expected: t.shape)
            }
            stored.values.withUnsafeBufferPointer { (params.pointer + t.offset).update(from: $0.baseAddress!, count: t.count) }
        }
        return params
    }

    public static func save(
        _ parameters: FloatBuffer, _ architecture: Architecture, metadata: [String: String],
        to path: String
    ) throws {
        let file = Safetensors.File(tensors: tensors(parameters, architecture), metadata: metadata)
        try FileIO.writeAtomically(Safetensors.encode(file), to: path)
    }

    /// The weights in `path`: a safetensors file of ours, or a Keras 3 archive (`.keras`).
    public static func load(_ path: String, _ architecture: Architecture) throws -> FloatBuffer {
        try read(path).parameters(architecture)
    }

    /// A model file read and told apart (safetensors or Keras), before the architecture its
    /// weights are read for is known: a safetensors file's metadata names its dataset.
    public static func read(_ path: String) throws -> Contents {
        let bytes = try FileIO.read(path)
        return Contents(
            path: path, source: KerasFile.isArchive(bytes) ? .keras(bytes) : .safetensors(try Safetensors.decode(bytes, name: path)))
    }

    public struct Contents {
        fileprivate enum Source {
            case keras([UInt8])
            case safetensors(Safetensors.File)
        }
        let path: String
        fileprivate let source: Source

        /// A safetensors file's metadata (a Keras file records none that this program reads).
        public var metadata: [String: String] {
            if case let .safetensors(file) = source { file.metadata } else { [:] }
        }

        /// The dtype policy the file names (a safetensors file's `precision` metadata, a Keras
        /// file's layers'); nil when it names none this program computes in.
        public var precision: Precision? {
            get throws {
                switch source {
                case let .keras(bytes): try KerasFile.precision(bytes, name: path)
                case let .safetensors(file): Precision(rawValue: file.metadata["precision"] ?? Precision.float32.rawValue)
                }
            }
        }

        /// The weights, for a model shaped like `architecture`.
        public func parameters(_ architecture: Architecture) throws -> FloatBuffer {
            switch source {
            case let .keras(bytes): try KerasFile.decode(bytes, name: path, architecture)
            case let .safetensors(file): try ModelFile.parameters(from: file, architecture, name: path)
            }
        }
    }
}
