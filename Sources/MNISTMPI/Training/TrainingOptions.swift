/// Settings of one training run; defaults are the tutorial's.
public struct TrainingOptions: Sendable {
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
    /// How the ranks' gradients are summed.
    public var reduction = Reduction.allreduce
    /// The number format of gradient sums between nodes (hierarchical reduction only).
    public var wirePrecision = WirePrecision.float32
    /// What is trained on (recorded in checkpoints).
    public var dataset = DatasetSpec.mnist

    public init() {}

    /// What a checkpoint of this run records: a run resumes only a checkpoint made with the same.
    public var settings: RunSettings { RunSettings(self) }

    /// The gradient reduction strategies (each one file in Parallel/).
    public enum Reduction: Sendable, Equatable {
        /// One in-place allreduce of each rank's shard sums.
        case allreduce
        /// A reduce-scatter, each rank's optimizer step on its slice, an allgather (ZeRO-1).
        case sharded
        /// The sharded step through memory shared by ranks on one machine (no messages).
        case sharedMemory
        /// The sharded step over nodes: shared memory on each, only the node sums between them.
        case hierarchical
        /// Hosts exchange the batch's hidden-layer gradients, not the first layer's gradient,
        /// and each rank forms its rows of that from the whole batch (`FactoredReduction`).
        case factored
        /// `sharedMemory` when every rank shares one machine's memory, else `hierarchical`
        /// when every node runs as many ranks, else `allreduce`.
        case automatic
        /// Sums over this many micro-shards per batch in a fixed tree: bitwise the same
        /// results for every power-of-two rank count that divides it.
        case deterministicTree(microShards: Int)

        /// The order in which the strategy sums, as checkpoints record it under `reduction`:
        /// `allreduce` (an order that depends on the rank count, which every strategy but the
        /// tree shares, so each resumes the others' checkpoints), or
        /// `deterministic-tree/<micro-shards>`.
        public var summationOrder: String {
            switch self {
            case .allreduce, .sharded, .sharedMemory, .hierarchical, .factored, .automatic: return "allreduce"
            case let .deterministicTree(count): return "deterministic-tree/\(count)"
            }
        }

        /// Whether the sums are bitwise the same for every rank count (`--deterministic`).
        public var isDeterministic: Bool {
            if case .deterministicTree = self { true } else { false }
        }

        /// The strategy, for `comm`'s rank, training `architecture` in batches of up to `largestBatch`.
        func make(comm: Communicator, architecture: Architecture, largestBatch: Int, wire: WirePrecision) throws
            -> GradientReduction
        {
            let parameterCount = architecture.parameterCount
            switch self {
            case .allreduce:
                return AllreduceReduction(comm: comm, parameterCount: parameterCount)
            case .sharded:
                return ShardedReduction(comm: comm, parameterCount: parameterCount)
            case .sharedMemory:
                return try SharedMemoryReduction(comm: comm, parameterCount: parameterCount)
            case .hierarchical:
                return try HierarchicalReduction(comm: comm, parameterCount: parameterCount, wire: wire)
            case .factored:
                return try FactoredReduction(comm: comm, architecture: architecture, capacity: largestBatch, wire: wire)
            case .automatic:
                // Every rank learns the same: sharedSegments is nil on all ranks or on none, and
                // every rank sees the same census of nodes.
                return (try? SharedMemoryReduction(comm: comm, parameterCount: parameterCount))
                    ?? (try? HierarchicalReduction(comm: comm, parameterCount: parameterCount, wire: wire))
                    ?? AllreduceReduction(comm: comm, parameterCount: parameterCount)
            case let .deterministicTree(count):
                return TreeReduction(
                    comm: comm, microShards: try MicroShards(count: count, ranks: comm.size),
                    parameterCount: parameterCount)
            }
        }
    }
}

/// Loss and accuracy of one epoch, as Keras reports them.
public struct EpochMetrics: Sendable, Equatable {
    public var loss: Double
    public var accuracy: Double
    public var seconds: Double
    public var steps: Int
    /// Test loss and accuracy after the epoch when validating (Keras's `val_loss`, `val_accuracy`).
    public var validation: Validation?

    public init(loss: Double, accuracy: Double, seconds: Double, steps: Int, validation: Validation? = nil) {
        self.loss = loss
        self.accuracy = accuracy
        self.seconds = seconds
        self.steps = steps
        self.validation = validation
    }

    public struct Validation: Sendable, Equatable {
        public var loss: Double
        public var accuracy: Double

        public init(loss: Double, accuracy: Double) {
            self.loss = loss
            self.accuracy = accuracy
        }
    }
}

/// A training failure every rank agrees on (each sees the same reduced numbers).
public enum TrainingError: Error, Equatable {
    /// The batch loss at this (1-based) epoch and step was not finite: training diverged.
    case nonFiniteLoss(epoch: Int, step: Int, value: Float)
    /// At the end of this (1-based) epoch the weights of this many ranks differed from rank
    /// 0's: their hosts computed different bits from the same sums.
    case ranksDisagree(epoch: Int, ranks: Int)
    /// A rank was asked to stop; training ended after `step`, with a checkpoint at this path if
    /// a checkpoint store is set.
    case stopped(step: Int, checkpoint: String?)
}

/// Follows training on rank 0: progress bars, logs.
public protocol TrainingObserver: AnyObject {
    func epochStarted(_ epoch: Int, of epochs: Int, steps: Int)
    /// `step` batches of the epoch are done; `loss` and `accuracy` are the epoch's running means.
    func stepEnded(_ step: Int, loss: Double, accuracy: Double)
    /// `metrics` include the validation result when the trainer validates.
    func epochEnded(_ epoch: Int, metrics: EpochMetrics)
}
