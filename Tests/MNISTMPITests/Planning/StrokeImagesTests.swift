import TestSupport
import Testing

@testable import MNISTMPI

/// The images `plan` times the compute on light pixels as real MNIST does: per row, in tiles of
/// 4 rows (what the first layer's products skip by), and in shards of 64 and 128 rows, each
/// within 12% of the training set's own (its first 12,800 samples, shuffled as an epoch is).
@Suite struct StrokeImagesTests {
    /// The mean count of pixels that some row of each group of `rows` consecutive images lights.
    func lit(_ images: [UInt8], count: Int, rows: Int) -> Double {
        var total = 0
        images.withUnsafeBufferPointer { pixels in
            for group in 0..<(count / rows) {
                var any = [UInt8](repeating: 0, count: Split.imageSize)
                for row in 0..<rows {
                    let image = (group * rows + row) * Split.imageSize
                    for pixel in 0..<Split.imageSize { any[pixel] |= pixels[image + pixel] }
                }
                total += any.filter { $0 != 0 }.count
            }
        }
        return Double(total) / Double(count / rows)
    }

    @Test func lightPixelsAsMNISTDoes() throws {
        let data = try Dataset.load(.mnist, from: Fixtures.dataDirectory)
        let count = 12_800
        var rng = SplitMix64(seed: 5, stream: 0), order = Array(0..<data.train.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.next(below: i + 1)) }
        let real = order.prefix(count).flatMap { Array(data.train.images[($0 * Split.imageSize)..<(($0 + 1) * Split.imageSize)]) }
        let made = StrokeImages.make(count: count, seed: 1)
        for rows in [1, 4, 64, 128] {
            let (mnist, strokes) = (lit(real, count: count, rows: rows), lit(made, count: count, rows: rows))
            #expect(abs(strokes / mnist - 1) < 0.12, "\(rows) rows: \(strokes) pixels lit against MNIST's \(mnist)")
        }
        #expect(made.allSatisfy { $0 == 0 } == false && StrokeImages.make(count: 3, seed: 1) == Array(made.prefix(3 * 784)))
    }
}
