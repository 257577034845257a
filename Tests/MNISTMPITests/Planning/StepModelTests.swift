import Testing

@testable import MNISTMPI

/// The step model against the alpha-beta costs worked out by hand for small layouts.
struct StepModelTests {
    let alpha = 50e-6, beta = 8e-9  // 50 us, 1 Gb/s
    let memoryBeta = 1e-10, stackBeta = 5e-10  // 10 GB/s through memory, 2 GB/s through the network stack
    var costs: StepModel.Costs {
        StepModel.Costs(
            secondsPerSample: Calibration.rows.map { 20e-6 + 1e-6 / Double($0) },
            firstLayerSecondsPerSample: Calibration.rows.map { 10e-6 + 0.5e-6 / Double($0) }, optimizerSecondsPerParameter: 1e-9,
            link: .init(latency: alpha, secondsPerByte: beta), memory: .init(latency: 1e-6, secondsPerByte: memoryBeta),
            networkCoreSecondsPerByte: stackBeta, wireSecondsPerValue: [.float32: 0, .bfloat16: 0])
    }
    let n = Double(Architecture().parameterCount * 4)

    @Test func hierarchicalRingOverTwoAndFourHosts() {
        let model = StepModel(costs: costs)
        let two = model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2))
        #expect(two.linkBytes == n)
        #expect(abs(two.network - (2 * alpha + n * beta)) < 1e-12)
        let four = model.predict(.init(hosts: 4, ranksPerHost: 1, coresPerHost: 2))
        #expect(four.linkBytes == 1.5 * n)
        #expect(abs(four.network - (6 * alpha + 1.5 * n * beta)) < 1e-12)
        let bf16 = model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2, wire: .bfloat16))
        #expect(bf16.linkBytes == n / 2)
        // One host: nothing on the link.
        #expect(model.predict(.init(hosts: 1, ranksPerHost: 2, coresPerHost: 2)).network == 0)
    }

    /// The factored strategy: N - 1 ring rounds, each carrying one host's rows of the batch's
    /// hidden-layer gradients (wire precision) and its second-layer sums (float32); each rank
    /// computes its shard without the first layer's product, then its 1/R of that product over
    /// the whole batch; each steps its kernel rows and all of the rest.
    @Test func factoredSendsTheHiddenGradientsAndComputesTheFirstLayerOverTheBatch() {
        let a = Architecture(), model = StepModel(costs: costs)
        let secondLayer = Double(a.parameterCount + Tail.allCases.count - a.w2.offset) * 4
        let two = model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2, strategy: .factored))
        #expect(two.linkBytes == 64 * 512 * 4 + secondLayer)
        #expect(abs(two.network - (alpha + (64 * 512 * 4 + secondLayer) * beta)) < 1e-12)
        let four = model.predict(.init(hosts: 4, ranksPerHost: 1, coresPerHost: 1, strategy: .factored, wire: .bfloat16))
        #expect(four.linkBytes == 3 * (32 * 512 * 2 + secondLayer))
        // 32 rows a rank, then half the kernel's product over 128 rows.
        let c = costs
        let compute =
            32 * (c.secondsPerSample(rows: 32) - c.firstLayerSecondsPerSample(rows: 32)) + 128 * c.firstLayerSecondsPerSample(rows: 128) / 2
        #expect(abs(two.compute - compute) < 1e-12)
        let kernel = Double(a.w1.count)
        #expect(abs(two.optimizer - (kernel / 2 + Double(a.parameterCount) - kernel) * 1e-9) < 1e-15)
        // One rank alone does the very same work either way.
        let alone = (
            StepModel.Layout(hosts: 1, ranksPerHost: 1, coresPerHost: 1, strategy: .factored),
            StepModel.Layout(hosts: 1, ranksPerHost: 1, coresPerHost: 1)
        )
        #expect(abs(model.predict(alone.0).compute - model.predict(alone.1).compute) < 1e-12)
    }

    /// `fastest` ranks the modelled strategies: across a slow link the factored one, which
    /// sends a tenth of the bytes; the runner-up is the next fastest.
    @Test func fastestTakesTheQuickestPrediction() {
        var slow = costs
        slow.link.secondsPerByte = 8 / 1e9
        let model = StepModel(costs: slow)
        let layout = StepModel.Layout(hosts: 2, ranksPerHost: 2, coresPerHost: 2)
        let (best, runnerUp) = model.fastest(layout)
        #expect(best.0 == .factored && best.1 == model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2, strategy: .factored)))
        let others = [ReductionStrategy.hierarchical, .allreduce].map { strategy in
            model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2, strategy: strategy)).total
        }
        #expect(runnerUp.1.total == others.min()! && best.1.total < runnerUp.1.total)
    }

    /// Every ring step encodes the chunk a rank sends and decodes and adds the one it receives:
    /// 2 (N - 1) chunks of P / (R N) values, on cores its host's ranks may share.
    @Test func ringStepsConvertWhatTheyPassAlong() {
        var converting = costs
        converting.wireSecondsPerValue = [.float32: 1e-10, .bfloat16: 4e-10]
        let p = Double(Architecture().parameterCount)
        let plain = StepModel(costs: costs), model = StepModel(costs: converting)
        for (wire, perValue) in [(WirePrecision.float32, 1e-10), (.bfloat16, 4e-10)] {
            for (ranks, cores) in [(2, 2.0), (2, 1.0)] {
                let layout = StepModel.Layout(hosts: 4, ranksPerHost: ranks, coresPerHost: cores, wire: wire)
                let extra = model.predict(layout).network - plain.predict(layout).network
                let expected = 6 * p / Double(ranks * 4) * perValue * (2 / cores)
                #expect(abs(extra - expected) < 1e-12, "\(wire) \(ranks) ranks on \(cores) cores")
            }
        }
    }

    /// Between two barriers each rank reads the gradient once (its slice of every rank's sums)
    /// and copies the other ranks' slices of the weights: one pass costs half an exchange's
    /// seconds a byte (which copies in and out). Ranks sharing a core take turns.
    @Test func onHostReductionReadsTheGradientAndCopiesTheWeights() {
        let model = StepModel(costs: costs)
        let one = model.predict(.init(hosts: 1, ranksPerHost: 1, coresPerHost: 1))
        #expect(abs(one.onHost - (2e-6 + n * memoryBeta / 2)) < 1e-12)
        let four = model.predict(.init(hosts: 1, ranksPerHost: 4, coresPerHost: 4))
        #expect(abs(four.onHost - (2e-6 + 1.75 * n * memoryBeta / 2)) < 1e-12)
        let shared = model.predict(.init(hosts: 1, ranksPerHost: 4, coresPerHost: 2))
        #expect(abs(shared.onHost - (2e-6 + 2 * 1.75 * n * memoryBeta / 2)) < 1e-12)
    }

    /// On a fast link the network stack's core time bounds a ring step: two emulated hosts on
    /// one core (half a core each) spend twice one host's.
    @Test func aRingStepWaitsForTheCoresThatCarryIt() {
        var fast = costs
        fast.link.secondsPerByte = 1e-10
        let model = StepModel(costs: fast)
        let ownCores = model.predict(.init(hosts: 4, ranksPerHost: 1, coresPerHost: 1))
        #expect(abs(ownCores.network - (6 * alpha + 1.5 * n * stackBeta)) < 1e-12)
        let halfCores = model.predict(.init(hosts: 4, ranksPerHost: 1, coresPerHost: 0.5))
        #expect(abs(halfCores.network - (6 * alpha + 2 * 1.5 * n * stackBeta)) < 1e-12)
        // Two ranks a host on two cores: the host's link carries both ranks' chunks, each core one.
        let twoRanks = model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2))
        #expect(abs(twoRanks.network - (2 * alpha + n * max(1e-10, stackBeta / 2))) < 1e-12)
    }

    /// A link shaped by a token bucket (tc tbf) lets a burst through at once, and its tokens grow
    /// at the link's rate, also while the step computes. When the step needs more tokens than
    /// the computing refills, they all come from the rate: the step is the link's bytes over it
    /// (the latencies refill what they cost). When the computing refills more, the ring passes
    /// at the network stack's speed.
    @Test func aTokenBucketLendsTheComputeTimeToTheLink() {
        var shaped = costs
        shaped.link.burstBytes = 1024 * 1024
        let twoHosts = StepModel.Layout(hosts: 2, ranksPerHost: 1, coresPerHost: 1)
        let busy = StepModel(costs: shaped).predict(twoHosts)
        #expect(busy.linkBytes == n)
        #expect(abs(busy.total - n * beta) < 1e-9)
        #expect(busy.total < StepModel(costs: costs).predict(twoHosts).total)
        // Forty times the batch computes long enough to refill the bf16 ring's half (n / 2).
        let idle = StepModel(costs: shaped, batchSize: 128 * 40).predict(.init(hosts: 2, ranksPerHost: 1, coresPerHost: 1, wire: .bfloat16))
        #expect(abs(idle.network - 2 * (alpha + n / 4 * stackBeta)) < 1e-12)
    }

    @Test func flatAllreduceFollowsTheMapping() {
        let model = StepModel(costs: costs)
        // By slot, Rabenseifner's first (largest) exchanges stay on a host: the link carries the
        // same bytes as the hierarchy. By node, each of a host's ranks sends half the gradient
        // across in the first step and gets it back in the last.
        let slot = model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2, strategy: .allreduce))
        #expect(slot.linkBytes == n / 2 + n / 2)
        let node = model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2, byNode: true, strategy: .allreduce))
        #expect(node.linkBytes == 2 * (n / 2) + 2 * (n / 2))
        #expect(node.network > slot.network)
        // Three ranks (OpenMPI's fold): ranks 0 and 1 swap halves, rank 1 sends its reduced half
        // to rank 0 and sits out; ranks 0 and 2 halve and double; rank 0 sends rank 1 the whole sum.
        let three = model.predict(.init(hosts: 3, ranksPerHost: 1, coresPerHost: 1, strategy: .allreduce))
        #expect(three.linkBytes == n / 2 + n / 2 + n / 2 + n / 2 + n)
        #expect(abs(three.network - (5 * alpha + 3 * n * beta)) < 1e-12)
    }

    @Test func computeAndOptimizerShareCores() {
        let model = StepModel(costs: costs)
        let one = model.predict(.init(hosts: 1, ranksPerHost: 1, coresPerHost: 1))
        #expect(abs(one.compute - 128 * (20e-6 + 1e-6 / 128)) < 1e-12)
        #expect(abs(one.optimizer - Double(Architecture().parameterCount) * 1e-9) < 1e-12)
        // Four ranks on two cores: 32 rows each, two ranks a core.
        let four = model.predict(.init(hosts: 1, ranksPerHost: 4, coresPerHost: 2))
        #expect(abs(four.compute - 2 * 32 * (20e-6 + 1e-6 / 32)) < 1e-12)
        // 43 rows fall between the measured 32 and 64.
        let perSample = costs.secondsPerSample(rows: 43)
        #expect(perSample < 20e-6 + 1e-6 / 32 && perSample > 20e-6 + 1e-6 / 64)
    }
}
