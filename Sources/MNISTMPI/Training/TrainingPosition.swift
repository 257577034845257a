/// Where training stands: everything besides the weights and optimizer state that a
/// checkpoint needs to continue exactly as an uninterrupted run would.
public struct TrainingPosition: Sendable, Equatable {
    /// Optimizer steps taken in total.
    public var step = 0
    /// The epoch in progress (0-based), and how many of its batches are done.
    public var epoch = 0
    public var batchInEpoch = 0
    /// Running sums of the epoch in progress (what its progress line shows).
    public var lossSum = 0.0
    public var correct = 0.0
    public var seen = 0
    public var seconds = 0.0
    /// Finished epochs.
    public var history: [EpochMetrics] = []

    public init() {}
}
