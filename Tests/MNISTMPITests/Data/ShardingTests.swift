import Testing

@testable import MNISTMPI

@Suite struct ShardingTests {
    @Test(arguments: [1, 2, 3, 4, 7, 96, 128])
    func shardsCoverEveryIndexOnce(ranks: Int) {
        for batch in [128, 96] where ranks <= 128 {
            let shards = (0..<ranks).map { Sharding.shard(batchSize: batch, ranks: ranks, rank: $0) }
            #expect(shards.flatMap { Array($0) } == Array(0..<batch))
            let sizes = shards.map(\.count)
            #expect(sizes.max()! - sizes.min()! <= 1)
        }
    }

    @Test func threeRanksSplit128As43_43_42() {
        #expect((0..<3).map { Sharding.shard(batchSize: 128, ranks: 3, rank: $0).count } == [43, 43, 42])
        // 128 ranks and the last batch of 96: 32 ranks have nothing to do.
        #expect((0..<128).map { Sharding.shard(batchSize: 96, ranks: 128, rank: $0).count }.filter { $0 == 0 }.count == 32)
    }

    @Test func anEpochIs469BatchesTheLastOf96() {
        let batches = Sharding.batches(samples: 60_000, batchSize: 128)
        #expect(batches.count == 469)
        #expect(batches.last == 59_904..<60_000)
        #expect(batches.reduce(0) { $0 + $1.count } == 60_000)
    }
}
