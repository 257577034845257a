/// One way of summing every rank's gradients in a training step. A strategy owns the buffers
/// the gradients are computed into and summed in; the trainer does the math and the optimizer
/// step. The trainer's step uses it as:
///
///     load the rows `rows(batchSize:)` names
///     for each piece of this rank's rows: forward, backward into the piece's buffer
///         (the first layer's gradient too, unless `firstLayer` says the whole batch's)
///     reduce:  the whole batch's loss and correct count (`tail`) are then on every rank
///     firstLayer:  if the strategy gathered the batch's hidden-layer gradients instead of
///                  summing the first layer's, this rank's rows of that gradient, from them
///     updates:  the optimizer step of the weights this rank owns, from the batch's sums
///     shareWeights:  the new weights, the same on every rank
///
/// The weights themselves are held where the strategy says (`holdWeights`): a copy on each
/// rank, or one copy a node's ranks share.
///
/// Each piece's buffer is the gradient sums (laid out as the parameters) followed by the
/// `Tail` slots.
public protocol GradientReduction: AnyObject {
    /// What the `--reduction` flag calls it (`allreduce`, `sharded`, ...).
    var name: String { get }
    /// The positions of a global batch of `batchSize` this rank loads.
    func rows(batchSize: Int) -> Range<Int>
    /// The most pieces `forEachPiece` calls `compute` for in one step.
    var piecesPerStep: Int { get }
    /// Calls `compute(rows, buffer)` for each piece of this rank's rows (positions relative to
    /// the start of `rows(batchSize:)`) with the buffer its sums go to. A piece without rows
    /// is zeroed by the strategy instead.
    func forEachPiece(batchSize: Int, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void)
    /// Where the workspace keeps the hidden layer's gradients, when the strategy exchanges
    /// them (room for every row of the largest batch); nil: the workspace's own memory.
    var hiddenGradients: UnsafeMutablePointer<Float>? { get }
    /// Where the first layer's gradient is computed: with each piece (nil), or after `reduce`
    /// over the whole batch.
    var firstLayer: WholeBatchFirstLayer? { get }
    /// Sums the pieces of every rank, with this rank's wish to stop (it reaches every rank).
    func reduce(stopRequested: Bool)
    /// After `reduce`: the `Tail` slots summed over the whole batch, the same on every rank.
    var tail: UnsafePointer<Float> { get }
    /// After `reduce` (and `firstLayer`): the parts of the weights this rank steps, with the
    /// batch's gradient sums of each.
    var updates: [OwnedUpdate] { get }
    /// The weights the trainer steps, starting as `initial`: a copy of this rank's own, or the
    /// node's one copy in memory its ranks share, where each rank's `updates` step its parts in
    /// place. Called by every rank together, once.
    func holdWeights(_ initial: FloatBuffer) -> FloatBuffer
    /// After the `updates`: the other ranks' parts of the new weights into `parameters` (what
    /// `holdWeights` returned), which are then the same on every rank: nothing to do for a
    /// strategy whose ranks step them all, a wait for the node's ranks where they share them.
    func shareWeights(_ parameters: FloatBuffer)
    /// Where mixed precision keeps the first kernel's bfloat16 pairs (`count` words) that the
    /// forward reads: with one copy of the weights a node's ranks share (`holdWeights`), one
    /// copy of the pairs they share too, which each rank packs for the weights it stepped
    /// (`Trainer`); nil where every rank packs its own as its forward needs them. Called by
    /// every rank together, once.
    func holdWeightPairs(count: Int) -> UnsafeMutablePointer<UInt32>?
    /// Makes `velocity` whole on every rank, for a checkpoint (a strategy that keeps only a
    /// slice of the optimizer state up to date gathers the others' slices).
    func gatherOptimizerState(_ velocity: FloatBuffer)
}

extension GradientReduction {
    public var hiddenGradients: UnsafeMutablePointer<Float>? { nil }
    public var firstLayer: WholeBatchFirstLayer? { nil }
    public func gatherOptimizerState(_ velocity: FloatBuffer) {}
    public func holdWeightPairs(count: Int) -> UnsafeMutablePointer<UInt32>? { nil }
    public func shareWeights(_ parameters: FloatBuffer) {}
    public func holdWeights(_ initial: FloatBuffer) -> FloatBuffer {
        let weights = FloatBuffer(count: initial.count)
        weights.copy(from: initial)
        return weights
    }
}

/// A part of the parameters a rank takes the optimizer step for, and the batch's gradient sums
/// of it as parts added in order (the node's ranks' buffers, or one finished sum).
public struct OwnedUpdate {
    public let parameters: Range<Int>
    public let gradientParts: UnsafeBufferPointer<UnsafePointer<Float>?>
}

