import TestSupport
import Testing

@testable import MNISTMPI

/// The factored reduction over ranks that are threads, on one node and pretending to sit on
/// several (`ThreadCommunicator.run(ranks:nodes:)`): the hosts swap the batch's hidden-layer
/// gradients and each forms the first layer's gradient itself.
struct FactoredReductionTests {
    let trainer = TrainerTests()

    func options(_ reduction: ReductionStrategy, wire: WirePrecision = .float32, batchSize: Int = 64) -> TrainingOptions {
        var options = TrainingOptions()
        options.batchSize = batchSize
        options.maxSteps = 30
        options.reduction = reduction
        options.wirePrecision = wire
        return options
    }

    func checksums(_ results: [(parameters: [Float], velocity: [Float], history: [EpochMetrics])]) -> Set<String> {
        Set(results.map { sha256Hex(FloatBuffer($0.parameters).bytes + FloatBuffer($0.velocity).bytes) })
    }

    /// (ranks, nodes): one rank; one node of 2 and 3; one to three ranks a node on 2 to 4 nodes.
    static let layouts = [(1, 1), (2, 1), (3, 1), (2, 2), (4, 2), (3, 3), (6, 2), (6, 3), (4, 4)]

    /// The same steps as the hierarchical reduction up to the order of float sums (the mean
    /// relative difference of each tensor within 1e-5, as the PyTorch oracle measures), the same
    /// bits on every rank, the same epochs, and checkpoints that resume across strategies and
    /// layouts (one written by 4 ranks on one node with shared-memory).
    @Test(arguments: layouts)
    func agreesWithHierarchicalOnEveryLayout(ranks: Int, nodes: Int) {
        let data = trainer.randomSplit(500)
        let reference = trainer.train(options(.hierarchical), on: data, ranks: ranks, nodes: nodes)[0]
        let results = trainer.train(options(.factored), on: data, ranks: ranks, nodes: nodes)
        for tensor in trainer.architecture.tensors {
            let range = tensor.offset..<(tensor.offset + tensor.count)
            #expect(meanRelativeDifference(results[0].parameters[range], reference.parameters[range]) <= 1e-5, "\(tensor.name)")
        }
        #expect(trainer.largestDifference(reference.velocity, results[0].velocity) < 1e-5)
        #expect(checksums(results).count == 1)
        for result in results {
            #expect(result.history.count == reference.history.count && !reference.history.isEmpty)
            for (mine, theirs) in zip(result.history, reference.history) {
                #expect(mine.accuracy == theirs.accuracy && abs(mine.loss - theirs.loss) < 1e-5 * theirs.loss, "\(mine) \(theirs)")
            }
        }
        let resumed = trainer.train(
            options(.factored), on: data, ranks: ranks, nodes: nodes, resumeAfter: 20, firstRanks: 4, firstReduction: .sharedMemory)[0]
        #expect(trainer.largestDifference(results[0].parameters, resumed.parameters) < 1e-5)
    }

    /// A batch that leaves some ranks without rows (3 samples over 4 and 6 ranks) and a last
    /// batch shorter than the rest still train as the plain allreduce does.
    @Test(arguments: [(4, 2), (6, 3)])
    func ranksWithoutRows(ranks: Int, nodes: Int) {
        let data = trainer.randomSplit(3 * 7 + 2)
        let plain = trainer.train(options(.allreduce, batchSize: 3), on: data, ranks: 1)[0]
        let results = trainer.train(options(.factored, batchSize: 3), on: data, ranks: ranks, nodes: nodes)
        #expect(trainer.largestDifference(plain.parameters, results[0].parameters) < 1e-5)
        #expect(checksums(results).count == 1)
    }

    /// bfloat16 on the wire changes the sums (so it is on), stays close to float32, and every
    /// host computes the same bits (each rounds its own rows as the others receive them).
    @Test(arguments: [(2, 2), (4, 2), (6, 3)])
    func bfloat16OnTheWire(ranks: Int, nodes: Int) {
        let data = trainer.randomSplit(500)
        let float32 = trainer.train(options(.factored), on: data, ranks: ranks, nodes: nodes)
        let bfloat16 = trainer.train(options(.factored, wire: .bfloat16), on: data, ranks: ranks, nodes: nodes)
        let difference = trainer.largestDifference(float32[0].parameters, bfloat16[0].parameters)
        #expect(difference > 1e-6 && difference < 0.02, "\(difference)")
        #expect(checksums(bfloat16).count == 1)
        // One node: nothing crosses a wire, so bfloat16 changes nothing.
        let oneNode = trainer.train(options(.factored, wire: .bfloat16), on: data, ranks: 2)
        let oneNodeFloat = trainer.train(options(.factored), on: data, ranks: 2)
        #expect(oneNode[0].parameters.map(\.bitPattern) == oneNodeFloat[0].parameters.map(\.bitPattern))
    }

    /// Hosts whose weights differ (one host's first weight nudged by one ulp, as a CPU that
    /// rounds differently would: the copy its two ranks share) end the job on every rank,
    /// naming both of that host's ranks; equal weights pass the check.
    @Test func hostsThatDisagreeEndTheJob() {
        var options = options(.factored)
        options.maxSteps = 5
        let data = trainer.randomSplit(500)
        let initial = trainer.architecture.glorotInitialization(seed: 1).array
        let outcomes = ThreadCommunicator.run(ranks: 4, nodes: 2) { [options] comm in
            let t = try! Trainer(
                comm: comm, architecture: trainer.architecture, options: options, data: data, initialParameters: FloatBuffer(initial))
            try! t.train()
            let agreed = Result { try t.checkRanksAgree() }
            if comm.rank == 3 { t.parameters[0] = t.parameters[0].nextUp }
            comm.barrier()  // nudged before any rank looks
            return (agreed: (try? agreed.get()) != nil, after: Result { try t.checkRanksAgree() })
        }
        #expect(outcomes.allSatisfy { $0.agreed })
        for outcome in outcomes {
            #expect(throws: TrainingError.ranksDisagree(epoch: 1, ranks: 2)) { try outcome.after.get() }
        }
    }

    /// Nodes with different rank counts: `factored` refuses on every rank, naming itself.
    @Test func unevenNodes() {
        let errors = ThreadCommunicator.run(ranks: 3, nodes: 2) { comm in
            Result {
                try ReductionStrategy.factored.make(
                    comm: comm, architecture: Architecture(inputs: 2, hidden: 2, classes: 2), largestBatch: 4, wire: .float32)
            }.map(\.name)
        }
        #expect(errors.allSatisfy { (try? $0.get()) == nil })
        #expect(errors.allSatisfy { if case .failure(let e) = $0 { (e as? UnevenNodes)?.strategy == "factored" } else { false } })
    }
}

/// mean(|a - b|) / mean(|b|) of one tensor.
func meanRelativeDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
    let difference = zip(a, b).map { abs($0 - $1) }.reduce(0, +)
    let scale = b.map(abs).reduce(0, +)
    return scale == 0 ? difference : difference / scale
}
