import Testing

@testable import MNISTMPI

/// The root's data and weights reach every rank bitwise, the training images once per node.
/// (Bytes are copied through `withUnsafeBufferPointer`: `Array(images)` goes byte by byte,
/// which under ThreadSanitizer took two minutes for these cases.)
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
        let address: Int
    }

    /// The root's images as `Dataset.load` leaves them in what `hold` gave it: after the file's header.
    static func loadedInto(_ hold: @escaping (Int) throws -> HeldBytes) throws -> Dataset {
        let held = try hold(16 + loaded.train.images.count)
        held.bytes.storeBytes(of: 0xFFFF_FFFF, toByteOffset: 12, as: UInt32.self)  // not pixels
        loaded.train.images.withUnsafeBufferPointer {
            UnsafeMutableRawBufferPointer(rebasing: held.bytes[16...]).copyMemory(from: UnsafeRawBufferPointer($0))
        }
        return Dataset(train: Split(images: ImageBytes(held, offset: 16), labels: loaded.train.labels), test: loaded.test)
    }

    /// Whether the root reads them into what `distribute` holds for it, or hands over an array.
    @Test(arguments: [(1, 1), (4, 1), (4, 2), (6, 3), (5, 5)].flatMap { [($0, $1, true), ($0, $1, false)] })
    func trainingImagesReachEveryRankOncePerNode(ranks: Int, nodes: Int, intoHeld: Bool) {
        let received = ThreadCommunicator.run(ranks: ranks, nodes: nodes) { comm in
            let data = try! comm.distribute { hold in intoHeld ? try Self.loadedInto(hold) : Self.loaded }
            let address = data.train.images.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
            return Received(
                images: data.train.images.withUnsafeBufferPointer(Array.init), labels: data.train.labels, testCount: data.test.count,
                address: address)
        }
        let sent = Self.loaded.train.images.withUnsafeBufferPointer(Array.init)
        let nodeOf = (0..<nodes).flatMap { k in Sharding.shard(batchSize: ranks, ranks: nodes, rank: k).map { _ in k } }
        for (rank, r) in received.enumerated() {
            #expect(r.images == sent && r.labels == Self.loaded.train.labels, "rank \(rank)")
            #expect(r.testCount == (rank == 0 ? 5 : 0), "the test split stays on the root")
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
