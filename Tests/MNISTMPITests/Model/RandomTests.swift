import Testing

@testable import MNISTMPI

@Suite struct RandomTests {
    /// SplitMix64's published reference outputs for seed 0.
    @Test func matchesReferenceStream() {
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(rng.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func permutationIsAPermutationAndDependsOnTheStream() {
        var a = SplitMix64(seed: 42, stream: 1), b = SplitMix64(seed: 42, stream: 2)
        let p = a.permutation(1000), q = b.permutation(1000)
        #expect(p.sorted() == (0..<1000).map { Int32($0) })
        #expect(p != q)
        var again = SplitMix64(seed: 42, stream: 1)
        #expect(again.permutation(1000) == p)
    }

    @Test func boundedIntegersAreUniform() {
        var rng = SplitMix64(seed: 9)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[rng.next(below: 6)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 400 })
    }
}
