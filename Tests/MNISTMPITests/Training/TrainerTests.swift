import CKernels
import TestSupport
import Testing

@testable import MNISTMPI

/// The trainer over several ranks that are threads of this process (`ThreadCommunicator`),
/// checked against the same math done by hand on one rank.
struct TrainerTests {
    /// The tutorial's network with a narrower hidden layer: the sums, shards and steps checked
    /// here do not depend on the width, and eight times fewer parameters keep the unit tests
    /// (above all under ThreadSanitizer) short. The system tests train the full width.
    let architecture = Architecture(hidden: 64)

    /// `count` random images and labels.
    func randomSplit(_ count: Int, seed: UInt64 = 7) -> Split {
        var rng = SplitMix64(seed: seed, stream: 0)
        return Split(
            images: (0..<(count * Split.imageSize)).map { _ in UInt8(rng.next(below: 256)) },
            labels: (0..<count).map { _ in UInt8(rng.next(below: 10)) })
    }

    /// Trains with `ranks` threads (spread over `nodes` pretend nodes); returns every rank's
    /// final parameters and velocities. With `resumeAfter`, a run of `firstRanks` (default:
    /// `ranks`) threads on one node, summing with `firstReduction` (default: the same as the
    /// run's), first writes a checkpoint after that many steps, and the run goes on from it.
    func train(
        _ options: TrainingOptions, on data: Split, ranks: Int, nodes: Int = 1, resumeAfter: Int? = nil,
        firstRanks: Int? = nil, firstReduction: ReductionStrategy? = nil
    ) -> [(parameters: [Float], velocity: [Float], history: [EpochMetrics])] {
        let initial = architecture.glorotInitialization(seed: options.seed).array
        let store = CheckpointStore(directory: Fixtures.temporaryDirectory())
        if let steps = resumeAfter {
            var first = options
            first.maxSteps = steps
            first.checkpointEverySteps = steps
            first.checkpoints = store
            first.reduction = firstReduction ?? options.reduction
            _ = ThreadCommunicator.run(ranks: firstRanks ?? ranks) { [first] comm in
                let trainer = try! Trainer(
                    comm: comm, architecture: architecture, options: first, data: data,
                    initialParameters: FloatBuffer(initial))
                try! trainer.train()
            }
        }
        return ThreadCommunicator.run(ranks: ranks, nodes: nodes) { comm in
            let resume = resumeAfter.map { steps in
                try! Checkpoint.decode(FileIO.read(store.path(step: steps)), name: "checkpoint", architecture: architecture)
            }
            let trainer = try! Trainer(
                comm: comm, architecture: architecture, options: options, data: data,
                initialParameters: FloatBuffer(initial), resume: resume)
            try! trainer.train()
            return (trainer.parameters.array, trainer.velocity.array, trainer.history)
        }
    }

    /// One rank, one workspace, every row of each batch in one pass: the reference.
    func byHand(_ data: Split, batchSize: Int, steps: Int, divisor: (Int) -> Int = { $0 }) -> [Float] {
        let parameters = architecture.glorotInitialization(seed: 42), velocity = FloatBuffer(count: architecture.parameterCount)
        let gradients = FloatBuffer(count: architecture.parameterCount)
        let workspace = Workspace(architecture, capacity: batchSize)
        for batch in Sharding.batches(samples: data.count, batchSize: batchSize).prefix(steps) {
            workspace.load(data, indices: batch.map { Int32($0) })
            Network.prepare(parameters, workspace)
            Network.forward(parameters, workspace, rows: 0..<batch.count)
            _ = Network.backward(workspace, rows: 0..<batch.count, gradients: gradients.pointer)
            RMSprop().step(
                weights: parameters.pointer, velocity: velocity.pointer, gradientSums: gradients.pointer,
                batchSize: divisor(batch.count), count: architecture.parameterCount)
        }
        return parameters.array
    }

