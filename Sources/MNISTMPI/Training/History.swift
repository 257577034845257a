/// The run's record as JSON shaped like Keras's `history.history`
/// (`loss` and `accuracy` lists, one value per epoch), plus the test result and timings.
public struct History: Sendable {
    /// Per epoch, with the test results when validating (Keras's `val_*`).
    public var epochs: [EpochMetrics]
    public var test: Evaluation
    public var ranks: Int
    /// Hosts the ranks ran on (nodes: ranks that share memory).
    public var hosts: Int
    public var threads: Int
    public var startupSeconds: Double
    public var options: TrainingOptions
    public var dataset: String
    /// Rank 0's seconds in each `Timeline.Phase` over the whole run.
    public var phaseSeconds: [Double]
    /// Each rank's memory after training.
    public var memory: [MemoryUse]
    /// The gradient reduction strategy used (`GradientReduction.name`).
    public var reduction: String

    public init(
        epochs: [EpochMetrics], test: Evaluation, ranks: Int, hosts: Int, threads: Int, startupSeconds: Double,
        options: TrainingOptions, dataset: String, phaseSeconds: [Double], memory: [MemoryUse],
        reduction: String
    ) {
        self.epochs = epochs
        self.test = test
        self.ranks = ranks
        self.hosts = hosts
        self.threads = threads
        self.startupSeconds = startupSeconds
        self.options = options
        self.dataset = dataset
        self.phaseSeconds = phaseSeconds
        self.memory = memory
        self.reduction = reduction
    }

    public var json: JSON {
        var validationKeys: [(String, JSON)] = []
        let validation = epochs.map(\.validation)
        if validation.contains(where: { $0 != nil }) {
            validationKeys = [
                ("val_loss", .array(validation.map { $0.map { .number($0.loss) } ?? .null })),
                ("val_accuracy", .array(validation.map { $0.map { .number($0.accuracy) } ?? .null })),
            ]
        }
        return .object(
            [
                ("loss", .array(epochs.map { .number($0.loss) })),
                ("accuracy", .array(epochs.map { .number($0.accuracy) })),
            ] + validationKeys + [
                ("test_loss", .number(test.loss)),
                ("test_accuracy", .number(test.accuracy)),
                ("epoch_seconds", .array(epochs.map { .number($0.seconds) })),
                ("steps", .array(epochs.map { .integer($0.steps) })),
                ("ranks", .integer(ranks)),
                ("hosts", .integer(hosts)),
                ("threads_per_rank", .integer(threads)),
                ("reduction", .string(reduction)),
                ("wire_precision", .string(options.wirePrecision.rawValue)), ("precision", .string(options.precision.rawValue)),
                ("startup_seconds", .number(startupSeconds)),
                ("batch_size", .integer(options.batchSize)),
                ("learning_rate", .number(shortestDecimal(options.optimizer.learningRate))),
                ("seed", .integer(Int(truncatingIfNeeded: options.seed))),
                ("shuffle", .bool(options.shuffle)),
                ("dataset", .string(dataset)),
                ("kernels", .string(Kernels.name)),
                ("blas_kernels", .string(BLAS.coreName)),
                ("peak_rss_mb", .array(memory.map { megabytes($0.peakResident) })),
                ("pss_mb", .array(memory.map { megabytes($0.proportional) })),
                ("phase_seconds_rank0", .object(Timeline.Phase.allCases.map { ($0.name, .number(phaseSeconds[$0.rawValue])) })),
            ])
    }

    /// Bytes in MB (10^6), to one decimal.
    private func megabytes(_ bytes: Int) -> JSON { .number((Double(bytes) / 1e6 * 10).rounded() / 10) }
}
