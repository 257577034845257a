/// How a global batch is split over ranks: contiguous shards whose sizes differ by at most
/// one, the larger ones first (batch 128 over 3 ranks: 43, 43, 42).
public enum Sharding {
    /// The half-open range of batch positions that `rank` of `ranks` works on.
    public static func shard(batchSize: Int, ranks: Int, rank: Int) -> Range<Int> {
        precondition(ranks > 0 && rank >= 0 && rank < ranks)
        let base = batchSize / ranks, extra = batchSize % ranks
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// The global batches of an epoch of `samples`: `[0, B), [B, 2B), ...`, the last one shorter.
    public static func batches(samples: Int, batchSize: Int) -> [Range<Int>] {
        stride(from: 0, to: samples, by: batchSize).map { $0..<min($0 + batchSize, samples) }
    }
}
