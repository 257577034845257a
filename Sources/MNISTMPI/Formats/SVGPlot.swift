/// Small, dependency-free SVG figures: training curves and a confusion matrix.
public enum SVGPlot {
    public static let trainColour = "#1f77b4"
    public static let testColour = "#ff7f0e"

    /// One line of a chart: values per epoch (nil where there is none).
    public struct Series {
        public var label: String
        public var values: [Double?]
        public var colour: String
        public init(_ label: String, _ values: [Double?], colour: String) {
            self.label = label
            self.values = values
            self.colour = colour
        }
    }

    /// Two panels side by side, loss and accuracy against epoch, train and test lines.
    public static func trainingCurves(loss: [Series], accuracy: [Series], title: String) -> String {
        let panelWidth = 420.0, height = 340.0
        var svg = header(width: 2 * panelWidth + 40, height: height + 40)
        svg += text(x: panelWidth + 20, y: 24, title, size: 16, anchor: "middle", bold: true)
        svg += panel(x: 20, y: 40, width: panelWidth, height: height, title: "Loss", yLabel: "loss", series: loss)
        svg += panel(x: panelWidth + 20, y: 40, width: panelWidth, height: height, title: "Accuracy", yLabel: "accuracy", series: accuracy)
        return svg + "</svg>\n"
    }