/// The first layer's gradient of a whole batch, computed by each rank for its rows of the
/// kernel (input pixels `inputs`) from the batch's inputs and hidden-layer gradients
/// (`GradientReduction.hiddenGradients`, every row present after `reduce`).
public struct WholeBatchFirstLayer {
    /// The kernel's rows (input pixels) this rank computes.
    public let inputs: Range<Int>
    /// Where those rows of the kernel's gradient go (`inputs.count` x hidden).
    public let kernel: UnsafeMutablePointer<Float>
    /// Where the bias's gradient goes (every rank computes all of it).
    public let bias: UnsafeMutablePointer<Float>
}

/// Slots after the gradient sums in a reduction buffer: the loss sum and correct count of the
/// rows, and how many ranks were asked to stop.
public enum Tail: Int, CaseIterable {
    case loss, correct, stop
}

/// Floats in a reduction buffer for `parameterCount` parameters.
public func reductionBufferCount(parameterCount: Int) -> Int { parameterCount + Tail.allCases.count }

extension RMSprop {
    /// The step of every part of the weights in `updates`.
    public func step(_ updates: [OwnedUpdate], parameters: FloatBuffer, velocity: FloatBuffer, batchSize: Int) {
        for update in updates {
            let range = update.parameters
            step(
                weights: parameters.pointer + range.lowerBound, velocity: velocity.pointer + range.lowerBound,
                gradientParts: update.gradientParts, batchSize: batchSize, count: range.count)
        }
    }
}

/// `part(0) + part(1) + ... + part(parts - 1)`, added in that order (the same bits on every
/// rank that adds the same parts), `count` floats into `target`. Allocates nothing: the step
/// calls it.
func sumInOrder(_ parts: Int, count: Int, into target: UnsafeMutablePointer<Float>, part: (Int) -> UnsafePointer<Float>) {
    target.update(from: part(0), count: count)
    for p in 1..<max(parts, 1) {
        let values = part(p)
        for k in 0..<count { target[k] += values[k] }
    }
}

/// The pointers an `OwnedUpdate` lists, allocated once and kept by the strategy.
final class GradientParts {
    let pointers: UnsafeMutableBufferPointer<UnsafePointer<Float>?>

    init(_ parts: [UnsafePointer<Float>]) {
        pointers = .allocate(capacity: parts.count)
        for (k, part) in parts.enumerated() { pointers[k] = part }
    }

    deinit { pointers.deallocate() }

    func update(_ parameters: Range<Int>) -> OwnedUpdate {
        OwnedUpdate(parameters: parameters, gradientParts: UnsafeBufferPointer(pointers))
    }
}

/// What most strategies share: each rank computes its contiguous shard of the batch in one
/// piece, into one buffer of gradient sums and `Tail` slots.
public protocol ContiguousShards: GradientReduction {
    var shard: ShardSums { get }
}

extension ContiguousShards {
    public func rows(batchSize: Int) -> Range<Int> { shard.rows(batchSize: batchSize) }
    public var piecesPerStep: Int { 1 }
    public func forEachPiece(batchSize: Int, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        shard.forEachPiece(batchSize: batchSize, compute)
    }
}

/// A rank's buffer of gradient sums and `Tail` slots for its contiguous shard of each batch.
public struct ShardSums {
    let comm: Communicator
    let parameterCount: Int
    /// `reductionBufferCount(parameterCount:)` floats.
    let sums: UnsafeMutablePointer<Float>
    /// The memory of `sums` when it is this rank's own.
    private let storage: FloatBuffer?

    /// Sums in memory of the rank's own, or at `sums` (memory its node shares).
    init(comm: Communicator, parameterCount: Int, sums: UnsafeMutablePointer<Float>? = nil) {
        storage = sums == nil ? FloatBuffer(count: reductionBufferCount(parameterCount: parameterCount)) : nil
        (self.comm, self.parameterCount, self.sums) = (comm, parameterCount, sums ?? storage!.pointer)
    }

    func rows(batchSize: Int) -> Range<Int> {
        Sharding.shard(batchSize: batchSize, ranks: comm.size, rank: comm.rank)
    }

    func forEachPiece(batchSize: Int, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let count = rows(batchSize: batchSize).count
        if count > 0 {
            compute(0..<count, sums)
        } else {
            sums.update(repeating: 0, count: reductionBufferCount(parameterCount: parameterCount))
        }
    }

    /// Writes this rank's wish to stop into its tail, which `reduce` sums with the rest.
    func markStop(_ stopRequested: Bool) { sums[parameterCount + Tail.stop.rawValue] = stopRequested ? 1 : 0 }
}
