/// An 8-bit grayscale image, row-major, 0 = black.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x: Int, y: Int) -> UInt8 { pixels[y * width + x] }

    /// Mean of the outermost ring of pixels: the paper's colour.
    public var borderMean: Double {
        var sum = 0, count = 0
        for y in 0..<height {
            for x in 0..<width where y == 0 || y == height - 1 || x == 0 || x == width - 1 {
                sum += Int(self[x, y])
                count += 1
            }
        }
        return Double(sum) / Double(max(count, 1))
    }

    public var inverted: GrayImage { GrayImage(width: width, height: height, pixels: pixels.map { 255 - $0 }) }

    /// The image as MNIST draws digits: white ink on black paper, 28x28. Dark-on-light images
    /// (a bright border) are inverted; any size is resampled by averaging the covered area.
    public func mnistStyle(side: Int = 28) -> (image: GrayImage, inverted: Bool) {
        let invert = borderMean > 127.5
        let ink = invert ? inverted : self
        return (ink.width == side && ink.height == side ? ink : ink.resized(width: side, height: side), invert)
    }

    /// Box-filter resampling: each output pixel is the mean of the source area it covers
    /// (fractional coverage at the edges), which is right for shrinking and fine for growing.
    public func resized(width w: Int, height h: Int) -> GrayImage {
        let sx = Double(width) / Double(w), sy = Double(height) / Double(h)
        var out = [UInt8](repeating: 0, count: w * h)
        for oy in 0..<h {
            let y0 = Double(oy) * sy, y1 = y0 + sy
            for ox in 0..<w {
                let x0 = Double(ox) * sx, x1 = x0 + sx
                var sum = 0.0, area = 0.0
                for y in Int(y0)..<min(height, Int(y1.rounded(.up))) {
                    let cy = min(y1, Double(y + 1)) - max(y0, Double(y))
                    for x in Int(x0)..<min(width, Int(x1.rounded(.up))) {
                        let c = cy * (min(x1, Double(x + 1)) - max(x0, Double(x)))
                        sum += c * Double(self[x, y])
                        area += c
                    }
                }
                out[oy * w + ox] = UInt8((sum / area).rounded())
            }
        }
        return GrayImage(width: w, height: h, pixels: out)
    }
}
