import Testing

@testable import MNISTMPI

struct ThreadCommunicatorTests {
    @Test func allreduceSumsInRankOrderOnEveryRank() {
        // 1e8 + 1 - 1e8 depends on the order: rank order gives ((1e8 + 1) + -1e8) = 0.
        let values: [Float] = [1e8, 1, -1e8]
        let results = ThreadCommunicator.run(ranks: 3) { comm in
            let buffer = FloatBuffer([values[comm.rank], Float(comm.rank), 5])
            comm.allreduceSum(buffer.pointer, count: buffer.count)
            return buffer.array
        }
        #expect(results.allSatisfy { $0 == [(values[0] + values[1]) + values[2], 3, 15] })
    }

    /// Each rank is told the host of every rank, named by its first rank: 5 ranks on 3
    /// pretend nodes are blocks of 2, 2 and 1.
    @Test func everyRankLearnsTheHostOfEachRank() {
        let results = ThreadCommunicator.run(ranks: 5, nodes: 3) { $0.hostOfEachRank() }
        #expect(results == Array(repeating: [0, 0, 2, 2, 4], count: 5))
        #expect(ranksOnEachHost(results[0]) == [2, 2, 1])
        #expect(ranksOnEachHost([0, 1, 0, 1, 0]) == [3, 2])  // mapped by node
    }

    @Test func broadcastAndExchange() {
        let results = ThreadCommunicator.run(ranks: 4) { comm in
            var bytes: [UInt8] = comm.rank == 2 ? [7, 8, 9] : []
            comm.broadcast(&bytes, root: 2)
            let mine = FloatBuffer([Float(comm.rank)]), theirs = FloatBuffer(count: 1)
            comm.exchange(mine.pointer, theirs.pointer, count: 1, with: comm.rank ^ 1)
            return (bytes, theirs[0])
        }
        #expect(results.map(\.0) == Array(repeating: [7, 8, 9], count: 4))
        #expect(results.map(\.1) == [1, 0, 3, 2])
    }

    @Test func onRootSharesTheRootsFailure() {
        struct Broken: Error {}
        let results = ThreadCommunicator.run(ranks: 3) { comm -> String in
            do {
                _ = try comm.onRoot { () throws -> Int in throw Broken() }
                return "no error"
            } catch {
                return "\(type(of: error))"
            }
        }
        #expect(results == ["Broken", "RootFailed", "RootFailed"])
    }
}
