import MNISTMPI

/// Keras's `Epoch i/n` header and progress bar for each epoch of training, ending in the
/// epoch's loss and accuracy and, when validating, `- val_loss: ... - val_accuracy: ...`.
final class EpochProgress: TrainingObserver {
    private var bar: ProgressBar?

    func epochStarted(_ epoch: Int, of epochs: Int, steps: Int) {
        print("Epoch \(epoch + 1)/\(epochs)")
        bar = ProgressBar(total: steps)
    }

    func stepEnded(_ step: Int, loss: Double, accuracy: Double) {
        bar?.update(step, values: [("loss", loss), ("accuracy", accuracy)])
    }

    func epochEnded(_ epoch: Int, metrics: EpochMetrics) {
        var values = [("loss", metrics.loss), ("accuracy", metrics.accuracy)]
        if let v = metrics.validation { values += [("val_loss", v.loss), ("val_accuracy", v.accuracy)] }
        bar?.finish(values: values, steps: metrics.steps)
    }
}
