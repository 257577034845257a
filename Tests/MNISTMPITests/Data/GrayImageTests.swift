import Foundation
import Testing

@testable import MNISTMPI

struct GrayImageTests {
    @Test func shrinkingAveragesTheCoveredArea() {
        // 4x2 -> 2x1: each output pixel is the mean of a 2x2 block.
        let image = GrayImage(width: 4, height: 2, pixels: [0, 100, 200, 255, 100, 200, 255, 255])
        #expect(image.resized(width: 2, height: 1).pixels == [100, 241])
        // 3x1 -> 2x1: output pixels cover 1.5 source pixels each.
        let odd = GrayImage(width: 3, height: 1, pixels: [0, 90, 180])
        #expect(odd.resized(width: 2, height: 1).pixels == [30, 150])
    }

    @Test func darkInkOnLightPaperIsInvertedToMNISTs() {
        var paper = [UInt8](repeating: 250, count: 56 * 56)
        paper[28 * 56 + 28] = 0
        let (image, inverted) = GrayImage(width: 56, height: 56, pixels: paper).mnistStyle()
        #expect(inverted)
        #expect(image.width == 28 && image.height == 28)
        #expect(image[14, 14] == 68)  // (255 + 3 x 5) / 4 = 67.5: the ink pixel averaged with three of paper
        #expect(image[0, 0] == 5)
        let ink = GrayImage(width: 28, height: 28, pixels: [UInt8](repeating: 0, count: 784))
        #expect(ink.mnistStyle().inverted == false)
    }
}
