/// The settings that fix a run's math and its data, as a checkpoint records them (metadata
/// `setting.<name>`): a run resumes only a checkpoint made with the same ones. Epochs, step
/// limits, ranks, threads, checkpointing and output files are not among them: they may change
/// between a run and its resumption.
public struct RunSettings: Sendable, Equatable {
    /// One recorded setting, by its name in checkpoints.
    public enum Name: String, CaseIterable, Sendable {
        case batchSize = "batch_size"
        case dataset
        case datasetSHA256 = "dataset_sha256"
        case epsilon
        case learningRate = "learning_rate"
        case precision
        case reduction
        case rho
        case seed
        case shuffle
        case wirePrecision = "wire_precision"

        /// May differ between a checkpoint and the run resuming it: the wire precision matters
        /// only across nodes, and a run may resume on another layout; the variables are float32
        /// whatever the layers compute in, as Keras lets a model change its dtype policy.
        public var mayChangeOnResume: Bool { self == .wirePrecision || self == .precision }
    }

    /// The summation order of every strategy but `--deterministic`'s tree. Checkpoints before
    /// it had a name of its own recorded it as `allreduce`.
    public static let layoutDependentOrder = "layout-dependent"

    /// The values by name; a checkpoint written before a setting existed lacks it.
    public private(set) var values: [Name: String]
    /// Settings in a checkpoint that this version does not know (written by a newer one).
    public private(set) var unknown: [String: String]

    /// The settings of a run with `options`.
    public init(_ options: TrainingOptions) {
        let checksums = options.dataset.sha256.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        values = [
            .seed: "\(options.seed)", .batchSize: "\(options.batchSize)", .shuffle: "\(options.shuffle)",
            .learningRate: "\(options.optimizer.learningRate)", .rho: "\(options.optimizer.rho)",
            .epsilon: "\(options.optimizer.epsilon)", .reduction: options.summationOrder,
            .dataset: options.dataset.name, .datasetSHA256: sha256Hex(Array(checksums.utf8)),
            .wirePrecision: options.wirePrecision.rawValue, .precision: options.precision.rawValue,
        ]
        unknown = [:]
    }

    static let metadataPrefix = "setting."

    /// The settings among a checkpoint's metadata entries.
    init(metadata: [String: String]) {
        (values, unknown) = ([:], [:])
        for (key, value) in metadata where key.hasPrefix(RunSettings.metadataPrefix) {
            let name = String(key.dropFirst(RunSettings.metadataPrefix.count))
            if let known = Name(rawValue: name) {
                values[known] = known == .reduction && value == "allreduce" ? RunSettings.layoutDependentOrder : value
            } else {
                unknown[name] = value
            }
        }
    }

    /// The metadata entries a checkpoint records.
    var metadata: [String: String] {
        var entries: [String: String] = [:]
        for (name, value) in values { entries[RunSettings.metadataPrefix + name.rawValue] = value }
        for (name, value) in unknown { entries[RunSettings.metadataPrefix + name] = value }
        return entries
    }

    /// The first difference (in name order) that forbids a run with `run`'s settings to resume
    /// a checkpoint made with these, or nil.
    public func mismatch(resumingWith run: RunSettings) -> ResumeMismatch? {
        if let name = unknown.keys.sorted().first { return .unknownSetting(name) }
        for name in Name.allCases where !name.mayChangeOnResume && values[name] != run.values[name] {
            return .differs(name, checkpoint: values[name], run: run.values[name])
        }
        return nil
    }
}

/// Why a run may not resume a checkpoint.
public enum ResumeMismatch: Error, Equatable {
    /// A setting that fixes the math or the data differs (nil: not recorded on that side).
    case differs(RunSettings.Name, checkpoint: String?, run: String?)
    /// The checkpoint records a setting this version does not know.
    case unknownSetting(String)
}
