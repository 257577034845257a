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

    /// One more step, over `samples` samples with these sums.
    mutating func advance(samples: Int, lossSum: Double, correct: Double) {
        step += 1
        batchInEpoch += 1
        seen += samples
        self.lossSum += lossSum
        self.correct += correct
    }

    /// The next epoch, from its first batch.
    mutating func startNextEpoch() {
        epoch += 1
        batchInEpoch = 0
        (lossSum, correct, seen, seconds) = (0, 0, 0, 0)
    }
}
