/// One way of summing every rank's gradients in a training step and applying them. A strategy
/// owns the buffers the gradients are computed into and summed in.
///
/// The trainer's step uses it as:
///
///     for each piece of this rank's rows: forward and backward into the piece's buffer
///     reduce:  the whole batch's loss and correct count (`tail`) are then on every rank
///     update:  the optimizer step of this rank's part of the weights with the batch's sums
///     shareWeights:  the new weights, the same on every rank
///
/// Each piece's buffer is the gradient sums (laid out as the parameters) followed by the
/// `Tail` slots.
public protocol GradientReduction: AnyObject {
    /// What the `--reduction` flag calls it (`allreduce`, `sharded`, ...).
    var name: String { get }
    /// The positions of a global batch of `batchSize` this rank computes (and so loads).
    func rows(batchSize: Int) -> Range<Int>
    /// The most pieces `forEachPiece` calls `compute` for in one step.
    var piecesPerStep: Int { get }
    /// Calls `compute(rows, buffer)` for each piece of this rank's rows (positions relative to
    /// the start of `rows(batchSize:)`) with the buffer its sums go to. A piece without rows
    /// is zeroed by the strategy instead.
    func forEachPiece(batchSize: Int, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void)
    /// Sums the pieces of every rank, with this rank's wish to stop (it reaches every rank).
    func reduce(stopRequested: Bool)
    /// After `reduce`: the `Tail` slots summed over the whole batch, the same on every rank.
    var tail: UnsafePointer<Float> { get }
    /// After `reduce`: the optimizer step, with the batch's gradient sums, of the weights this
    /// rank steps (all of them, or its slice).
    func update(_ optimizer: RMSprop, parameters: FloatBuffer, velocity: FloatBuffer, batchSize: Int)
    /// After `update`: the other ranks' slices of the new weights into `parameters`, which are
    /// then the same on every rank (nothing to do for a strategy whose ranks step them all).
    func shareWeights(_ parameters: FloatBuffer)
    /// Makes `velocity` whole on every rank, for a checkpoint (a strategy that keeps only a
    /// slice of the optimizer state up to date gathers the others' slices).
    func gatherOptimizerState(_ velocity: FloatBuffer)
}

extension GradientReduction {
    public func gatherOptimizerState(_ velocity: FloatBuffer) {}
    public func shareWeights(_ parameters: FloatBuffer) {}
}

/// Slots after the gradient sums in a reduction buffer: the loss sum and correct count of the
/// rows, and how many ranks were asked to stop.
public enum Tail: Int, CaseIterable {
    case loss, correct, stop
}

/// Floats in a reduction buffer for `parameterCount` parameters.
public func reductionBufferCount(parameterCount: Int) -> Int { parameterCount + Tail.allCases.count }
