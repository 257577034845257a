import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Everything the `train` command was asked to do.
public struct JobConfiguration: Sendable {
    public var training = TrainingOptions()
    public var dataset = DatasetSpec.mnist
    public var dataDirectory = "data"
    /// BLAS threads per rank (nil: cores on this node / ranks on this node).
    public var threads: Int?
    public var initFile: String?
    public var saveFile: String?
    public var historyFile: String?
    /// Chrome trace of every rank's steps.
    public var profileFile: String?
    /// Training curves as SVG.
    public var plotFile: String?
    /// Per-epoch metrics as CSV, like Keras's CSVLogger.
    public var csvFile: String?
    /// The trained model as ONNX.
    public var onnxFile: String?
    /// Evaluate on the test set after every epoch (Keras's `validation_data`); on with a plot or CSV.
    public var validateEachEpoch = false
    /// Continue from the newest valid checkpoint in `training.checkpoints`.
    public var resume = false
    /// Seconds a rank waits in a collective before deciding its peers are gone (0: forever).
    public var peerTimeout = 60.0
    /// The command line, recorded in saved files.
    public var commandLine = ""
    /// Print on rank 0 (off in tests).
    public var verbose = true

    public init() {}
}

/// What a finished job measured.
public struct JobResult: Sendable {
    public var history: [EpochMetrics]
    /// The test evaluation, on rank 0 (nil on the others).
    public var test: Evaluation?
    public var ranks: Int
    public var threads: Int
    public var startupSeconds: Double
}

