import Testing

@testable import MNISTMPI

/// The root's data and weights reach every rank bitwise, the training images once per node.
struct DistributionTests {
    /// A small dataset whose every byte depends on its position.
    static let loaded: Dataset = {
        let (train, test) = (37, 5)
        let images = (0..<(train * Split.imageSize)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let labels = (0..<train).map { UInt8($0 % 10) }
        return Dataset(
            train: Split(images: images, labels: labels),
            test: Split(images: [UInt8](repeating: 9, count: test * Split.imageSize), labels: [UInt8](repeating: 3, count: test)))
    }()

    struct Received: Sendable {
        let images: [UInt8]
        let labels: [UInt8]
        let testCount: Int
        let shared: Bool
        let address: Int
    }

    @Test(arguments: [(1, 1), (4, 1), (4, 2), (6, 3), (5, 5)])
    func trainingImagesReachEveryRankOncePerNode(ranks: Int, nodes: Int) {
        let received = ThreadCommunicator.run(ranks: ranks, nodes: nodes) { comm in
            let data = comm.distribute(comm.isRoot ? Self.loaded : nil)
            let address = data.train.images.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
            return Received(
                images: Array(data.train.images), labels: data.train.labels, testCount: data.test.count,
                shared: data.train.images.isShared, address: address)
        }
        let nodeOf = (0..<nodes).flatMap { k in Sharding.shard(batchSize: ranks, ranks: nodes, rank: k).map { _ in k } }
        for (rank, r) in received.enumerated() {
            #expect(r.images == Array(Self.loaded.train.images) && r.labels == Self.loaded.train.labels, "rank \(rank)")
            #expect(r.testCount == (rank == 0 ? 5 : 0), "the test split stays on the root")
            #expect(r.shared == (ranks > 1), "rank \(rank)")
            for other in 0..<ranks where ranks > 1 {
                #expect((received[other].address == r.address) == (nodeOf[other] == nodeOf[rank]), "ranks \(rank), \(other)")
            }
        }
    }

    @Test func weightsAndReportsTravel() {
        let results = ThreadCommunicator.run(ranks: 3) { comm in
            let weights = comm.broadcast(comm.isRoot ? FloatBuffer([1.5, -2, .pi, 0]) : nil, count: 4)
            let reports = comm.gatherToRoot([comm.rank * 1_000_000_000_000, -comm.rank, Int.max - comm.rank])
            return UnsafeTransfer((weights.array, reports))
        }
        for (rank, result) in results.enumerated() {
            #expect(result.value.0 == [1.5, -2, .pi, 0])
            #expect(result.value.1 == (rank == 0 ? (0..<3).map { [$0 * 1_000_000_000_000, -$0, Int.max - $0] } : []))
        }
    }
}
