/// Settings of one training run; defaults are the tutorial's.
public struct TrainingOptions: Sendable, Equatable {
    public var epochs = 5
    public var batchSize = 128
    public var optimizer = RMSprop()
    public var seed: UInt64 = 42
    public var shuffle = true
    /// Stop after this many optimizer steps in total (nil: run every epoch to the end).
    public var maxSteps: Int?

    public init() {}
}

/// Loss and accuracy of one epoch, as Keras reports them.
public struct EpochMetrics: Sendable, Equatable {
    public var loss: Double
    public var accuracy: Double
    public var seconds: Double
    public var steps: Int
}

/// A training failure every rank agrees on (each sees the same reduced numbers).
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case nonFiniteLoss(epoch: Int, step: Int, value: Float)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, step, value):
            return "loss became \(value) at epoch \(epoch), step \(step): training diverged (learning rate too high?)"
        }
    }
}

/// Observes training from rank 0: progress bars, logs.
public protocol TrainingObserver: AnyObject {
    func epochStarted(_ epoch: Int, of epochs: Int, steps: Int)
    func stepEnded(_ step: Int, loss: Double, accuracy: Double)
    func epochEnded(_ epoch: Int, metrics: EpochMetrics)
}

/// Data-parallel training of the network. Every rank runs the same code on its own shard:
///
///     for each global batch:
///         forward + backward on this rank's shard -> gradient sums (+ loss, correct count)
///         one allreduce of that whole buffer
///         divide by the global batch size and take the same RMSprop step everywhere
///
/// so the weights stay identical on every rank without ever being sent again.
public final class Trainer {
    public let comm: Communicator
    public let architecture: Architecture
    public let options: TrainingOptions
    public let data: Split
    /// Weights, laid out as `architecture` says; identical on every rank.
    public let parameters: FloatBuffer
    /// RMSprop's running mean of squared gradients, same layout.
    public let velocity: FloatBuffer
    /// Gradient sums, followed by the metric sums that ride along in the same allreduce.
    private let reduced: FloatBuffer
    private let workspace: Workspace
    /// Optimizer steps taken so far.
    public private(set) var step = 0
    public private(set) var history: [EpochMetrics] = []
    /// Time per phase of the step, and the per-step events when profiling.
    public let timeline: Timeline

    /// Slots after the gradients in `reduced`.
    private enum Tail: Int, CaseIterable { case loss, correct }

    public init(comm: Communicator, architecture: Architecture, options: TrainingOptions,
                data: Split, initialParameters: FloatBuffer, profile: Bool = false) {
        precondition(initialParameters.count == architecture.parameterCount)
        self.comm = comm
        self.architecture = architecture
        self.options = options
        self.data = data
        parameters = FloatBuffer(count: architecture.parameterCount)
        parameters.copy(from: initialParameters)
        velocity = FloatBuffer(count: architecture.parameterCount)
        reduced = FloatBuffer(count: architecture.parameterCount + Tail.allCases.count)
        let largestShard = Sharding.shard(batchSize: options.batchSize, ranks: comm.size, rank: 0).count
        workspace = Workspace(architecture, capacity: largestShard)
        let steps = (data.count + options.batchSize - 1) / options.batchSize * options.epochs
        timeline = Timeline(recordsEvents: profile, expectedSteps: min(steps, options.maxSteps ?? steps))
    }

    /// Steps in one epoch.
    public var stepsPerEpoch: Int { (data.count + options.batchSize - 1) / options.batchSize }

    /// The order in which samples are visited in `epoch` (0-based): a permutation drawn from
    /// `SplitMix64(seed:stream: 1 + epoch)`, the same on every rank, or 0..<n without shuffling.
    public func order(epoch: Int) -> [Int32] {
        guard options.shuffle else { return (0..<Int32(data.count)).map { $0 } }
        var rng = SplitMix64(seed: options.seed, stream: UInt64(1 + epoch))
        return rng.permutation(data.count)
    }

    /// Records `phase` of the current step as ending now; returns now.
    private func lap(_ phase: Timeline.Phase, since start: Double) -> Double {
        let now = monotonicSeconds()
        timeline.record(phase, step: step, from: start, to: now)
        return now
    }

    /// Runs every epoch (or up to `maxSteps`), telling `observer` (rank 0's) how it goes.
    public func train(observer: TrainingObserver? = nil) throws {
        let n = architecture.parameterCount
        let tail = reduced.pointer + n
        for epoch in 0..<options.epochs {
            if let maxSteps = options.maxSteps, step >= maxSteps { break }
            let start = comm.time()
            let order = order(epoch: epoch)
            var lossSum = 0.0, correct = 0.0, seen = 0, steps = 0
            observer?.epochStarted(epoch, of: options.epochs, steps: stepsPerEpoch)
            for batch in Sharding.batches(samples: data.count, batchSize: options.batchSize) {
                if let maxSteps = options.maxSteps, step >= maxSteps { break }
                let shard = Sharding.shard(batchSize: batch.count, ranks: comm.size, rank: comm.rank)
                let rows = shard.count
                var t0 = monotonicSeconds()
                if rows > 0 {
                    let first = batch.lowerBound + shard.lowerBound
                    workspace.load(data, indices: order[first..<(first + rows)])
                    t0 = lap(.load, since: t0)
                    Network.forward(parameters, workspace, rows: rows)
                    t0 = lap(.forward, since: t0)
                    let (loss, hits) = Network.backward(parameters, workspace, rows: rows, gradients: reduced.pointer)
                    tail[Tail.loss.rawValue] = loss
                    tail[Tail.correct.rawValue] = Float(hits)
                    t0 = lap(.backward, since: t0)
                } else {
                    reduced.fill(0)
                }
                comm.allreduceSum(reduced.pointer, count: reduced.count)
                t0 = lap(.allreduce, since: t0)

                let batchLoss = tail[Tail.loss.rawValue]
                guard batchLoss.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch + 1, step: step + 1, value: batchLoss)
                }
                options.optimizer.step(weights: parameters.pointer, velocity: velocity.pointer,
                                       gradientSums: reduced.pointer, batchSize: batch.count, count: n)
                _ = lap(.optimizer, since: t0)
                step += 1
                steps += 1
                seen += batch.count
                lossSum += Double(batchLoss)
                correct += Double(tail[Tail.correct.rawValue])
                observer?.stepEnded(steps, loss: lossSum / Double(seen), accuracy: correct / Double(seen))
            }
            let metrics = EpochMetrics(loss: lossSum / Double(max(seen, 1)), accuracy: correct / Double(max(seen, 1)),
                                       seconds: comm.time() - start, steps: steps)
            history.append(metrics)
            observer?.epochEnded(epoch, metrics: metrics)
        }
    }
}
