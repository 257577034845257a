import Testing

@testable import MNISTMPI

/// The two halves of a step that every strategy splits alike, over ranks that are threads:
/// `the `updates` step the weights this rank owns, `shareWeights` brings every rank the rest.
struct GradientReductionTests {
    static let architecture = Architecture(inputs: 20, hidden: 40, classes: 4)
    static let count = architecture.parameterCount

    /// Rank r's gradient sums: (r + 1) / 1000 x (i mod 7), a loss of 1 and no hits.
    static func fill(_ sums: UnsafeMutablePointer<Float>, rank: Int) {
        for i in 0..<count { sums[i] = Float(rank + 1) * 0.001 * Float(i % 7) }
        sums.advanced(by: count).update(repeating: 0, count: Tail.allCases.count)
        sums[count + Tail.loss.rawValue] = 1
    }

    /// (strategy, ranks, nodes)
    static let strategies: [(ReductionStrategy, Int, Int)] = [
        (.allreduce, 3, 1), (.sharded, 3, 1), (.sharedMemory, 3, 1), (.hierarchical, 4, 2), (.hierarchical, 6, 3),
    ]

    /// A rank's `updates` cover a part of the weights (all of them for the plain allreduce, a
    /// slice for the others; together every weight); after `shareWeights` every rank holds the
    /// new weights, as one RMSprop step over the summed gradients computes them by hand.
    @Test(arguments: strategies)
    func updateStepsThisRanksPartAndShareWeightsTheRest(strategy: ReductionStrategy, ranks: Int, nodes: Int) throws {
        let initial = (0..<Self.count).map { Float($0 % 11) * 0.01 - 0.05 }
        let (expected, velocity) = (FloatBuffer(initial), FloatBuffer(count: Self.count))
        let total = FloatBuffer((0..<Self.count).map { i in (1...ranks).map { Float($0) * 0.001 * Float(i % 7) }.reduce(0, +) })
        withExtendedLifetime((expected, velocity, total)) {
            RMSprop().step(
                weights: expected.pointer, velocity: velocity.pointer, gradientSums: total.pointer, batchSize: 8, count: Self.count)
        }
        let results = ThreadCommunicator.run(ranks: ranks, nodes: nodes) { comm in
            let reduction = try! strategy.make(comm: comm, architecture: Self.architecture, largestBatch: 8, wire: .float32)
            reduction.forEachPiece(batchSize: 8) { _, sums in Self.fill(sums, rank: comm.rank) }
            reduction.reduce(stopRequested: false)
            let (parameters, velocity) = (reduction.holdWeights(FloatBuffer(initial)), FloatBuffer(count: Self.count))
            RMSprop().step(reduction.updates, parameters: parameters, velocity: velocity, batchSize: 8)
            reduction.shareWeights(parameters)
            return (owned: reduction.updates.map(\.parameters), shared: parameters.array)
        }
        let close = { (a: Float, b: Float) in abs(a - b) <= 1e-6 * max(1, abs(b)) }
        var covered = Set<Int>()
        for (rank, result) in results.enumerated() {
            #expect(zip(result.shared, expected.array).allSatisfy(close), "rank \(rank)")
            let owned = result.owned.reduce(0) { $0 + $1.count }
            covered.formUnion(result.owned.flatMap { Array($0) })
            if strategy == .allreduce {
                #expect(result.owned == [0..<Self.count], "rank \(rank) steps every weight")
            } else {
                #expect(owned > 0 && owned < Self.count, "rank \(rank) steps a slice: \(owned) of \(Self.count)")
                #expect(result.owned.allSatisfy { $0.lowerBound % Blocks.cacheLine == 0 }, "rank \(rank)'s slice is aligned")
            }
        }
        #expect(covered == Set(0..<Self.count))
    }

    /// Cut at multiples: every block starts at one (or at the end); together they cover the
    /// count once, in order, as evenly as the multiples allow.
    @Test(arguments: [(407_050, 2), (407_050, 3), (100, 8), (15, 4), (0, 3), (32, 2)])
    func blocksCutAtMultiples(count: Int, ranks: Int) {
        let blocks = Blocks(count: count, ranks: ranks, multiple: 16)
        #expect(blocks.ranges.count == ranks)
        #expect(blocks.ranges.first?.lowerBound == 0 && blocks.ranges.last?.upperBound == count)
        for (a, b) in zip(blocks.ranges, blocks.ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        #expect(blocks.ranges.allSatisfy { $0.lowerBound % 16 == 0 || $0.lowerBound == count })
        let sizes = blocks.ranges.map(\.count)
        #expect(sizes.max()! - sizes.min()! < 2 * 16 || count < 16 * ranks, "\(sizes)")
    }
}
