import Foundation
import Testing

@testable import MNISTMPI

/// Number formatting against C's printf (Foundation's String(format:)) away from rounding ties.
struct FormattingTests {
    @Test func fixedDecimalsMatchPrintf() {
        var rng = SplitMix64(seed: 11, stream: 0)
        for _ in 0..<20_000 {
            let x = (Double(rng.next() % 10_000_000) / 1000 + 0.000_123) * (rng.next() % 2 == 0 ? 1 : -1)
            #expect(format4(x) == String(format: "%.4f", x), "\(x)")
            #expect(format1(x) == String(format: "%.1f", x), "\(x)")
            if x >= 0 { #expect(format3(x) == String(format: "%.3f", x), "\(x)") }
            for decimals in 0...4 {
                // printf keeps the sign of a value that rounds to zero ("-0"); ours drops it.
                let printf = String(format: "%.\(decimals)f", x)
                let expected = printf.allSatisfy { "-0.".contains($0) } ? String(printf.drop { $0 == "-" }) : printf
                #expect(format(x, decimals: decimals) == expected, "\(x)")
            }
        }
        #expect(format4(0.98035) != "", "a tie rounds one way or the other")
        #expect(format4(.nan) == "nan" && format4(.infinity) == "inf")
        #expect(format(-0.3, decimals: 0) == "0" && format(-0.6, decimals: 0) == "-1" && format(2.5, decimals: 0) == "3")
        #expect(format(1e300, decimals: 1) == "1e+300" && format(-.infinity, decimals: 2) == "-inf" && format(.nan, decimals: 0) == "nan")
        #expect(format(8e17, decimals: 1) == String(format: "%.1f", 8e17))
    }

    @Test func hexAndDivision() {
        #expect(hex([0, 1, 0xAB, 0xFF]) == "0001abff")
        #expect(hex([0xDE, 0xAD], separator: " ") == "de ad")
        #expect(divideRoundingUp(60_000, 128) == 469)
        #expect(divideRoundingUp(0, 7) == 0)
        #expect(divideRoundingUp(Int.max, 1) == Int.max)
        #expect(divideRoundingUp(Int.max, 2) == Int.max / 2 + 1)
    }

    @Test func shortestDecimalOfAFloat() {
        #expect(shortestDecimal(0.001) == 0.001)
        #expect(Double(Float(0.001)) != 0.001)  // why the helper exists
        #expect(shortestDecimal(1e-7) == 1e-7)
        #expect(shortestDecimal(3) == 3)
    }

    @Test func paddingAndTrimming() {
        #expect("7".leftPadded(to: 3) == "007")
        #expect("1234".leftPadded(to: 3) == "1234")
        #expect("  a b \n".trimmed == "a b")
        #expect(String(nulTerminated: [104, 105, 0, 120]) == "hi")
    }
}
