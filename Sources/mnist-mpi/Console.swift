import MNISTMPI

/// Lines rank 0 shows a person.
enum Console {
    /// `x_train: (60000, 28, 28) uint8, y_train: (60000,) uint8` and the same for the test split.
    static func shapes(_ data: Dataset) -> String {
        func line(_ name: String, _ s: Split) -> String {
            "x_\(name): (\(s.count), 28, 28) uint8, y_\(name): (\(s.count),) uint8"
        }
        return line("train", data.train) + "\n" + line("test", data.test)
    }

    /// `  #0: predicted 7 (p=0.9998), true 7  [0.0000 ...]`: the argmax, its probability, the
    /// true class when known, then every class's probability.
    static func prediction(_ name: String, probabilities p: [Float], classNames: [String], truth: Int?) -> String {
        let best = argmax(p)
        let probs = p.map { format4(Double($0)) }.joined(separator: " ")
        let trueLabel = truth.map { ", true \(classNames[$0])" } ?? ""
        return "  \(name): predicted \(classNames[best]) (p=\(format4(Double(p[best]))))\(trueLabel)  [\(probs)]"
    }

    /// Image `index` of a split, drawn as below.
    static func drawing(of split: Split, index: Int) -> String {
        drawing(of: split.image(index))
    }

    /// An image drawn with ten shades of characters, two per pixel so it keeps its aspect.
    static func drawing(of image: GrayImage) -> String {
        let shades = Array(" .:-=+*#%@")
        return (0..<image.height).map { y in
            String(
                (0..<image.width).flatMap { x -> [Character] in
                    let c = shades[Int(image[x, y]) * shades.count / 256]
                    return [c, c]
                })
        }.joined(separator: "\n")
    }

    /// `Evaluator.evaluate` as Keras's `model.evaluate` shows it: a progress bar over batches
    /// of 32 ending in loss and accuracy, then `<label> accuracy: 0.9804`.
    static func evaluate(
        _ parameters: FloatBuffer, _ architecture: Architecture, on split: Split, label: String, precision: Precision = .float32
    ) -> Evaluation {
        let batchSize = 32
        let bar = ProgressBar(total: divideRoundingUp(split.count, batchSize))
        let evaluation = Evaluator.evaluate(parameters, architecture, on: split, batchSize: batchSize, precision: precision) {
            bar.update($0, values: [])
        }
        bar.finish(values: [("loss", evaluation.loss), ("accuracy", evaluation.accuracy)])
        print("\(label) accuracy: \(format4(evaluation.accuracy))")
        return evaluation
    }
}
