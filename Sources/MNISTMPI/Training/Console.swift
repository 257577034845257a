/// What rank 0 shows a person, in the tutorial's order.
public enum Console {
    /// `x_train: (60000, 28, 28) uint8, y_train: (60000,) uint8` and the same for the test split.
    public static func shapes(_ data: Dataset) -> String {
        func line(_ name: String, _ s: Split) -> String {
            "x_\(name): (\(s.count), 28, 28) uint8, y_\(name): (\(s.count),) uint8"
        }
        return line("train", data.train) + "\n" + line("test", data.test)
    }

    /// A 28x28 image drawn with ten shades of characters, two per pixel so it keeps its aspect.
    public static func drawing(of split: Split, index: Int) -> String {
        let shades = Array(" .:-=+*#%@")
        let size = Split.imageSize
        return (0..<28).map { row in
            String((0..<28).flatMap { col -> [Character] in
                let value = Int(split.images[index * size + row * 28 + col])
                let c = shades[value * shades.count / 256]
                return [c, c]
            })
        }.joined(separator: "\n")
    }
}

/// Draws Keras's `Epoch i/n` header and progress bar for each epoch of training.
public final class ConsoleObserver: TrainingObserver {
    var bar: ProgressBar?
    public init() {}

    public func epochStarted(_ epoch: Int, of epochs: Int, steps: Int) {
        print("Epoch \(epoch + 1)/\(epochs)")
        bar = ProgressBar(total: steps)
    }

    public func stepEnded(_ step: Int, loss: Double, accuracy: Double) {
        bar?.update(step, values: [("loss", loss), ("accuracy", accuracy)])
    }

    public func epochEnded(_ epoch: Int, metrics: EpochMetrics) {
        bar?.finish(values: [("loss", metrics.loss), ("accuracy", metrics.accuracy)], steps: metrics.steps)
    }
}