/// A failure that every rank of the job knows about, raised identically on each.
public struct JobError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The tutorial, data-parallel: load and broadcast the data, initialise and broadcast the
/// weights, train, then on rank 0 predict, evaluate and write the requested files.
///
/// Every rank calls this with the same configuration. A thrown error has reached every rank
/// (it is broadcast from rank 0 when only rank 0 could see it), so callers can report it on
/// rank 0 and exit on all ranks without anyone waiting in a collective.
public func runTrainingJob(_ config: JobConfiguration, comm: Communicator) throws -> JobResult {
    let started = comm.time()
    let root = comm.isRoot && config.verbose
    let opts = config.training
    try Launcher.checkSlurmWiring(worldSize: comm.size)
    guard comm.size <= opts.batchSize else {
        throw JobError("\(comm.size) ranks cannot share a batch of \(opts.batchSize): use at most \(opts.batchSize) ranks or a larger --batch-size")
    }
    Watchdog.start(seconds: config.peerTimeout, rank: comm.rank)
    let threads = config.threads ?? Launcher.defaultThreads(localRanks: comm.localSize)
    openblas_set_num_threads(Int32(threads))

    let data = broadcast(try comm.onRoot { try Dataset.load(config.dataset, from: config.dataDirectory) }, comm: comm)
    let architecture = Architecture(classes: config.dataset.classNames.count)
    let initial = try comm.onRoot { () throws -> FloatBuffer in
        if let path = config.initFile { return try ModelFile.load(path, architecture) }
        return architecture.glorotInitialization(seed: opts.seed)
    }
    var weights = initial.map(floatBytes) ?? []
    comm.broadcast(&weights, root: 0)
    let resumed = try resumeCheckpoint(config, architecture: architecture, comm: comm)
    let startup = comm.time() - started

    if root {
        print(Console.shapes(data))
        print("\nTraining image #4, label \(config.dataset.classNames[Int(data.train.labels[4])]):")
        print(Console.drawing(of: data.train, index: 4))
        print("\nRandom-guess baseline accuracy: \(format4(1 / Double(architecture.classes)))")
        let shard = Sharding.shard(batchSize: opts.batchSize, ranks: comm.size, rank: 0).count
        print("Model: \(architecture.inputs) -> Dense(\(architecture.hidden), relu) -> Dense(\(architecture.classes), softmax), \(architecture.parameterCount) parameters")
        if let r = resumed {
            print("Resuming from the checkpoint at step \(r.position.step): epoch \(r.position.epoch + 1), batch \(r.position.batchInEpoch)")
        }
        if let m = opts.deterministicMicroShards {
            print("Deterministic: gradients summed over \(m) micro-shards per batch in a fixed tree")
        }
        print("Training on \(data.train.count) samples: \(comm.size) rank(s), global batch \(opts.batchSize) (up to \(shard) per rank), \(threads) BLAS thread(s) per rank, start-up \(String(format1000(startup)))s\n")
    }

    let trainer = try Trainer(comm: comm, architecture: architecture, options: opts, data: data.train,
                          initialParameters: floatBuffer(weights), resume: resumed, profile: config.profileFile != nil)
    // Rank 0 watches the epochs; with validation it also evaluates the test set after each
    // (the other ranks meanwhile wait in the next step's allreduce).
    let validate = config.validateEachEpoch ? { Evaluator.evaluate(trainer.parameters, architecture, on: data.test) } : nil
    let observer = comm.isRoot ? ConsoleObserver(printing: config.verbose, validate: validate) : nil
    try trainer.train(observer: observer)
    let validation = (0..<trainer.history.count).map { observer?.validation[$0] }
    let peakMemory = comm.gatherToRoot(withUnsafeBytes(of: Int64(peakResidentBytes()).littleEndian, Array.init))
        .map { $0.withUnsafeBytes { Int(Int64(littleEndian: $0.loadUnaligned(as: Int64.self))) } }
    let traces = config.profileFile == nil ? [] :
        comm.gatherToRoot(Array(JSON.array(trainer.timeline.traceEvents(rank: comm.rank)).text.utf8))

    // Rank 0 alone predicts, evaluates and writes files; the outcome is broadcast so that a
    // failure (an unwritable --save path, say) ends every rank the same way.
    let test = try comm.onRoot { () throws -> Evaluation in
        let classNames = config.dataset.classNames
        if root {
            print("\nPredictions for the first 10 test images:")
            let probabilities = Evaluator.predict(trainer.parameters, architecture, on: data.test, indices: Array(0..<10))
            for (i, p) in probabilities.enumerated() {
                print(Console.prediction("#\(i)", probabilities: p, classNames: classNames, truth: Int(data.test.labels[i])))
            }
            print("")
        }
        let evaluation = Evaluator.evaluateShowingProgress(trainer.parameters, architecture, on: data.test,
                                                           label: "Test", printing: root)

        if let path = config.historyFile {
            let history = History(epochs: trainer.history, validation: validation, test: evaluation, ranks: comm.size, threads: threads,
                                  startupSeconds: startup, options: opts, dataset: config.dataset.name,
                                  phaseSeconds: trainer.timeline.totals, peakResidentBytes: peakMemory)
            try FileIO.writeAtomically(Array(history.json.text.utf8) + [0x0A], to: path)
        }
        if let path = config.profileFile {
            // Each rank sent a JSON array of its events; splice them into one list.
            let lists = traces.map { String(decoding: $0, as: UTF8.self).dropFirst().dropLast() }.filter { !$0.isEmpty }
            let text = #"{"traceEvents":["# + lists.joined(separator: ",") + #"],"displayTimeUnit":"ms"}"#
            try FileIO.writeAtomically(Array(text.utf8) + [0x0A], to: path)
        }
        if let path = config.saveFile {
            var metadata = [
                "format": "mnist-mpi",
                "architecture": "\(architecture.inputs)-\(architecture.hidden)-\(architecture.classes) dense relu softmax",
                "kernel_layout": "(in, out) as Keras; y = x @ kernel + bias",
                "dataset": config.dataset.name,
                "test_accuracy": "\(evaluation.accuracy)",
                "test_loss": "\(evaluation.loss)",
                "command_line": config.commandLine,
            ]
            for (file, sum) in config.dataset.sha256 { metadata["sha256:\(file)"] = sum }
            try ModelFile.save(trainer.parameters, architecture, metadata: metadata, to: path)
        }
        if let path = config.onnxFile {
            let onnx = ONNX.model(trainer.parameters, architecture, dataset: config.dataset,
                                  testAccuracy: "\(evaluation.accuracy)")
            try FileIO.writeAtomically(onnx, to: path)
        }
        if let path = config.csvFile {
            try FileIO.writeAtomically(Array(CSVLog.text(epochs: trainer.history, validation: validation).utf8), to: path)
        }
        if let path = config.plotFile {
            let svg = SVGPlot.trainingCurves(
                loss: [.init("train", trainer.history.map(\.loss), colour: SVGPlot.trainColour),
                       .init("test", validation.map { $0?.loss }, colour: SVGPlot.testColour)],
                accuracy: [.init("train", trainer.history.map(\.accuracy), colour: SVGPlot.trainColour),
                           .init("test", validation.map { $0?.accuracy }, colour: SVGPlot.testColour)],
                title: "mnist-mpi on \(config.dataset.name): \(comm.size) rank(s), test accuracy \(format4(evaluation.accuracy))")
            try FileIO.writeAtomically(Array(svg.utf8), to: path)
        }
        return evaluation
    }

    return JobResult(history: trainer.history, test: test, ranks: comm.size, threads: threads, startupSeconds: startup)
}

