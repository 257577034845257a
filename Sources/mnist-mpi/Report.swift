import MNISTMPI

/// Text tables of an evaluation: the confusion matrix and per-class precision and recall.
enum Report {
    /// Rows: true class; columns: predicted class.
    static func confusionMatrix(_ confusion: [[Int]], classNames: [String]) -> String {
        let labelWidth = classNames.map(\.count).max() ?? 1
        let width = max(5, (confusion.flatMap { $0 }.max() ?? 0).description.count + 1)
        var lines = ["Confusion matrix (rows: true class, columns: predicted class)"]
        lines.append(
            String(repeating: " ", count: labelWidth) + (0..<confusion.count).map { "\($0)".leftPadded(to: width, with: " ") }.joined())
        for (t, row) in confusion.enumerated() {
            lines.append(
                classNames[t].leftPadded(to: labelWidth, with: " ") + row.map { "\($0)".leftPadded(to: width, with: " ") }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// scikit-learn's classification report: precision, recall, f1-score and support per class.
    static func perClass(_ confusion: [[Int]], classNames: [String]) -> String {
        let labelWidth = max(12, classNames.map(\.count).max() ?? 1)
        func cells(_ values: [String]) -> String { values.map { $0.leftPadded(to: 11, with: " ") }.joined() }
        var lines = ["".leftPadded(to: labelWidth, with: " ") + cells(["precision", "recall", "f1-score", "support"])]
        var sums = (p: 0.0, r: 0.0, f: 0.0)
        for k in confusion.indices {
            let (p, r) = Evaluation.precisionRecall(confusion, class: k)
            let f = p + r > 0 ? 2 * p * r / (p + r) : 0
            sums = (sums.p + p, sums.r + r, sums.f + f)
            lines.append(
                classNames[k].leftPadded(to: labelWidth, with: " ")
                    + cells([format4(p), format4(r), format4(f), "\(confusion[k].reduce(0, +))"]))
        }
        let n = Double(confusion.count), total = confusion.flatMap { $0 }.reduce(0, +)
        lines.append(
            "macro avg".leftPadded(to: labelWidth, with: " ")
                + cells([format4(sums.p / n), format4(sums.r / n), format4(sums.f / n), "\(total)"]))
        return lines.joined(separator: "\n")
    }
}
