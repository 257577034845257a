/// Test loss and accuracy of a model, as Keras's `model.evaluate`.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    public var accuracy: Double
    public var samples: Int
    /// `confusion[truth][predicted]` counts.
    public var confusion: [[Int]]
}

public enum Evaluator {
    /// Runs the network forward over all of `split` in batches of `batchSize` (the result does
    /// not depend on it), calling `progress(batchesDone)` after each batch.
    public static func evaluate(_ params: FloatBuffer, _ architecture: Architecture, on split: Split,
                                batchSize: Int = 32, progress: ((Int) -> Void)? = nil) -> Evaluation {
        let ws = Workspace(architecture, capacity: batchSize)
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

    /// `evaluate` as Keras's `model.evaluate` shows it when `printing`: a progress bar over the
    /// batches of 32 ending in loss and accuracy, then `<label> accuracy: 0.9804`.
    public static func evaluateShowingProgress(_ params: FloatBuffer, _ architecture: Architecture, on split: Split,
                                               label: String, printing: Bool) -> Evaluation {
        let batchSize = 32
        let bar = printing ? ProgressBar(total: (split.count + batchSize - 1) / batchSize) : nil
        let evaluation = evaluate(params, architecture, on: split, batchSize: batchSize) { bar?.update($0, values: []) }
        bar?.finish(values: [("loss", evaluation.loss), ("accuracy", evaluation.accuracy)])
        if printing { print("\(label) accuracy: \(format4(evaluation.accuracy))") }
        return evaluation
    }

    /// Class probabilities of the given samples, one row of `classes` values each.
    public static func predict(_ params: FloatBuffer, _ architecture: Architecture, on split: Split,
                               indices: [Int]) -> [[Float]] {
        let ws = Workspace(architecture, capacity: max(indices.count, 1))
        ws.load(split, indices: indices.map { Int32($0) })
        return probabilities(params, ws, rows: indices.count)
    }

    /// Class probabilities of the first `rows` samples already loaded into `ws`.
    public static func probabilities(_ params: FloatBuffer, _ ws: Workspace, rows: Int) -> [[Float]] {
        let classes = ws.architecture.classes
        Network.forward(params, ws, rows: 0..<rows)
        let p = FloatBuffer(count: rows * classes)
        SoftmaxCrossEntropy.probabilities(logits: ws.logits.pointer, rows: rows, classes: classes, into: p.pointer)
        return (0..<rows).map { r in Array(UnsafeBufferPointer(start: p.pointer + r * classes, count: classes)) }
    }
}

/// Index of the largest of `count` values (the first one on ties, as NumPy's argmax).
public func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for j in 1..<count where values[j] > values[best] { best = j }
    return best
}

public func argmax(_ values: [Float]) -> Int {
    values.withUnsafeBufferPointer { argmax($0.baseAddress!, count: $0.count) }
}
