import Foundation
import Testing

@testable import MNISTMPI

struct CSVLogTests {
    @Test func csvLogHasKerasColumns() {
        #expect(
            CSVLog.text(accuracy: [0.9], loss: [0.5], validation: [(accuracy: 0.95, loss: 0.25)])
                == "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.9,0.5,0.95,0.25\n")
        #expect(CSVLog.text(accuracy: [0.9], loss: [0.5], validation: [nil]) == "epoch,accuracy,loss\n0,0.9,0.5\n")
    }
}
