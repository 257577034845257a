import Testing

@testable import MNISTMPI

/// Axis ticks are round numbers, as matplotlib's MaxNLocator picks them for the same ranges.
struct SVGPlotTests {
    @Test func ticksAreOneTwoFiveSteps() {
        let loss = SVGPlot.ticks(low: 0.0669, high: 0.2874)
        #expect(loss.values.map { format($0, decimals: loss.decimals) } == ["0.05", "0.10", "0.15", "0.20", "0.25", "0.30"])
        let accuracy = SVGPlot.ticks(low: 0.9239, high: 0.989)
        #expect(accuracy.values.map { format($0, decimals: accuracy.decimals) } == ["0.92", "0.94", "0.96", "0.98", "1.00"])
        let wide = SVGPlot.ticks(low: 3, high: 480)
        #expect(wide.values.map { format($0, decimals: wide.decimals) } == ["0", "100", "200", "300", "400", "500"])
        let flat = SVGPlot.ticks(low: 0.5, high: 0.5)
        #expect(flat.values.first! <= 0 && flat.values.last! >= 1)
        // Every range: at most 7 ticks, evenly spaced, covering the data.
        var rng = SplitMix64(seed: 5, stream: 0)
        for _ in 0..<2000 {
            let a = Double(rng.next() % 100_000) / 1000, b = a + Double(rng.next() % 100_000 + 1) / 1e5
            let t = SVGPlot.ticks(low: a, high: b).values
            #expect(t.count <= 7 && t.first! <= a + 1e-9 && t.last! >= b - 1e-9, "\(a) \(b) \(t)")
        }
    }

    @Test func confusionMatrixTitlesSitBesideTheLabels() {
        let names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        let svg = SVGPlot.confusionMatrix(Array(repeating: Array(repeating: 1, count: 10), count: 10), classNames: names, title: "t")
        #expect(svg.contains(">true class</text>") && svg.contains(">predicted class</text>"))
        // The longest name (11 characters, ~68 px) ends 6 px left of the cells at x = 108.2;
        // the title stands ~20 px beyond it, not at the page edge.
        #expect(
            svg.contains(
                #"<text x="20.0" y="290.0" font-size="12" text-anchor="middle" transform="rotate(-90 20.0 290.0)">true class</text>"#),
            "\(svg)")
    }
}
