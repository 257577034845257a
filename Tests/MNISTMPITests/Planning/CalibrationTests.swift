import Testing

@testable import MNISTMPI

/// The collective measurements of `plan`, over threads standing for ranks on nodes.
@Suite struct CalibrationTests {
    /// Hosts pair up first with second, and a host left over (here the third, with one rank)
    /// sits out: a wrong pairing would leave a rank waiting forever. Every rank gets the
    /// slowest pair's times, so all agree.
    @Test func everyRankExchangesWithItsCounterpartAtOnce() {
        let results = ThreadCommunicator.run(ranks: 5, nodes: 3) { comm in
            Calibration.exchangesAtOnce(comm, hostOf: comm.hostOfEachRank(), repetitions: 3).seconds
        }
        #expect(results.count == 5 && results.allSatisfy { $0 == results[0] })
        #expect(results[0].count == 8 && results[0].allSatisfy { $0 > 0 && $0.isFinite })
    }

    /// Rank 0 and its partner exchange while the other ranks wait: with threads for ranks
    /// (a single process of more than two shards, `--reduction auto`), every rank must still
    /// meet the exchange's barrier, or the job never starts.
    @Test func threeThreadRanksMeasureAnExchangeBetweenTwo() {
        let results = ThreadCommunicator.run(ranks: 3) { comm in
            Calibration.exchanges(comm, with: 1, repetitions: 2).seconds
        }
        #expect(results.count == 3 && results[0].count == 8 && results[0].allSatisfy { $0 > 0 && $0.isFinite })
    }

    /// Threads share one affinity mask: the host's cores are this process's.
    @Test func aHostsCoresAreTheUnionOfItsRanksAffinity() {
        let cores = ThreadCommunicator.run(ranks: 2) { comm in Calibration.hostCores(comm) }
        #expect(cores == [Launcher.usableCores, Launcher.usableCores])
    }
}
