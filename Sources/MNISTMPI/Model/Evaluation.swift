/// Test loss and accuracy of a model, as Keras's `model.evaluate`.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    public var accuracy: Double
    public var samples: Int
    /// `confusion[truth][predicted]` counts.
    public var confusion: [[Int]]

    /// Precision and recall of class `k` from `confusion[truth][predicted]` (0 when undefined,
    /// as scikit-learn reports it).
    public static func precisionRecall(_ confusion: [[Int]], class k: Int) -> (precision: Double, recall: Double) {
        let hits = Double(confusion[k][k])
        let predicted = Double(confusion.reduce(0) { $0 + $1[k] })
        let actual = Double(confusion[k].reduce(0, +))
        return (predicted > 0 ? hits / predicted : 0, actual > 0 ? hits / actual : 0)
    }
}

public enum Evaluator {
    /// Runs the network forward over all of `split` in batches of `batchSize`, calling
    /// `progress(batchesDone)` after each batch. The result depends on the batch size only
    /// through the float rounding of the loss sum.
    public static func evaluate(
        _ params: FloatBuffer, _ architecture: Architecture, on split: Split,
        batchSize: Int = 32, precision: Precision = .float32, progress: ((Int) -> Void)? = nil
    ) -> Evaluation {
        let ws = Workspace(architecture, capacity: batchSize, precision: precision)
        Network.prepare(params, ws)
        let classes = architecture.classes
        var lossSum = 0.0, correct = 0
        var confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (b, batch) in Sharding.batches(samples: split.count, batchSize: batchSize).enumerated() {
            ws.load(split, indices: batch.lazy.map { Int32($0) })
            Network.forward(params, ws, rows: 0..<batch.count)
            let (loss, hits) = SoftmaxCrossEntropy.forwardBackward(
                logits: ws.logits.pointer, labels: ws.labels, rows: batch.count, classes: classes,
                dLogits: ws.dLogits.pointer)
            lossSum += Double(loss)
            correct += hits
            for r in 0..<batch.count {
                confusion[Int(ws.labels[r])][argmax(ws.logits.pointer + r * classes, count: classes)] += 1
            }
            progress?(b + 1)
        }
        let n = Double(split.count)
        return Evaluation(loss: lossSum / n, accuracy: Double(correct) / n, samples: split.count, confusion: confusion)
    }

    /// Class probabilities of the given samples, one row of `classes` values each.
    public static func predict(
        _ params: FloatBuffer, _ architecture: Architecture, on split: Split,
        indices: [Int], precision: Precision = .float32
    ) -> [[Float]] {
        let ws = Workspace(architecture, capacity: max(indices.count, 1), precision: precision)
        ws.load(split, indices: indices.map { Int32($0) })
        return probabilities(params, ws, rows: indices.count)
    }

    /// Class probabilities of the first `rows` samples already loaded into `ws`.
    public static func probabilities(_ params: FloatBuffer, _ ws: Workspace, rows: Int) -> [[Float]] {
        let classes = ws.architecture.classes
        Network.prepare(params, ws)
        Network.forward(params, ws, rows: 0..<rows)
        let p = FloatBuffer(count: rows * classes)
        SoftmaxCrossEntropy.probabilities(logits: ws.logits.pointer, rows: rows, classes: classes, into: p.pointer)
        return (0..<rows).map { r in Array(UnsafeBufferPointer(start: p.pointer + r * classes, count: classes)) }
    }
}
