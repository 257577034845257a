import Foundation
import Testing

@testable import MNISTMPI

struct TreeReductionTests {
    @Test func microShardsAreOwnedAsAlignedSubtrees() throws {
        let m = try MicroShards(count: 8, ranks: 4)
        #expect((0..<4).map { m.owned(by: $0, of: 4) } == [0..<2, 2..<4, 4..<6, 6..<8])
        #expect((0..<8).map { m.rows($0, batchSize: 96).count } == Array(repeating: 12, count: 8))
        #expect(throws: MicroShards.ConfigurationError.ranks(6, microShards: 8)) { try MicroShards(count: 8, ranks: 6) }
        #expect(throws: MicroShards.ConfigurationError.ranks(16, microShards: 8)) { try MicroShards(count: 8, ranks: 16) }
    }

    /// The local tree adds in the documented shape: ((m0 + m1) + (m2 + m3)).
    @Test func localTreeHasTheDocumentedShape() {
        // Values whose float sums depend on the grouping.
        let values: [Float] = [1e8, 1, -1e8, 1]
        let reduction = TreeReduction(
            comm: ThreadCommunicator.group(1)[0], microShards: try! MicroShards(count: 4, ranks: 1),
            parameterCount: 1)
        #expect(reduction.piecesPerStep == 4)
        for (k, v) in values.enumerated() { reduction.buffers[k][0] = v }
        reduction.reduce(stopRequested: false)
        #expect(reduction.sums[0] == (values[0] + values[1]) + (values[2] + values[3]))
        #expect(reduction.sums[0] != ((values[0] + values[1]) + values[2]) + values[3])
    }
}
