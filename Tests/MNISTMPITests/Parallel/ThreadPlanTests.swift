import Testing

@testable import MNISTMPI

/// How a rank spends its cores, for the launch modes users run.
struct ThreadPlanTests {
    func plan(ranks: Int, local: Int, threads: Int? = nil, batch: Int = 128, deterministic: Bool = false, cores: Int = 8) -> ThreadPlan {
        ThreadPlan(
            ranks: ranks, localRanks: local, threads: threads, batchSize: batch, deterministic: deterministic,
            usableCores: cores, onlineCores: cores)
    }

    @Test func aWholeJobProcessSplitsBatchesOverItsThreads() {
        #expect(plan(ranks: 1, local: 1) == ThreadPlan(shards: 8, blasThreads: 1))  // no mpirun, 8 cores
        #expect(plan(ranks: 1, local: 1, threads: 2) == ThreadPlan(shards: 2, blasThreads: 1))
        #expect(plan(ranks: 1, local: 1, threads: 1) == ThreadPlan(shards: 1, blasThreads: 1))
        #expect(plan(ranks: 1, local: 1, batch: 3) == ThreadPlan(shards: 3, blasThreads: 1))  // no empty shard
        #expect(plan(ranks: 1, local: 1, batch: 1) == ThreadPlan(shards: 1, blasThreads: 8))
    }

    @Test func ranksShareTheNodesCoresAsBLASThreads() {
        #expect(plan(ranks: 4, local: 4) == ThreadPlan(shards: 1, blasThreads: 2))
        #expect(plan(ranks: 8, local: 2) == ThreadPlan(shards: 1, blasThreads: 4))  // 2 a node
        #expect(plan(ranks: 16, local: 16) == ThreadPlan(shards: 1, blasThreads: 1))  // oversubscribed
        #expect(plan(ranks: 2, local: 2, threads: 3) == ThreadPlan(shards: 1, blasThreads: 3))
    }

    @Test func deterministicRunsOneShardOneThread() {
        for ranks in [1, 2, 8] {
            #expect(plan(ranks: ranks, local: ranks, threads: 4, deterministic: true) == ThreadPlan(shards: 1, blasThreads: 1))
        }
    }
}
