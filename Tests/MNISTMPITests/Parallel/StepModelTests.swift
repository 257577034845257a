import Testing

@testable import MNISTMPI

/// The step model against the alpha-beta costs worked out by hand for small layouts.
struct StepModelTests {
    let alpha = 50e-6, beta = 8e-9  // 50 us, 1 Gb/s
    var costs: StepModel.Costs {
        StepModel.Costs(
            secondsPerSample: Calibration.rows.map { 20e-6 + 1e-6 / Double($0) }, optimizerSecondsPerParameter: 1e-9,
            link: .init(latency: alpha, secondsPerByte: beta), memory: .init(latency: 1e-6, secondsPerByte: 1e-10))
    }
    let n = Double(Architecture().parameterCount * 4)

    @Test func hierarchicalRingOverTwoAndFourHosts() {
        let model = StepModel(costs: costs)
        let two = model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2))
        #expect(two.linkBytes == n)
        #expect(abs(two.reduction - (2 * alpha + n * beta)) < 1e-12)
        let four = model.predict(.init(hosts: 4, ranksPerHost: 1, coresPerHost: 2))
        #expect(four.linkBytes == 1.5 * n)
        #expect(abs(four.reduction - (6 * alpha + 1.5 * n * beta)) < 1e-12)
        let bf16 = model.predict(.init(hosts: 2, ranksPerHost: 2, coresPerHost: 2, wire: .bfloat16))
        #expect(bf16.linkBytes == n / 2)
        // One host: nothing on the link.
        #expect(model.predict(.init(hosts: 1, ranksPerHost: 2, coresPerHost: 2)).reduction == 0)
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
        #expect(node.reduction > slot.reduction)
        // Three ranks: rank 0 folds half into rank 1, ranks 1 and 2 halve and double, rank 1
        // unfolds the whole sum to rank 0. Host 0 (rank 0) and host 1 (rank 1) carry it.
        let three = model.predict(.init(hosts: 3, ranksPerHost: 1, coresPerHost: 1, strategy: .allreduce))
        #expect(three.linkBytes == n / 2 + n / 2 + n / 2 + n)
        #expect(abs(three.reduction - (4 * alpha + 2.5 * n * beta)) < 1e-12)
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
