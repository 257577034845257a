/// Settings of one training run; defaults are the tutorial's.
public struct TrainingOptions: Sendable, Equatable {
    public var epochs = 5
    public var batchSize = 128
    public var optimizer = RMSprop()
    public var seed: UInt64 = 42
    public var shuffle = true
    /// Stop after this many optimizer steps in total (nil: run every epoch to the end).
    public var maxSteps: Int?
    /// Where to write checkpoints (nil: none), and how often besides every epoch's end.
    public var checkpoints: CheckpointStore?
    public var checkpointEverySteps: Int?
    /// Sum gradients over this many micro-shards per batch in a fixed tree, for results that
    /// are bitwise the same for every power-of-two rank count (nil: one MPI_Allreduce).
    public var deterministicMicroShards: Int?

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
    /// A rank received SIGTERM/SIGINT (`signal` is this rank's, or 0 if only a peer's).
    case stopped(step: Int, signal: Int32, checkpoint: String?)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, step, value):
            return "loss became \(value.isNaN ? "NaN" : "\(value)") at epoch \(epoch), step \(step): training diverged (learning rate too high?)"
        case let .stopped(step, _, checkpoint):
            let saved = checkpoint.map { "; checkpoint \($0) written, continue with --resume" } ?? "; no --checkpoint-dir, progress not saved"
            return "stopped by a signal after step \(step)\(saved)"
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
    /// Where training stands (identical on every rank).
    public private(set) var position = TrainingPosition()
    /// Time per phase of the step, and the per-step events when profiling.
    public let timeline: Timeline
    /// Gradient sums, followed by the sums that ride along in the same allreduce.
    private let reduced: FloatBuffer
    private let workspace: Workspace
    /// With `deterministicMicroShards`: the micro-shards and the tree that sums them.
    private let microShards: MicroShards?
    private let tree: TreeReducer?

    /// Slots after the gradients in `reduced`: the shard's loss sum and correct count, and 1
    /// from a rank that was asked to stop.
    private enum Tail: Int, CaseIterable { case loss, correct, stop }

    public var history: [EpochMetrics] { position.history }

    /// - Parameter resume: continue from this checkpoint's weights, velocities and position.
    public init(comm: Communicator, architecture: Architecture, options: TrainingOptions,
                data: Split, initialParameters: FloatBuffer, resume: Checkpoint? = nil, profile: Bool = false) throws {
        precondition(initialParameters.count == architecture.parameterCount)
        self.comm = comm
        self.architecture = architecture
        self.options = options
        self.data = data
        parameters = FloatBuffer(count: architecture.parameterCount)
        parameters.copy(from: initialParameters)
        velocity = FloatBuffer(count: architecture.parameterCount)
        if let resume {
            parameters.copy(from: FloatBuffer(resume.parameters))
            velocity.copy(from: FloatBuffer(resume.velocity))
            position = resume.position
        }
        reduced = FloatBuffer(count: architecture.parameterCount + Tail.allCases.count)
        var largestShard = Sharding.shard(batchSize: options.batchSize, ranks: comm.size, rank: 0).count
        if let count = options.deterministicMicroShards {
            let micro = try MicroShards(count: count, ranks: comm.size)
            microShards = micro
            tree = TreeReducer(first: reduced, microShardsPerRank: count / comm.size)
            largestShard = micro.owned(by: 0, of: comm.size).reduce(0) { $0 + micro.rows($1, batchSize: options.batchSize).count }
        } else {
            microShards = nil
            tree = nil
        }
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

    /// The whole training state, for a checkpoint.
    public var checkpoint: Checkpoint {
        Checkpoint(architecture: architecture, parameters: parameters.array, velocity: velocity.array, position: position,
                   seed: options.seed, batchSize: options.batchSize, shuffle: options.shuffle)
    }

    private var reachedMaxSteps: Bool { options.maxSteps.map { position.step >= $0 } ?? false }

    /// Runs the remaining epochs (or up to `maxSteps`), telling `observer` (rank 0's) how it goes.
    /// Throws `TrainingError.stopped` when a rank was sent SIGTERM/SIGINT, after the
    /// checkpoint, if any, is written.
    public func train(observer: TrainingObserver? = nil) throws {
        StopRequest.installHandlers()
        var stopped = false
        defer { StopRequest.restoreDefaults(deliverPending: !stopped) }
        while position.epoch < options.epochs && !reachedMaxSteps {
            let epoch = position.epoch
            let batches = Sharding.batches(samples: data.count, batchSize: options.batchSize)
            let order = order(epoch: epoch)
            let start = comm.time() - position.seconds
            observer?.epochStarted(epoch, of: options.epochs, steps: batches.count)
            while position.batchInEpoch < batches.count && !reachedMaxSteps {
                let stop = try step(batches[position.batchInEpoch], order: order)
                position.seconds = comm.time() - start
                observer?.stepEnded(position.batchInEpoch, loss: position.lossSum / Double(position.seen),
                                    accuracy: position.correct / Double(position.seen))
                if stop {
                    stopped = true
                    let path = try saveCheckpoint()
                    throw TrainingError.stopped(step: position.step, signal: StopRequest.signal, checkpoint: path)
                }
                if let every = options.checkpointEverySteps, position.step % every == 0, position.batchInEpoch < batches.count {
                    _ = try saveCheckpoint()
                }
            }
            let seen = Double(max(position.seen, 1))
            let metrics = EpochMetrics(loss: position.lossSum / seen, accuracy: position.correct / seen,
                                       seconds: position.seconds, steps: position.batchInEpoch)
            observer?.epochEnded(epoch, metrics: metrics)
            position.history.append(metrics)
            if position.batchInEpoch < batches.count { break }  // --max-steps ended the run mid-epoch
            position.epoch += 1
            position.batchInEpoch = 0
            (position.lossSum, position.correct, position.seen, position.seconds) = (0, 0, 0, 0)
            _ = try saveCheckpoint()
        }
    }

    /// One optimizer step on `batch` (positions in the epoch's `order`). Returns whether any
    /// rank was asked to stop.
    private func step(_ batch: Range<Int>, order: [Int32]) throws -> Bool {
        let n = architecture.parameterCount
        let tail = reduced.pointer + n
        let shard = rowsOfThisRank(batchSize: batch.count)
        let rows = shard.count
        var t0 = monotonicSeconds()
        if rows > 0 {
            let first = batch.lowerBound + shard.lowerBound
            workspace.load(data, indices: order[first..<(first + rows)])
            t0 = lap(.load, since: t0)
        }
        if let microShards, let tree {
            // Forward and backward one micro-shard at a time, each into its own buffer: the
            // same BLAS calls whatever the rank count. Then the fixed tree over all of them.
            for (k, m) in microShards.owned(by: comm.rank, of: comm.size).enumerated() {
                let range = microShards.rows(m, batchSize: batch.count).shifted(by: -shard.lowerBound)
                let buffer = tree.buffers[k].pointer
                guard !range.isEmpty else {
                    buffer.update(repeating: 0, count: tree.buffers[k].count)
                    continue
                }
                Network.forward(parameters, workspace, rows: range)
                let (loss, hits) = Network.backward(parameters, workspace, rows: range, gradients: buffer)
                (buffer + n)[Tail.loss.rawValue] = loss
                (buffer + n)[Tail.correct.rawValue] = Float(hits)
                (buffer + n)[Tail.stop.rawValue] = 0
            }
            tail[Tail.stop.rawValue] = StopRequest.signal != 0 ? 1 : 0
            t0 = lap(.backward, since: t0)
            Watchdog.arm()
            tree.reduce(comm)
            Watchdog.disarm()
            t0 = lap(.allreduce, since: t0)
        } else {
            if rows > 0 {
                Network.forward(parameters, workspace, rows: 0..<rows)
                t0 = lap(.forward, since: t0)
                let (loss, hits) = Network.backward(parameters, workspace, rows: 0..<rows, gradients: reduced.pointer)
                tail[Tail.loss.rawValue] = loss
                tail[Tail.correct.rawValue] = Float(hits)
                t0 = lap(.backward, since: t0)
            } else {
                reduced.fill(0)
            }
            tail[Tail.stop.rawValue] = StopRequest.signal != 0 ? 1 : 0
            Watchdog.arm()
            comm.allreduceSum(reduced.pointer, count: reduced.count)
            Watchdog.disarm()
            t0 = lap(.allreduce, since: t0)
        }

        let batchLoss = tail[Tail.loss.rawValue]
        guard batchLoss.isFinite else {
            throw TrainingError.nonFiniteLoss(epoch: position.epoch + 1, step: position.step + 1, value: batchLoss)
        }
        options.optimizer.step(weights: parameters.pointer, velocity: velocity.pointer,
                               gradientSums: reduced.pointer, batchSize: batch.count, count: n)
        _ = lap(.optimizer, since: t0)
        position.step += 1
        position.batchInEpoch += 1
        position.seen += batch.count
        position.lossSum += Double(batchLoss)
        position.correct += Double(tail[Tail.correct.rawValue])
        return tail[Tail.stop.rawValue] > 0
    }

    /// Positions of the global batch this rank computes: its contiguous shard, or the rows of
    /// its micro-shards.
    private func rowsOfThisRank(batchSize: Int) -> Range<Int> {
        guard let microShards else { return Sharding.shard(batchSize: batchSize, ranks: comm.size, rank: comm.rank) }
        let mine = microShards.owned(by: comm.rank, of: comm.size)
        return microShards.rows(mine.lowerBound, batchSize: batchSize).lowerBound
            ..< microShards.rows(mine.upperBound - 1, batchSize: batchSize).upperBound
    }

    /// Rank 0 writes a checkpoint, if a store is set; every rank learns whether that worked.
    private func saveCheckpoint() throws -> String? {
        guard let store = options.checkpoints else { return nil }
        return try comm.onRoot { () throws -> String in
            try store.save(checkpoint)
            return store.path(step: position.step)
        } ?? store.path(step: position.step)
    }

    /// Records `phase` of the current step as ending now; returns now.
    private func lap(_ phase: Timeline.Phase, since start: Double) -> Double {
        let now = monotonicSeconds()
        timeline.record(phase, step: position.step, from: start, to: now)
        return now
    }
}

extension Range where Bound == Int {
    func shifted(by offset: Int) -> Range<Int> { (lowerBound + offset)..<(upperBound + offset) }
}
