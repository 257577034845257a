/// A resumable snapshot of training, as one safetensors file: weights, RMSprop velocities, the
/// position in the run, the run's identity and every setting that fixes its math and data.
///
/// Tensors: the model's four (`dense.kernel`, ...) and `optimizer.velocity.<name>` for each.
/// Metadata: `format` = `mnist-mpi-checkpoint`, `version` 2, `run_id`, the position as decimal
/// strings, the settings as `setting.<name>`, the metrics `history` as JSON, and `checksum`:
/// the SHA-256 of every other metadata entry (`key=value` lines in key order) followed by the
/// tensor bytes, verified on load.
public struct Checkpoint: Sendable {
    public static let format = "mnist-mpi-checkpoint"
    static let version = "2"
    public var architecture: Architecture
    public var parameters: [Float]
    public var velocity: [Float]
    public var position: TrainingPosition
    /// The run that wrote it: a fresh run draws one; a resumed run keeps its checkpoint's.
    public var runID: String
    /// The settings of that run that fix its math and data.
    public var settings: RunSettings

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

    public init(
        architecture: Architecture, parameters: [Float], velocity: [Float], position: TrainingPosition,
        runID: String, settings: RunSettings
    ) {
        self.architecture = architecture
        self.parameters = parameters
        self.velocity = velocity
        self.position = position
        self.runID = runID
        self.settings = settings
    }

    /// A new run's identity: 16 random hex digits.
    public static func newRunID() -> String {
        var rng = SystemRandomNumberGenerator()
        return hex((0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    static let velocityPrefix = "optimizer.velocity."

    public func encode() -> [UInt8] {
        let p = position
        var metadata: [String: String] = [
            "format": Checkpoint.format,
            "version": Checkpoint.version,
            "run_id": runID,
            "step": "\(p.step)", "epoch": "\(p.epoch)", "batch_in_epoch": "\(p.batchInEpoch)",
            // Doubles print in their shortest exact form, so they read back bit for bit.
            "loss_sum": "\(p.lossSum)", "correct": "\(p.correct)", "seen": "\(p.seen)", "seconds": "\(p.seconds)",
            "history": JSON.array(
                p.history.map { e in
                    .object(
                        [
                            ("loss", .number(e.loss)), ("accuracy", .number(e.accuracy)),
                            ("seconds", .number(e.seconds)), ("steps", .integer(e.steps)),
                        ]
                            + (e.validation.map { [("val_loss", .number($0.loss)), ("val_accuracy", .number($0.accuracy))] } ?? []))
                }
            ).text,
        ]
        metadata.merge(settings.metadata) { _, setting in setting }
        let tensors =
            ModelFile.tensors(FloatBuffer(parameters), architecture)
            + ModelFile.tensors(FloatBuffer(velocity), architecture, prefix: Checkpoint.velocityPrefix)
        metadata["checksum"] = Checkpoint.checksum(metadata: metadata, tensors: tensors)
        return Safetensors.encode(Safetensors.File(tensors: tensors, metadata: metadata))
    }

    static func checksum(metadata: [String: String], tensors: [Safetensors.Tensor]) -> String {
        var bytes = Array(
            metadata.filter { $0.key != "checksum" }.sorted { $0.key < $1.key }
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
        guard m["version"] == version else { throw LoadError.bad(file: name, field: "version") }
        let params = try ModelFile.parameters(from: file, architecture, name: name)
        let velocity = try ModelFile.parameters(from: file, architecture, prefix: velocityPrefix, name: name)
        let tensors = ModelFile.tensors(params, architecture) + ModelFile.tensors(velocity, architecture, prefix: velocityPrefix)
        guard m["checksum"] == checksum(metadata: m, tensors: tensors) else { throw LoadError.checksumMismatch(file: name) }
        guard let runID = m["run_id"], !runID.isEmpty else { throw LoadError.bad(file: name, field: "run_id") }
        return Checkpoint(
            architecture: architecture, parameters: params.array, velocity: velocity.array,
            position: try position(m, name: name), runID: runID, settings: RunSettings(metadata: m))
    }

    private static func position(_ m: [String: String], name: String) throws -> TrainingPosition {
        /// A count: a whole number, not negative.
        func count(_ key: String) throws -> Int {
            guard let text = m[key], let value = Int(text), value >= 0 else { throw LoadError.bad(file: name, field: key) }
            return value
        }
        func sum(_ key: String) throws -> Double {
            guard let text = m[key], let value = Double(text), value.isFinite else { throw LoadError.bad(file: name, field: key) }
            return value
        }
        var p = TrainingPosition()
        (p.step, p.epoch, p.batchInEpoch, p.seen) = (try count("step"), try count("epoch"), try count("batch_in_epoch"), try count("seen"))
        (p.lossSum, p.correct, p.seconds) = (try sum("loss_sum"), try sum("correct"), try sum("seconds"))
        guard let historyText = m["history"], let list = try? JSON.parse(historyText.utf8).array else {
            throw LoadError.bad(file: name, field: "history")
        }
        p.history = try list.map { e in
            guard let loss = e["loss"]?.double, let accuracy = e["accuracy"]?.double,
                let seconds = e["seconds"]?.double, let steps = e["steps"]?.int, steps >= 0
            else {
                throw LoadError.bad(file: name, field: "history")
            }
            var validation: EpochMetrics.Validation?
            if let loss = e["val_loss"]?.double, let accuracy = e["val_accuracy"]?.double {
                validation = .init(loss: loss, accuracy: accuracy)
            }
            return EpochMetrics(loss: loss, accuracy: accuracy, seconds: seconds, steps: steps, validation: validation)
        }
        return p
    }
}

extension Checkpoint {
    /// Throws the first setting (in name order) in which `settings` differ from the ones this
    /// checkpoint was made with.
    public func checkResumable(with settings: RunSettings) throws {
        if let mismatch = self.settings.mismatch(resumingWith: settings) { throw mismatch }
    }
}
