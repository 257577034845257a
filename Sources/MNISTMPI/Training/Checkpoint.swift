import Foundation

/// A resumable snapshot of training: weights, RMSprop velocities, the position in the run and
/// the settings that fix the math (seed, batch size, shuffling), as one safetensors file.
///
/// Tensors: the model's four (`dense.kernel`, ...) and `optimizer.velocity.<name>` for each.
/// Metadata: `format` = `mnist-mpi-checkpoint`, the position and settings as decimal strings,
/// the metrics `history` as JSON, and `checksum`: the SHA-256 of every other metadata entry
/// (`key=value` lines in key order) followed by the tensor bytes, verified on load.
public struct Checkpoint: Sendable {
    public static let format = "mnist-mpi-checkpoint"
    public var architecture: Architecture
    public var parameters: [Float]
    public var velocity: [Float]
    public var position: TrainingPosition
    public var seed: UInt64
    public var batchSize: Int
    public var shuffle: Bool

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case notACheckpoint(file: String)
        case checksumMismatch(file: String)
        case bad(file: String, field: String)

        public var description: String {
            switch self {
            case let .notACheckpoint(file): return "\(file): not an mnist-mpi checkpoint"
            case let .checksumMismatch(file): return "\(file): checkpoint content does not match its checksum (corrupt)"
            case let .bad(file, field): return "\(file): checkpoint field \(field) is missing or malformed"
            }
        }
    }

    /// A snapshot of a run with these `options`.
    public init(architecture: Architecture, parameters: [Float], velocity: [Float], position: TrainingPosition,
                options: TrainingOptions) {
        self.init(architecture: architecture, parameters: parameters, velocity: velocity, position: position,
                  seed: options.seed, batchSize: options.batchSize, shuffle: options.shuffle)
    }

    public init(architecture: Architecture, parameters: [Float], velocity: [Float], position: TrainingPosition,
                seed: UInt64, batchSize: Int, shuffle: Bool) {
        self.architecture = architecture
        self.parameters = parameters
        self.velocity = velocity
        self.position = position
        self.seed = seed
        self.batchSize = batchSize
        self.shuffle = shuffle
    }

    static let velocityPrefix = "optimizer.velocity."

    public func encode() -> [UInt8] {
        let p = position
        var metadata: [String: String] = [
            "format": Checkpoint.format,
            "version": "1",
            "step": "\(p.step)", "epoch": "\(p.epoch)", "batch_in_epoch": "\(p.batchInEpoch)",
            // Doubles print in their shortest exact form, so they read back bit for bit.
            "loss_sum": "\(p.lossSum)", "correct": "\(p.correct)", "seen": "\(p.seen)", "seconds": "\(p.seconds)",
            "seed": "\(seed)", "batch_size": "\(batchSize)", "shuffle": "\(shuffle)",
            "history": JSON.array(p.history.map { e in
                .object([("loss", .number(e.loss)), ("accuracy", .number(e.accuracy)),
                         ("seconds", .number(e.seconds)), ("steps", .integer(e.steps))]
                        + (e.validation.map { [("val_loss", .number($0.loss)), ("val_accuracy", .number($0.accuracy))] } ?? []))
            }).text,
        ]
        let tensors = ModelFile.tensors(FloatBuffer(parameters), architecture)
            + ModelFile.tensors(FloatBuffer(velocity), architecture, prefix: Checkpoint.velocityPrefix)
        metadata["checksum"] = Checkpoint.checksum(metadata: metadata, tensors: tensors)
        return Safetensors.encode(Safetensors.File(tensors: tensors, metadata: metadata))
    }

    static func checksum(metadata: [String: String], tensors: [Safetensors.Tensor]) -> String {
        var bytes = Array(metadata.filter { $0.key != "checksum" }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)\n" }.joined().utf8)
        for t in tensors {
            t.values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return sha256Hex(bytes)
    }

    /// Parses and verifies a checkpoint of a model shaped like `architecture`.
    public static func decode(_ bytes: [UInt8], name: String, architecture: Architecture) throws -> Checkpoint {
        let file = try Safetensors.decode(bytes, name: name)
        let m = file.metadata
        guard m["format"] == format else { throw LoadError.notACheckpoint(file: name) }
        let params = try ModelFile.parameters(from: file, architecture, name: name)
        let velocity = try ModelFile.parameters(from: file, architecture, prefix: velocityPrefix, name: name)
        let tensors = ModelFile.tensors(params, architecture) + ModelFile.tensors(velocity, architecture, prefix: velocityPrefix)
        guard m["checksum"] == checksum(metadata: m, tensors: tensors) else { throw LoadError.checksumMismatch(file: name) }

        func field<T: LosslessStringConvertible>(_ key: String) throws -> T {
            guard let text = m[key], let value = T(text) else { throw LoadError.bad(file: name, field: key) }
            return value
        }
        var p = TrainingPosition()
        p.step = try field("step")
        p.epoch = try field("epoch")
        p.batchInEpoch = try field("batch_in_epoch")
        p.lossSum = try field("loss_sum")
        p.correct = try field("correct")
        p.seen = try field("seen")
        p.seconds = try field("seconds")
        guard let historyText = m["history"],
              let list = try? JSONSerialization.jsonObject(with: Data(historyText.utf8)) as? [[String: Any]] else {
            throw LoadError.bad(file: name, field: "history")
        }
        p.history = try list.map { e in
            guard let loss = e["loss"] as? Double, let accuracy = e["accuracy"] as? Double,
                  let seconds = e["seconds"] as? Double, let steps = e["steps"] as? Int else {
                throw LoadError.bad(file: name, field: "history")
            }
            var validation: EpochMetrics.Validation?
            if let loss = e["val_loss"] as? Double, let accuracy = e["val_accuracy"] as? Double {
                validation = .init(loss: loss, accuracy: accuracy)
            }
            return EpochMetrics(loss: loss, accuracy: accuracy, seconds: seconds, steps: steps, validation: validation)
        }
        return Checkpoint(architecture: architecture, parameters: params.array, velocity: velocity.array, position: p,
                          seed: try field("seed"), batchSize: try field("batch_size"), shuffle: try field("shuffle"))
    }
}

/// A setting that fixes the math of a run differs between a checkpoint and the run resuming it.
public enum ResumeMismatch: Error, Equatable {
    case seed(checkpoint: UInt64, run: UInt64)
    case batchSize(checkpoint: Int, run: Int)
    case shuffle(checkpoint: Bool, run: Bool)
}

extension Checkpoint {
    /// Throws the first setting in which `options` differ from those this checkpoint was made with.
    public func checkResumable(with options: TrainingOptions) throws {
        if seed != options.seed { throw ResumeMismatch.seed(checkpoint: seed, run: options.seed) }
        if batchSize != options.batchSize { throw ResumeMismatch.batchSize(checkpoint: batchSize, run: options.batchSize) }
        if shuffle != options.shuffle { throw ResumeMismatch.shuffle(checkpoint: shuffle, run: options.shuffle) }
    }
}
