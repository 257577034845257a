import Testing

@testable import MNISTMPI

/// What `--reduction auto` takes, over ranks that are threads on pretend nodes, from costs
/// given to rank 0 alone (the others pass none and learn its answer).
struct AutomaticReductionTests {
    let architecture = Architecture()

    func choose(ranks: Int, nodes: Int, linkGbps: Double) -> [AutomaticReduction] {
        var costs = StepModelTests().costs
        costs.link.secondsPerByte = 8 / (linkGbps * 1e9)
        return ThreadCommunicator.run(ranks: ranks, nodes: nodes) { [costs] comm in
            AutomaticReduction.choose(
                comm, architecture: architecture, batchSize: 128, wire: .float32, costs: comm.isRoot ? costs : nil)
        }
    }

    /// Across a slow link the factored strategy (a tenth of the bytes); every rank takes the
    /// same, with rank 0's predictions, which are the model's.
    @Test func aSlowLinkTakesTheFactoredStrategyOnEveryRank() {
        let choices = choose(ranks: 4, nodes: 2, linkGbps: 1)
        #expect(Set(choices.map(\.strategy)) == [.factored])
        #expect(choices.allSatisfy { $0 == choices[0] })
        var costs = StepModelTests().costs
        costs.link.secondsPerByte = 8 / 1e9
        let model = StepModel(costs: costs)
        let layout = StepModel.Layout(hosts: 2, ranksPerHost: 2, coresPerHost: Double(Launcher.onlineCores), strategy: .factored)
        #expect(abs(choices[0].predicted! - model.predict(layout).total) < 1e-6 * model.predict(layout).total)
        #expect(choices[0].runnerUp!.predicted > choices[0].predicted!)
    }

    /// The hierarchy unless another strategy is predicted `margin` faster; on one host
    /// shared memory, as factored is not weighed there.
    @Test func theHierarchyUnlessAnotherIsClearlyFaster() {
        var costs = StepModelTests().costs
        for gbps in [1.0, 10, 100, 1000] {
            costs.link.secondsPerByte = 8 / (gbps * 1e9)
            let m = StepModel(costs: costs)
            let layout = StepModel.Layout(hosts: 2, ranksPerHost: 2, coresPerHost: 2)
            let (taken, _) = AutomaticReduction.pick(m, layout)
            let best = m.fastest(layout).best
            var hierarchical = layout
            hierarchical.strategy = .hierarchical
            let expected = best.1.total <= (1 - AutomaticReduction.margin) * m.predict(hierarchical).total ? best.0 : .hierarchical
            #expect(taken.0 == expected, "\(gbps) Gb/s")
        }
        #expect(choose(ranks: 2, nodes: 1, linkGbps: 1).allSatisfy { $0.strategy == .sharedMemory })
    }

    /// Hosts of different rank counts: only the flat allreduce serves them; one rank: nothing to choose.
    @Test func unevenHostsTakeAllreduce() {
        #expect(choose(ranks: 3, nodes: 2, linkGbps: 1).allSatisfy { $0.strategy == .allreduce && $0.predicted == nil })
        #expect(choose(ranks: 1, nodes: 1, linkGbps: 1).allSatisfy { $0.strategy == .sharedMemory && $0.predicted == nil })
    }
}
