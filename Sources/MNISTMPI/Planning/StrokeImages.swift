/// Images that light pixels as MNIST's digits do, for timing the compute without the data:
/// the first layer's products skip what no row of a 4-row tile lights, so their time follows
/// how many pixels a row lights and how much rows overlap, not the pixels' values.
///
/// Each image is four strokes 3.4 pixels wide between points drawn uniformly from the central
/// 20 x 20 pixels, its lit pixels valued 1-255. Pixels lit, against the first 12,800 of MNIST's
/// training set shuffled (`StrokeImagesTests`): 147 a row (MNIST 150), 329 by some row of 4
/// (304), 511 of 64 (493), 523 of 128 (526). Uniform random bytes light all 784 in every tile
/// of 4 rows: 2.6 times the forward products of an MNIST step.
public enum StrokeImages {
    /// `count` images of 28 x 28 bytes, row after row, from `seed`.
    public static func make(count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed, stream: 7)
        var images = [UInt8](repeating: 0, count: count * Split.imageSize)
        for image in 0..<count {
            for _ in 0..<4 {
                let (y0, x0, y1, x1) = (point(&rng), point(&rng), point(&rng), point(&rng))
                let (dy, dx) = (y1 - y0, x1 - x0), length2 = max(dy * dy + dx * dx, 1e-9)
                for y in 0..<28 {
                    for x in 0..<28 {
                        // The distance from (y, x) to the segment, through its nearest point.
                        let t = min(max((Double(y) - y0) * dy + (Double(x) - x0) * dx, 0) / length2, 1)
                        let (ny, nx) = (y0 + t * dy - Double(y), x0 + t * dx - Double(x))
                        let pixel = image * Split.imageSize + y * 28 + x
                        if ny * ny + nx * nx < 1.7 * 1.7, images[pixel] == 0 { images[pixel] = UInt8(1 + rng.next(below: 255)) }
                    }
                }
            }
        }
        return images
    }

    private static func point(_ rng: inout SplitMix64) -> Double { 4 + 20 * Double(rng.nextUnitFloat()) }
}
