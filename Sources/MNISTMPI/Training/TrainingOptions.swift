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
    public var reduction = ReductionStrategy.allreduce
    /// With a value (`--deterministic`): gradients summed over this many micro-shards per batch
    /// in a fixed tree, bitwise the same for every power-of-two rank count that divides it,
    /// instead of by `reduction`.
    public var deterministicMicroShards: Int?
    /// How the layers compute (Keras's dtype policy).
    public var precision = Precision.float32
    /// The number format of what crosses between nodes (hierarchical and factored only).
    public var wirePrecision = WirePrecision.float32
    /// What `plan --save-costs` measured, for `auto` to choose by (nil: measured at start-up).
    public var plannedCosts: StepModel.Costs?
    /// What is trained on (recorded in checkpoints).
    public var dataset = DatasetSpec.mnist

    public init() {}

    /// What a checkpoint of this run records: a run resumes only a checkpoint made with the same.
    public var settings: RunSettings { RunSettings(self) }

    /// The order in which gradients are summed, as checkpoints record it under `reduction`:
    /// `layout-dependent` (every strategy but the tree adds in an order that depends on the
    /// ranks and their hosts, and each resumes the others' checkpoints), or
    /// `deterministic-tree/<micro-shards>`.
    public var summationOrder: String {
        deterministicMicroShards.map { "deterministic-tree/\($0)" } ?? RunSettings.layoutDependentOrder
    }

    /// The strategy summing `comm`'s gradients, for batches of up to `largestBatch`, and what
    /// `auto` chose when it was asked for.
    func makeReduction(comm: Communicator, architecture: Architecture, largestBatch: Int) throws -> (
        GradientReduction, AutomaticReduction?
    ) {
        if let count = deterministicMicroShards {
            let tree = TreeReduction(
                comm: comm, microShards: try MicroShards(count: count, ranks: comm.size),
                parameterCount: architecture.parameterCount)
            return (tree, nil)
        }
        let choice =
            reduction == .auto
            ? AutomaticReduction.choose(
                comm, architecture: architecture, batchSize: largestBatch, wire: wirePrecision, costs: plannedCosts,
                precision: precision) : nil
        let strategy = choice?.strategy ?? reduction
        return (try strategy.make(comm: comm, architecture: architecture, largestBatch: largestBatch, wire: wirePrecision), choice)
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
