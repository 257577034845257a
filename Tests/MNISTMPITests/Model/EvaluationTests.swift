import Foundation
import Testing

@testable import MNISTMPI

struct EvaluationTests {
    @Test func precisionAndRecallFromAKnownMatrix() {
        // truth 0: 8 right, 2 called 1; truth 1: 1 called 0, 9 right.
        let confusion = [[8, 2], [1, 9]]
        let zero = Evaluation.precisionRecall(confusion, class: 0), one = Evaluation.precisionRecall(confusion, class: 1)
        #expect(zero.precision == 8.0 / 9 && zero.recall == 0.8)
        #expect(one.precision == 9.0 / 11 && one.recall == 0.9)
        #expect(Evaluation.precisionRecall([[0, 0], [0, 3]], class: 0) == (0, 0))
    }
}
