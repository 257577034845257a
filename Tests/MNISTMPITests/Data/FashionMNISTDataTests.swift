import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// Fashion-MNIST from Debian's `dataset-fashion-mnist` (installed by scripts/test.sh).
struct FashionMNISTDataTests {
    let directory = DatasetSpec.fashionMNIST.defaultDirectory

    @Test func debianFilesPassTheirChecksums() throws {
        let data = try Dataset.load(.fashionMNIST, from: directory)
        #expect(data.train.count == 60_000 && data.test.count == 10_000)
        // Test image #0 of Fashion-MNIST is an ankle boot (class 9), train #0 too.
        #expect(data.test.labels[0] == 9 && data.train.labels[0] == 9)
    }

    @Test func mnistFilesAreNotFashionMNIST() throws {
        #expect(throws: DatasetError.self) { try Dataset.load(.fashionMNIST, from: Fixtures.dataDirectory) }
    }
}