/// The most memory this process has had resident, in bytes (getrusage's ru_maxrss is in KiB on Linux).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

func format1000(_ x: Double) -> String {
    let ms = Int((x * 1000).rounded())
    return "\(ms / 1000).\(String(ms % 1000).leftPadded(to: 3))"
}

/// The raw bytes of a parameter vector (native byte order: every rank is the same kind of machine).
func floatBytes(_ buffer: FloatBuffer) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: buffer.pointer, count: buffer.count * 4))
}

func floatBuffer(_ bytes: [UInt8]) -> FloatBuffer {
    let buffer = FloatBuffer(count: bytes.count / 4)
    bytes.withUnsafeBytes { UnsafeMutableRawPointer(buffer.pointer).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    return buffer
}

/// With `--resume`: the newest valid checkpoint, read on rank 0 and broadcast, after checking
/// it belongs to this run's math (same seed, batch size and shuffling). Creates the directory.
func resumeCheckpoint(_ config: JobConfiguration, architecture: Architecture, comm: Communicator) throws -> Checkpoint? {
    guard let store = config.training.checkpoints else { return nil }
    let found = try comm.onRoot { () throws -> Checkpoint? in
        try store.prepare()
        guard config.resume else { return nil }
        let newest = try store.newest(architecture) { Terminal.error("mnist-mpi: warning: \($0)") }
        if newest == nil { print("No checkpoint in \(store.directory) yet: starting from the beginning") }
        return newest
    }
    var bytes = found??.encode() ?? []
    comm.broadcast(&bytes, root: 0)
    guard !bytes.isEmpty else { return nil }
    let checkpoint = try Checkpoint.decode(bytes, name: "checkpoint", architecture: architecture)
    let o = config.training
    for (what, theirs, ours) in [("--seed", "\(checkpoint.seed)", "\(o.seed)"),
                                 ("--batch-size", "\(checkpoint.batchSize)", "\(o.batchSize)"),
                                 ("--no-shuffle", "\(!checkpoint.shuffle)", "\(!o.shuffle)")] where theirs != ours {
        throw JobError("the checkpoint was made with \(what) \(theirs), this run has \(ours): resume with the same value")
    }
    return checkpoint
}

/// The root's dataset on every rank: each of the four arrays broadcast in place.
func broadcast(_ loaded: Dataset?, comm: Communicator) -> Dataset {
    var parts = loaded.map { [$0.train.images, $0.train.labels, $0.test.images, $0.test.labels] } ?? [[], [], [], []]
    for i in parts.indices { comm.broadcast(&parts[i], root: 0) }
    return Dataset(train: Split(images: parts[0], labels: parts[1]), test: Split(images: parts[2], labels: parts[3]))
}
