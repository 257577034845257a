import TestSupport
import Testing

@testable import MNISTMPI

@Suite struct IDXTests {
    @Test func parsesAWellFormedFile() throws {
        let payload = (0..<(2 * 28 * 28)).map { UInt8($0 % 256) }
        let array = try IDX.parse(Fixtures.idx(shape: [2, 28, 28], payload: payload), dimensions: 3, name: "x")
        #expect(array.shape == [2, 28, 28])
        #expect(array.bytes == payload)
    }

    @Test func rejectsWrongMagic() {
        let file = Fixtures.idx(shape: [3], payload: [1, 2, 3], magic: [0, 0, 0x0D, 1])
        #expect(throws: IDXError.badMagic(file: "l", found: [0, 0, 0x0D, 1], expected: [0, 0, 8, 1])) {
            try IDX.parse(file, dimensions: 1, name: "l")
        }
        // An image file given where labels are expected has the wrong number of dimensions.
        let images = Fixtures.idx(shape: [1, 28, 28], payload: Array(repeating: 0, count: 784))
        #expect(throws: IDXError.badMagic(file: "l", found: [0, 0, 8, 3], expected: [0, 0, 8, 1])) {
            try IDX.parse(images, dimensions: 1, name: "l")
        }
    }

    @Test func rejectsZeroAndAbsurdDimensions() {
        #expect(throws: IDXError.zeroDimension(file: "x", index: 1)) {
            try IDX.parse(Fixtures.idx(shape: [1, 0, 28], payload: []), dimensions: 3, name: "x")
        }
        #expect(throws: IDXError.absurdDimension(file: "x", index: 0, value: 4_000_000_000, limit: IDX.dimensionLimit)) {
            try IDX.parse(Fixtures.idx(shape: [4_000_000_000, 28, 28], payload: [1, 2]), dimensions: 3, name: "x")
        }
    }

    @Test func rejectsTruncatedAndTrailingBytes() throws {
        let file = Fixtures.idx(shape: [2, 28, 28], payload: Array(repeating: 7, count: 2 * 784))
        #expect(throws: IDXError.sizeMismatch(file: "x", headerBytes: 1568, actualBytes: 1567)) {
            try IDX.parse(Array(file.dropLast()), dimensions: 3, name: "x")
        }
        #expect(throws: IDXError.sizeMismatch(file: "x", headerBytes: 1568, actualBytes: 1569)) {
            try IDX.parse(file + [0], dimensions: 3, name: "x")
        }
        #expect(throws: IDXError.tooShort(file: "x", bytes: 6)) {
            try IDX.parse(Array(file.prefix(6)), dimensions: 3, name: "x")
        }
        let message = String(describing: IDXError.sizeMismatch(file: "x", headerBytes: 1568, actualBytes: 1567))
        #expect(message.contains("truncated"))
    }

    /// A header claiming billions of images in a tiny file is rejected without allocating for them.
    @Test func rejectsHugeClaimsInASmallFile() {
        let file = Fixtures.idx(shape: [9_000_000, 28, 28], payload: Array(repeating: 0, count: 100))
        #expect(throws: IDXError.sizeMismatch(file: "x", headerBytes: 9_000_000 * 784, actualBytes: 100)) {
            try IDX.parse(file, dimensions: 3, name: "x")
        }
    }

    @Test func splitRejectsCountMismatchLabelsOutOfRangeAndBadShape() throws {
        let images = try IDX.parse(Fixtures.idx(shape: [2, 28, 28], payload: Array(repeating: 0, count: 1568)), dimensions: 3, name: "i")
        let threeLabels = try IDX.parse(Fixtures.idx(shape: [3], payload: [1, 2, 3]), dimensions: 1, name: "l")
        #expect(throws: IDXError.countMismatch(images: 2, labels: 3, split: "test")) {
            try Split.validated(images: images, labels: threeLabels, classes: 10, names: ("i", "l"), split: "test")
        }
        let badLabel = try IDX.parse(Fixtures.idx(shape: [2], payload: [9, 10]), dimensions: 1, name: "l")
        #expect(throws: IDXError.labelOutOfRange(file: "l", index: 1, value: 10, classes: 10)) {
            try Split.validated(images: images, labels: badLabel, classes: 10, names: ("i", "l"), split: "test")
        }
        let small = try IDX.parse(Fixtures.idx(shape: [2, 14, 56], payload: Array(repeating: 0, count: 1568)), dimensions: 3, name: "i")
        let twoLabels = try IDX.parse(Fixtures.idx(shape: [2], payload: [1, 2]), dimensions: 1, name: "l")
        #expect(throws: IDXError.unexpectedShape(file: "i", found: [2, 14, 56], expected: "[N, 28, 28]")) {
            try Split.validated(images: small, labels: twoLabels, classes: 10, names: ("i", "l"), split: "test")
        }
    }
}
