import TestSupport
import Testing

@testable import MNISTMPI

/// The hierarchical reduction over ranks that are threads pretending to sit on several nodes
/// (`ThreadCommunicator.group(_:nodes:)`): shared segments on a node, the ring between nodes.
struct HierarchicalReductionTests {
    let trainer = TrainerTests()

    func options(_ reduction: TrainingOptions.Reduction, wire: WirePrecision = .float32) -> TrainingOptions {
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

    /// Nodes with different rank counts: `hierarchical` refuses, `automatic` falls back to allreduce.
    @Test func unevenNodes() {
        let names = ThreadCommunicator.run(ranks: 3, nodes: 2) { comm in
            let explicit = Result { try TrainingOptions.Reduction.hierarchical.make(comm: comm, parameterCount: 10, wire: .float32) }
            let automatic = try! TrainingOptions.Reduction.automatic.make(comm: comm, parameterCount: 10, wire: .float32)
            return [(try? explicit.get()).map { _ in "made" } ?? "refused", automatic.name]
        }
        #expect(names.allSatisfy { $0 == ["refused", "allreduce"] })
        let even = ThreadCommunicator.run(ranks: 4, nodes: 2) { comm in
            try! TrainingOptions.Reduction.automatic.make(comm: comm, parameterCount: 10, wire: .float32).name
        }
        #expect(even == Array(repeating: "hierarchical", count: 4))
    }
}

/// bfloat16 rounding against a reference that picks the nearer of the two neighbouring
/// bfloat16 values in double precision, ties to the even one.
struct BFloat16Tests {
    func reference(_ x: Float) -> UInt16 {
        let down = UInt16(x.bitPattern >> 16)
        let up = down &+ 1
        let (a, b) = (Double(BFloat16.float(down)), Double(BFloat16.float(up)))
        let (da, db) = (abs(Double(x) - a), abs(Double(x) - b))
        if da < db || b.isNaN { return down }
        if db < da { return up }
        return down & 1 == 0 ? down : up
    }

    @Test func roundsToNearestTiesToEven() {
        var rng = SplitMix64(seed: 3, stream: 0)
        for _ in 0..<200_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            guard x.isFinite, abs(x) < Float(bitPattern: 0x7F7F_0000) else { continue }
            #expect(BFloat16.bits(x) == reference(x), "\(x)")
        }
        // Exact ties: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 and goes to the even 1;
        // 1 + 3 * 2^-8 goes up to the even 1 + 2^-6.
        #expect(BFloat16.float(BFloat16.bits(1 + 0x1p-8)) == 1)
        #expect(BFloat16.float(BFloat16.bits(1 + 3 * 0x1p-8)) == 1 + 0x1p-6)
        #expect(BFloat16.float(BFloat16.bits(-2.5)) == -2.5)
    }

    @Test func specialValues() {
        #expect(BFloat16.float(BFloat16.bits(.infinity)) == .infinity)
        #expect(BFloat16.float(BFloat16.bits(-.infinity)) == -.infinity)
        #expect(BFloat16.float(BFloat16.bits(.nan)).isNaN)
        // A NaN whose payload sits only in the low bits must not round to infinity.
        #expect(BFloat16.float(BFloat16.bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        #expect(BFloat16.float(BFloat16.bits(.greatestFiniteMagnitude)) == .infinity)
        #expect(BFloat16.bits(-0.0) == 0x8000)
    }

    @Test func wireRoundTrips() {
        let values: [Float] = [1, -2.75, 3.14159, 1e-20, 65504, 0.1]
        for wire in WirePrecision.allCases {
            let bytes = UnsafeMutableRawPointer.allocate(byteCount: values.count * 4, alignment: 4)
            defer { bytes.deallocate() }
            var decoded = [Float](repeating: 7, count: values.count)
            values.withUnsafeBufferPointer { wire.encode($0.baseAddress!, count: values.count, into: bytes) }
            wire.decode(bytes, into: &decoded, count: values.count)
            var rounded = values
            wire.round(&rounded, count: values.count)
            #expect(decoded == rounded)
            #expect(wire == .float32 ? decoded == values : decoded != values)
            var sums: [Float] = Array(repeating: 1, count: values.count)
            wire.decodeAdding(bytes, to: &sums, count: values.count)
            #expect(sums == rounded.map { $0 + 1 })
        }
    }
}