    private static func panel(
        x: Double, y: Double, width: Double, height: Double, title: String,
        yLabel: String, series: [Series]
    ) -> String {
        let left = x + 70, right = x + width - 15, top = y + 42, bottom = y + height - 50
        let epochs = series.map(\.values.count).max() ?? 1
        let all = series.flatMap { $0.values.compactMap { $0 } }
        let axis = ticks(low: all.min() ?? 0, high: all.max() ?? 1)
        let (low, high) = (axis.values.first!, axis.values.last!)
        func px(_ epoch: Int) -> Double { epochs <= 1 ? (left + right) / 2 : left + (right - left) * Double(epoch) / Double(epochs - 1) }
        func py(_ v: Double) -> Double { bottom - (bottom - top) * (v - low) / (high - low) }

        var s = text(x: (left + right) / 2, y: y + 16, title, size: 14, anchor: "middle", bold: true)
        s +=
            "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"#444\"/>\n"
        for v in axis.values {  // y grid and ticks
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(v)))\" x2=\"\(f(right))\" y2=\"\(f(py(v)))\" stroke=\"#ddd\"/>\n"
            s += text(x: left - 6, y: py(v) + 4, format(v, decimals: axis.decimals), size: 11, anchor: "end")
        }
        for e in 0..<epochs {  // x ticks: epochs counted from 1, as Keras prints them
            s += text(x: px(e), y: bottom + 16, "\(e + 1)", size: 11, anchor: "middle")
        }
        s += text(x: (left + right) / 2, y: bottom + 34, "epoch", size: 12, anchor: "middle")
        s +=
            "<text x=\"\(f(x + 14))\" y=\"\(f((top + bottom) / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(x + 14)) \(f((top + bottom) / 2)))\">\(yLabel)</text>\n"
        for (k, line) in series.enumerated() {
            let points = line.values.enumerated().compactMap { e, v in v.map { (x: f(px(e)), y: f(py($0))) } }
            if points.count > 1 {
                s +=
                    "<polyline points=\"\(points.map { "\($0.x),\($0.y)" }.joined(separator: " "))\" fill=\"none\" stroke=\"\(line.colour)\" stroke-width=\"2\"/>\n"
            }
            for p in points {
                s += "<circle cx=\"\(p.x)\" cy=\"\(p.y)\" r=\"3\" fill=\"\(line.colour)\"/>\n"
            }
            // Legend: one row above the plot, right-aligned, so it never covers a line.
            let lx = right - 80 * Double(series.count - k), ly = top - 8
            s +=
                "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 20))\" y2=\"\(f(ly - 4))\" stroke=\"\(line.colour)\" stroke-width=\"2\"/>\n"
            s += text(x: lx + 25, y: ly, escape(line.label), size: 11, anchor: "start")
        }
        return s
    }

    /// Round tick values covering `low...high`: steps of 1, 2 or 5 times a power of ten, the
    /// smallest giving at most `count` intervals (as matplotlib's tick locator picks them), the
    /// axis running from the tick at or below `low` to the one at or above `high`; and the
    /// decimals the step needs.
    static func ticks(low: Double, high: Double, count: Int = 6) -> (values: [Double], decimals: Int) {
        var (low, high) = (low, high)
        if !(high - low > 1e-12) { low -= 0.5; high += 0.5 }
        let magnitude = (high - low) / Double(count)
        var power = 1.0, exponent = 0
        while power * 10 <= magnitude { power *= 10; exponent += 1 }
        while power > magnitude { power /= 10; exponent -= 1 }
        let step = [1.0, 2, 5, 10, 20].map { $0 * power }.first {
            (high / $0).rounded(.up) - (low / $0).rounded(.down) <= Double(count)
        }!
        let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
        let decimals = max(0, -(exponent + (step >= 10 * power * 0.999 ? 1 : 0)))
        return (stride(from: first, through: last, by: 1).map { $0 * step }, decimals)
    }

    /// A heat map of `confusion[truth][predicted]` with the counts written in each cell.
    public static func confusionMatrix(_ confusion: [[Int]], classNames: [String], title: String) -> String {
        // Axis titles sit just beyond the longest class name (about 6.2 px a character at 11 px).
        let n = confusion.count, cell = 44.0, top = 70.0
        let labelWidth = 6.2 * Double(classNames.map(\.count).max() ?? 1)
        let left = labelWidth + 40, below = top + cell * Double(n) + 8 + labelWidth * 0.71 + 20
        let size = left + cell * Double(n) + 30
        var svg = header(width: size, height: below + 12)
        svg += text(x: left + cell * Double(n) / 2, y: 24, escape(title), size: 16, anchor: "middle", bold: true)
        let largest = Double(confusion.flatMap { $0 }.max() ?? 1)
        for t in 0..<n {
            for p in 0..<n {
                let count = confusion[t][p]
                // Square root so that small off-diagonal counts still show.
                let shade = (Double(count) / max(largest, 1)).squareRoot()
                let r = Int(255 - 222 * shade), g = Int(255 - 153 * shade), b = Int(255 - 75 * shade)
                let x = left + cell * Double(p), y = top + cell * Double(t)
                svg +=
                    "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"rgb(\(r),\(g),\(b))\" stroke=\"#fff\"/>\n"
                svg +=
                    "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + 4))\" font-size=\"11\" text-anchor=\"middle\" fill=\"\(shade > 0.6 ? "#fff" : "#222")\">\(count)</text>\n"
            }
            svg += text(x: left - 6, y: top + cell * (Double(t) + 0.5) + 4, escape(classNames[t]), size: 11, anchor: "end")
            let lx = left + cell * (Double(t) + 0.5), ly = top + cell * Double(n) + 8
            svg +=
                "<text x=\"\(f(lx))\" y=\"\(f(ly))\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-45 \(f(lx)) \(f(ly)))\">\(escape(classNames[t]))</text>\n"
        }
        svg += text(x: left + cell * Double(n) / 2, y: below, "predicted class", size: 12, anchor: "middle")
        let tx = left - labelWidth - 20, ty = top + cell * Double(n) / 2
        svg +=
            "<text x=\"\(f(tx))\" y=\"\(f(ty))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(tx)) \(f(ty)))\">true class</text>\n"
        return svg + "</svg>\n"
    }

    private static func header(width: Double, height: Double) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif">
        <rect width="100%" height="100%" fill="#fff"/>

        """
    }

    private static func text(x: Double, y: Double, _ s: String, size: Int, anchor: String, bold: Bool = false) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\"\(bold ? " font-weight=\"bold\"" : "")>\(s)</text>\n"
    }

    private static func f(_ v: Double) -> String { format1(v) }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }
}
