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
    /// The command line, recorded in saved files.
    public var commandLine = ""
    /// Print on rank 0 (off in tests).
    public var verbose = true

    public init() {}
}

/// What a finished job measured.
public struct JobResult: Sendable {
    public var history: [EpochMetrics]
    public var test: Evaluation
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
    guard comm.size <= opts.batchSize else {
        throw JobError("\(comm.size) ranks cannot share a batch of \(opts.batchSize): use at most \(opts.batchSize) ranks or a larger --batch-size")
    }
    let threads = config.threads ?? Launcher.defaultThreads(localRanks: comm.localSize)
    openblas_set_num_threads(Int32(threads))

    let data = try comm.rootResult({ try Dataset.load(config.dataset, from: config.dataDirectory) },
                                   encode: DatasetCodec.encode, decode: DatasetCodec.decode)
    let architecture = Architecture(classes: config.dataset.classNames.count)
    let initial = try comm.rootResult({ () throws -> FloatBuffer in
        if let path = config.initFile { return try ModelFile.load(path, architecture) }
        return architecture.glorotInitialization(seed: opts.seed)
    }, encode: { floatBytes($0) }, decode: { floatBuffer($0) })
    let startup = comm.time() - started

    if root {
        print(Console.shapes(data))
        print("\nTraining image #4, label \(config.dataset.classNames[Int(data.train.labels[4])]):")
        print(Console.drawing(of: data.train, index: 4))
        print("\nRandom-guess baseline accuracy: \(format4(1 / Double(architecture.classes)))")
        let shard = Sharding.shard(batchSize: opts.batchSize, ranks: comm.size, rank: 0).count
        print("Model: \(architecture.inputs) -> Dense(\(architecture.hidden), relu) -> Dense(\(architecture.classes), softmax), \(architecture.parameterCount) parameters")
        print("Training on \(data.train.count) samples: \(comm.size) rank(s), global batch \(opts.batchSize) (up to \(shard) per rank), \(threads) BLAS thread(s) per rank, start-up \(String(format1000(startup)))s\n")
    }

    let trainer = Trainer(comm: comm, architecture: architecture, options: opts, data: data.train, initialParameters: initial)
    try trainer.train(observer: root ? ConsoleObserver() : nil)

    // Rank 0 alone predicts, evaluates and writes files; the outcome is broadcast so that a
    // failure (an unwritable --save path, say) ends every rank the same way.
    let test = try comm.rootResult({ () throws -> Evaluation in
        let classNames = config.dataset.classNames
        if root {
            print("\nPredictions for the first 10 test images:")
            let probabilities = Evaluator.predict(trainer.parameters, architecture, on: data.test, indices: Array(0..<10))
            for (i, p) in probabilities.enumerated() {
                let best = argmax(p)
                let probs = p.map { format4(Double($0)) }.joined(separator: " ")
                print("  #\(i): predicted \(classNames[best]) (p=\(format4(Double(p[best])))), true \(classNames[Int(data.test.labels[i])])  [\(probs)]")
            }
            print("")
        }
        let steps = (data.test.count + 31) / 32
        let bar = root ? ProgressBar(total: steps) : nil
        let evaluation = Evaluator.evaluate(trainer.parameters, architecture, on: data.test, batchSize: 32) {
            bar?.update($0, values: [])
        }
        bar?.finish(values: [("loss", evaluation.loss), ("accuracy", evaluation.accuracy)])
        if root { print("Test accuracy: \(format4(evaluation.accuracy))") }

        if let path = config.historyFile {
            let history = History(epochs: trainer.history, test: evaluation, ranks: comm.size, threads: threads,
                                  startupSeconds: startup, options: opts, dataset: config.dataset.name)
            try FileIO.writeAtomically(Array(history.json.text.utf8) + [0x0A], to: path)
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
        return evaluation
    }, encode: { _ in [] }, decode: { _ in Evaluation(loss: .nan, accuracy: .nan, samples: 0, confusion: []) })

    return JobResult(history: trainer.history, test: test, ranks: comm.size, threads: threads, startupSeconds: startup)
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

/// Packs a dataset into one byte array for a broadcast: four little-endian lengths, then the arrays.
enum DatasetCodec {
    static func encode(_ d: Dataset) -> [UInt8] {
        let parts = [d.train.images, d.train.labels, d.test.images, d.test.labels]
        var out: [UInt8] = []
        out.reserveCapacity(32 + parts.reduce(0) { $0 + $1.count })
        for p in parts { withUnsafeBytes(of: UInt64(p.count).littleEndian) { out.append(contentsOf: $0) } }
        for p in parts { out.append(contentsOf: p) }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> Dataset {
        var lengths: [Int] = []
        for i in 0..<4 {
            lengths.append((0..<8).reduce(0) { $0 | Int(bytes[i * 8 + $1]) << (8 * $1) })
        }
        var offset = 32
        var parts: [[UInt8]] = []
        for n in lengths {
            parts.append(Array(bytes[offset..<(offset + n)]))
            offset += n
        }
        return Dataset(train: Split(images: parts[0], labels: parts[1]), test: Split(images: parts[2], labels: parts[3]))
    }
}
