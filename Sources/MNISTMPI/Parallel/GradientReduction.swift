/// One way of summing every rank's gradients in a training step. A strategy owns the buffers
/// the gradients are computed into and summed in.
///
/// The trainer's step uses it as:
///
///     for each piece of this rank's rows: forward and backward into the piece's buffer
///     reduce: afterwards `sums` holds the whole batch's gradient sums, loss and correct count
///
/// Each buffer is the gradient sums (laid out as the parameters) followed by the `Tail` slots.
public protocol GradientReduction: AnyObject {
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
    /// After `reduce`: the gradient sums of the whole batch, then the tail, the same on every rank.
    var sums: UnsafeMutablePointer<Float> { get }
}

/// Slots after the gradient sums in a reduction buffer: the loss sum and correct count of the
/// rows, and how many ranks were asked to stop.
public enum Tail: Int, CaseIterable {
    case loss, correct, stop
}

/// Floats in a reduction buffer for `parameterCount` parameters.
public func reductionBufferCount(parameterCount: Int) -> Int { parameterCount + Tail.allCases.count }
