import MNISTMPI

/// The files `train` writes at the end, on rank 0, each atomically.
struct OutputFiles {
    var history: String?
    /// Chrome trace of every rank's steps.
    var profile: String?
    var save: String?
    var onnx: String?
    /// Per-epoch metrics as CSV, like Keras's CSVLogger.
    var csv: String?
    /// Training curves as SVG.
    var plot: String?

    /// Every file this run will write, so that each can be checked before training.
    var paths: [String] { [history, profile, save, onnx, csv, plot].compactMap { $0 } }

    /// Throws the first path that cannot be written now.
    func checkWritable() throws {
        for path in paths { try FileIO.checkWritable(path) }
    }

    func write(start: TrainingJob.Start, run: TrainingJob.Run, test: Evaluation, config: JobConfiguration, ranks: Int) throws {
        let (trainer, architecture, dataset) = (run.trainer, start.architecture, config.dataset)
        let epochs = trainer.history
        if let path = history {
            let record = History(
                epochs: epochs, test: test, ranks: ranks, hosts: start.ranksOnEachHost.count, threads: start.threads,
                startupSeconds: start.startupSeconds, options: config.training, dataset: dataset.name,
                phaseSeconds: trainer.timeline.totals, memory: run.memory,
                reduction: trainer.reductionName)
            try FileIO.writeAtomically(Array(record.json.text.utf8) + [0x0A], to: path)
        }
        if let path = profile {
            // Each rank sent a JSON array of its events; splice them into one list.
            let lists = run.traces.map { String(decoding: $0, as: UTF8.self).dropFirst().dropLast() }.filter { !$0.isEmpty }
            let text = #"{"traceEvents":["# + lists.joined(separator: ",") + #"],"displayTimeUnit":"ms"}"#
            try FileIO.writeAtomically(Array(text.utf8) + [0x0A], to: path)
        }
        if let path = save, path.hasSuffix(".keras") {
            let keras = try KerasFile.encode(
                trainer.parameters, architecture, optimizer: config.training.optimizer,
                velocity: trainer.velocity, iterations: trainer.position.step, precision: config.training.precision)
            try FileIO.writeAtomically(keras, to: path)
        } else if let path = save {
            let metadata = ModelFile.metadata(
                architecture, dataset: dataset,
                extra: [
                    "test_accuracy": "\(test.accuracy)", "test_loss": "\(test.loss)", "command_line": config.commandLine,
                    "precision": config.training.precision.rawValue,
                ])
            try ModelFile.save(trainer.parameters, architecture, metadata: metadata, to: path)
        }
        if let path = onnx {
            let model = ONNX.model(trainer.parameters, architecture, dataset: dataset, testAccuracy: "\(test.accuracy)")
            try FileIO.writeAtomically(model, to: path)
        }
        let validation = epochs.map { $0.validation.map { (accuracy: $0.accuracy, loss: $0.loss) } }
        if let path = csv {
            let text = CSVLog.text(accuracy: epochs.map(\.accuracy), loss: epochs.map(\.loss), validation: validation)
            try FileIO.writeAtomically(Array(text.utf8), to: path)
        }
        if let path = plot {
            let svg = SVGPlot.trainingCurves(
                loss: [
                    .init("train", epochs.map(\.loss), colour: SVGPlot.trainColour),
                    .init("test", validation.map { $0?.loss }, colour: SVGPlot.testColour),
                ],
                accuracy: [
                    .init("train", epochs.map(\.accuracy), colour: SVGPlot.trainColour),
                    .init("test", validation.map { $0?.accuracy }, colour: SVGPlot.testColour),
                ],
                title: "mnist-mpi on \(dataset.name): \(ranks) rank(s), test accuracy \(format4(test.accuracy))")
            try FileIO.writeAtomically(Array(svg.utf8), to: path)
        }
    }
}
