import MNISTMPI

/// `--tensorboard DIR`, as Keras's `TensorBoard(log_dir=DIR, update_freq="batch")` callback
/// lays it out, written by rank 0:
///
///     DIR/train        batch_loss, batch_accuracy   running means over the epoch, at each global step
///                      epoch_loss, epoch_accuracy, epoch_learning_rate      at each epoch (0-based)
///                      step_time_ms/<phase>         rank 0's mean milliseconds per step in each phase
///                                                   (load, forward, backward, reduction, first_layer, optimizer, gather), per epoch
///     DIR/validation   epoch_loss, epoch_accuracy   the test set after each epoch, with --validate
///
/// An epoch's events are flushed once its checkpoint is written (when the next epoch starts, or
/// training ends or stops), so what is on disk never runs past the newest checkpoint but for
/// the steps after it a killed job logged; a resumed run writes new files in the same
/// directories, starting with `SessionLog.START` at the step after its checkpoint, which makes
/// TensorBoard drop those steps: the curves continue. A fresh run refuses a directory with
/// event files in it (the two runs' curves would interleave). An epoch cut short by --max-steps
/// has no epoch_* values. A write that fails ends the logging (with a warning), not the training.
final class TensorBoardLog: TrainingObserver {
    private var train: TensorBoardEventFile?
    private var validation: TensorBoardEventFile?
    private let learningRate: Double
    /// Rank 0's step timings; set once its trainer exists.
    var timeline: Timeline?
    /// The epoch under way: its index and length, the phase totals at its start, steps run here.
    private var current = (epoch: 0, steps: 0, totals: [Double](), stepsRun: 0)

    /// - Parameter restartsAt: with --resume, the first step this run logs (its checkpoint's
    ///   step + 1, or 0 without a checkpoint); nil for a fresh run.
    init(directory: String, validation: Bool, learningRate: Float, restartsAt: Int?) throws {
        let runs = (train: directory + "/train", validation: directory + "/validation")
        if restartsAt == nil, let used = [runs.train, runs.validation].first(where: TensorBoardEventFile.holdsEvents) {
            throw JobError(
                "\(used) holds an earlier run's event files: choose another --tensorboard directory, delete them, or continue that run with --resume"
            )
        }
        train = try TensorBoardEventFile(directory: runs.train)
        self.validation = validation ? try TensorBoardEventFile(directory: runs.validation) : nil
        self.learningRate = shortestDecimal(learningRate)
        // TensorBoard drops what the earlier run logged from this step on.
        if let restartsAt { for file in [train, self.validation] { file?.sessionStart(step: restartsAt) } }
    }

    func epochStarted(_ epoch: Int, of epochs: Int, steps: Int) {
        flush()  // the previous epoch, now that its checkpoint is written
        current = (epoch, steps, timeline?.totals ?? [], 0)
    }

    func stepEnded(_ step: Int, loss: Double, accuracy: Double) {
        let global = current.epoch * current.steps + step  // every epoch has the same number of steps
        train?.scalar("batch_loss", loss, step: global)
        train?.scalar("batch_accuracy", accuracy, step: global)
        current.stepsRun += 1
    }

    func epochEnded(_ epoch: Int, metrics: EpochMetrics) {
        guard metrics.steps == current.steps else { return }  // cut short: not an epoch's values
        train?.scalar("epoch_loss", metrics.loss, step: epoch)
        train?.scalar("epoch_accuracy", metrics.accuracy, step: epoch)
        train?.scalar("epoch_learning_rate", learningRate, step: epoch)
        if let totals = timeline?.totals, current.stepsRun > 0 {
            for phase in Timeline.Phase.allCases {
                let seconds = totals[phase.rawValue] - current.totals[phase.rawValue]
                train?.scalar("step_time_ms/\(phase.name)", seconds * 1000 / Double(current.stepsRun), step: epoch)
            }
        }
        if let v = metrics.validation {
            validation?.scalar("epoch_loss", v.loss, step: epoch)
            validation?.scalar("epoch_accuracy", v.accuracy, step: epoch)
        }
    }

    /// Writes out what was logged; on failure warns once and logs no more.
    func flush() {
        do {
            try train?.flush()
            try validation?.flush()
        } catch {
            Terminal.error("mnist-mpi: warning: \(error); TensorBoard logging stops here, training goes on")
            (train, validation) = (nil, nil)
        }
    }
}
