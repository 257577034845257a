import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// Fashion-MNIST from Debian's `dataset-fashion-mnist` (installed by `scripts/install-deps.sh tests`).
@Suite(.serialized) struct FashionMNISTTests {
    let directory = DatasetSpec.fashionMNIST.defaultDirectory

    @Test func trainsOnTwoRanksWithClassNames() throws {
        let dir = Fixtures.temporaryDirectory()
        let out = try Fixtures.mpirun(2, ["--dataset", "fashion-mnist", "--epochs", "1", "--history", "\(dir)/h.json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/h.json"))) as! [String: Any]
        // One epoch of this model on Fashion-MNIST lands near 0.84 (random guessing: 0.10).
        #expect(json["test_accuracy"] as! Double >= 0.80)
        #expect(out.stdout.contains("#0: predicted Ankle boot"), "\(out.stdout)")
        #expect(out.stdout.contains("x_train: (60000, 28, 28) uint8"))
    }

    @Test func unknownDatasetIsAUsageError() throws {
        let out = try Fixtures.run(Fixtures.releaseBinary, ["--dataset", "cifar10"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("--dataset must be one of mnist, fashion-mnist (got cifar10)"))
    }
}
