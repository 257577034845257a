import TestSupport
import Testing

@testable import MNISTMPI

/// The hierarchical reduction over ranks that are threads pretending to sit on several nodes
/// (`ThreadCommunicator.group(_:nodes:)`): shared segments on a node, the ring between nodes.
struct HierarchicalReductionTests {
    let trainer = TrainerTests()

    func options(_ reduction: ReductionStrategy, wire: WirePrecision = .float32) -> TrainingOptions {
        var options = TrainingOptions()
        options.batchSize = 64
        options.maxSteps = 30
        options.reduction = reduction
        options.wirePrecision = wire
        return options
    }

    /// (ranks, nodes): one or several ranks a node, two to four nodes.
    static let layouts = [(2, 2), (4, 2), (3, 3), (6, 2), (6, 3), (4, 4)]

    /// The same steps as the plain allreduce up to the order of float sums, identical bits on
    /// every rank, and checkpoints that resume across layouts (from 4 ranks on one node).
    @Test(arguments: layouts)
    func agreesWithAllreduceOnEveryLayout(ranks: Int, nodes: Int) {
        let data = trainer.randomSplit(500)
        let plain = trainer.train(options(.allreduce), on: data, ranks: ranks)[0]
        let results = trainer.train(options(.hierarchical), on: data, ranks: ranks, nodes: nodes)
        #expect(trainer.largestDifference(plain.parameters, results[0].parameters) < 1e-5)
        #expect(trainer.largestDifference(plain.velocity, results[0].velocity) < 1e-5)
        let checksums = results.map { sha256Hex(FloatBuffer($0.parameters).bytes + FloatBuffer($0.velocity).bytes) }
        #expect(Set(checksums).count == 1)
        // The loss and correct counts ride the ring: every rank reports the same epochs, as the allreduce's.
        for result in results {
            #expect(result.history.count == plain.history.count && !plain.history.isEmpty)
            for (mine, theirs) in zip(result.history, plain.history) {
                #expect(mine.accuracy == theirs.accuracy && abs(mine.loss - theirs.loss) < 1e-5 * theirs.loss, "\(mine) \(theirs)")
            }
        }
        let resumed = trainer.train(options(.hierarchical), on: data, ranks: ranks, nodes: nodes, resumeAfter: 20, firstRanks: 4)[0]
        #expect(trainer.largestDifference(results[0].parameters, resumed.parameters) < 1e-5)
    }

    /// bfloat16 on the wire changes the sums (so it is on), stays close to float32 and keeps
    /// every rank's weights identical.
    @Test(arguments: [(4, 2), (6, 3)])
    func bfloat16OnTheWire(ranks: Int, nodes: Int) {
        let data = trainer.randomSplit(500)
        let float32 = trainer.train(options(.hierarchical), on: data, ranks: ranks, nodes: nodes)
        let bfloat16 = trainer.train(options(.hierarchical, wire: .bfloat16), on: data, ranks: ranks, nodes: nodes)
        let difference = trainer.largestDifference(float32[0].parameters, bfloat16[0].parameters)
        #expect(difference > 1e-6 && difference < 0.02, "\(difference)")
        let checksums = bfloat16.map { sha256Hex(FloatBuffer($0.parameters).bytes + FloatBuffer($0.velocity).bytes) }
        #expect(Set(checksums).count == 1)
        // One node: nothing crosses a wire, so bfloat16 changes nothing.
        let oneNode = trainer.train(options(.hierarchical, wire: .bfloat16), on: data, ranks: 2)
        let oneNodeFloat = trainer.train(options(.hierarchical), on: data, ranks: 2)
        #expect(oneNode[0].parameters.map(\.bitPattern) == oneNodeFloat[0].parameters.map(\.bitPattern))
    }

    /// Nodes with different rank counts: `hierarchical` refuses on every rank.
    @Test func unevenNodes() {
        let refused = ThreadCommunicator.run(ranks: 3, nodes: 2) { comm in
            Result {
                try ReductionStrategy.hierarchical.make(
                    comm: comm, architecture: Architecture(inputs: 2, hidden: 2, classes: 2), largestBatch: 4, wire: .float32)
            }.map(\.name)
        }
        #expect(refused.allSatisfy { if case .failure(let e) = $0 { (e as? UnevenNodes)?.strategy == "hierarchical" } else { false } })
    }
}