    func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max()!
    }

    @Test func lastBatchOf96IsDividedBy96() {
        var options = TrainingOptions()
        options.epochs = 1
        options.shuffle = false
        let data = randomSplit(128 + 96)
        let ranks = train(options, on: data, ranks: 3)
        let right = byHand(data, batchSize: 128, steps: 2)
        let wrong = byHand(data, batchSize: 128, steps: 2) { _ in 128 }
        #expect(ranks[0].history.map(\.steps) == [2])
        #expect(largestDifference(ranks[0].parameters, right) < 1e-6)
        // Dividing the last batch by 128 would be visibly off: the check above can fail.
        #expect(largestDifference(right, wrong) > 1e-5)
    }

    @Test func aRankWithAnEmptyShardContributesZeros() {
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 4
        let data = randomSplit(10)  // batches of 4, 4 and 2: the last one leaves rank 2 of 3 without a row
        let one = train(options, on: data, ranks: 1)
        let three = train(options, on: data, ranks: 3)
        #expect(three[0].history.map(\.steps) == [3, 3])
        #expect(largestDifference(three[0].parameters, one[0].parameters) < 1e-6)
        #expect(three[0].history.map(\.loss) != [])
    }

    @Test(arguments: [2, 3, 4], [ReductionStrategy.allreduce, .sharded, .sharedMemory])
    func everyRankEndsWithIdenticalWeights(ranks: Int, reduction: ReductionStrategy) {
        var options = TrainingOptions()
        options.batchSize = 64
        options.maxSteps = 12
        options.reduction = reduction
        let results = train(options, on: randomSplit(500), ranks: ranks)
        let checksums = results.map { sha256Hex(FloatBuffer($0.parameters).bytes + FloatBuffer($0.velocity).bytes) }
        #expect(Set(checksums).count == 1)
    }

    @Test func resumingFromAnEncodedCheckpointContinuesBitForBit() {
        var options = TrainingOptions()
        options.batchSize = 64
        options.epochs = 3
        options.maxSteps = 20  // 8 steps an epoch: the checkpoint is mid-epoch
        let data = randomSplit(500)
        let whole = train(options, on: data, ranks: 2)
        let resumed = train(options, on: data, ranks: 2, resumeAfter: 11)
        for (a, b) in zip(whole, resumed) {
            #expect(a.parameters.map(\.bitPattern) == b.parameters.map(\.bitPattern))
            #expect(a.velocity.map(\.bitPattern) == b.velocity.map(\.bitPattern))
            #expect(a.history.map(\.loss) == b.history.map(\.loss) && a.history.map(\.accuracy) == b.history.map(\.accuracy))
        }
    }

    /// In mixed precision the ranks of a node that share the weights share W1's bfloat16 pairs,
    /// each packing those of the weights it stepped: after the last step (the slices cut inside
    /// rows and inside pairs of rows) they are the pairs of the final weights on every rank.
    @Test(
        .enabled(if: Precision.mixedBFloat16.runsHere, "the CPU lacks AVX512_BF16"),
        arguments: [(ReductionStrategy.sharedMemory, 3, 1), (.hierarchical, 4, 2), (.factored, 3, 1), (.factored, 4, 2)])
    func sharedPairsAreThoseOfTheSteppedWeights(strategy: ReductionStrategy, ranks: Int, nodes: Int) {
        var options = TrainingOptions()
        options.batchSize = 64
        options.maxSteps = 7
        options.precision = .mixedBFloat16
        options.reduction = strategy
        let (a, data) = (architecture, randomSplit(500))
        let stale = ThreadCommunicator.run(ranks: ranks, nodes: nodes) { [options] comm -> Int in
            let trainer = try! Trainer(
                comm: comm, architecture: a, options: options, data: data, initialParameters: a.glorotInitialization(seed: 3))
            try! trainer.train()
            let words = BFloat16Operands.w1PairWords(a)
            guard let shared = trainer.w1Pairs else { return -1 }
            var expected = [UInt32](repeating: 0, count: words)
            bf16_pair_rows(trainer.parameters.pointer + a.w1.offset, a.inputs, a.hidden, a.hidden, &expected)
            return differing(Array(UnsafeBufferPointer(start: shared, count: words)), expected)
        }
        #expect(stale == [Int](repeating: 0, count: ranks), "pairs differing on each rank (-1: none shared)")
    }

    /// The sharded optimizers take the same steps as the plain allreduce, up to the order of
    /// the float sums, for any rank count (50 steps); their checkpoints resume at another rank count.
    @Test(arguments: [1, 2, 3, 4], [ReductionStrategy.sharded, .sharedMemory])
    func shardedAgreesWithAllreduce(ranks: Int, strategy: ReductionStrategy) {
        var options = TrainingOptions()
        options.batchSize = 64
        options.maxSteps = 50
        let data = randomSplit(500)
        let plain = train(options, on: data, ranks: ranks)[0]
        options.reduction = strategy
        let sharded = train(options, on: data, ranks: ranks)[0]
        #expect(largestDifference(plain.parameters, sharded.parameters) < 1e-5)
        #expect(largestDifference(plain.velocity, sharded.velocity) < 1e-5)
        // Resumed from a checkpoint written with 4 ranks (or, at 4, with 2).
        let resumed = train(options, on: data, ranks: ranks, resumeAfter: 20, firstRanks: ranks == 4 ? 2 : 4)[0]
        #expect(largestDifference(sharded.parameters, resumed.parameters) < 1e-5)
    }
}

extension FloatBuffer {
    /// The raw bytes of the values.
    var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: pointer, count: count * 4)) }
}
