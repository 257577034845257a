/// What rank 0 shows a person, in the tutorial's order.
public enum Console {
    /// `x_train: (60000, 28, 28) uint8, y_train: (60000,) uint8` and the same for the test split.
    public static func shapes(_ data: Dataset) -> String {
        func line(_ name: String, _ s: Split) -> String {
            "x_\(name): (\(s.count), 28, 28) uint8, y_\(name): (\(s.count),) uint8"
        }
        return line("train", data.train) + "\n" + line("test", data.test)
    }

    /// `  #0: predicted 7 (p=0.9998), true 7  [0.0000 ...]`: the argmax, its probability, the
    /// true class when known, then every class's probability.
    public static func prediction(_ name: String, probabilities p: [Float], classNames: [String], truth: Int?) -> String {
        let best = argmax(p)
        let probs = p.map { format4(Double($0)) }.joined(separator: " ")
        let trueLabel = truth.map { ", true \(classNames[$0])" } ?? ""
        return "  \(name): predicted \(classNames[best]) (p=\(format4(Double(p[best]))))\(trueLabel)  [\(probs)]"
    }

    /// Image `index` of a split, drawn as below.
    public static func drawing(of split: Split, index: Int) -> String {
        drawing(of: split.image(index))
    }

    /// An image drawn with ten shades of characters, two per pixel so it keeps its aspect.
    public static func drawing(of image: GrayImage) -> String {
        let shades = Array(" .:-=+*#%@")
        return (0..<image.height).map { y in
            String((0..<image.width).flatMap { x -> [Character] in
                let c = shades[Int(image[x, y]) * shades.count / 256]
                return [c, c]
            })
        }.joined(separator: "\n")
    }
}

/// Draws Keras's `Epoch i/n` header and progress bar for each epoch of training.
/// With `validate`, also evaluates the test set after each epoch and shows it as Keras shows
/// `validation_data`: `- val_loss: ... - val_accuracy: ...` on the epoch's line.
public final class ConsoleObserver: TrainingObserver {
    let printing: Bool
    let validate: (() -> Evaluation)?
    var bar: ProgressBar?
    /// Test-set results by epoch, when validating.
    public private(set) var validation: [Int: Evaluation] = [:]

    public init(printing: Bool = true, validate: (() -> Evaluation)? = nil) {
        self.printing = printing
        self.validate = validate
    }

    public func epochStarted(_ epoch: Int, of epochs: Int, steps: Int) {
        guard printing else { return }
        print("Epoch \(epoch + 1)/\(epochs)")
        bar = ProgressBar(total: steps)
    }

    public func stepEnded(_ step: Int, loss: Double, accuracy: Double) {
        bar?.update(step, values: [("loss", loss), ("accuracy", accuracy)])
    }

    public func epochEnded(_ epoch: Int, metrics: EpochMetrics) {
        var values = [("loss", metrics.loss), ("accuracy", metrics.accuracy)]
        if let validate {
            let v = validate()
            validation[epoch] = v
            values += [("val_loss", v.loss), ("val_accuracy", v.accuracy)]
        }
        bar?.finish(values: values, steps: metrics.steps)
    }
}
