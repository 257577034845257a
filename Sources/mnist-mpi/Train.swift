import ArgumentParser
import MNISTMPI
#if canImport(Glibc)
import Glibc
#endif

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train, predict the first 10 test images and evaluate on the test set (the default command).")

    @Option(help: "Passes over the training set.")
    var epochs = 5

    @Option(help: "Global batch size, shared out over the ranks.")
    var batchSize = 128

    @Option(help: "RMSprop learning rate.")
    var learningRate: Float = 0.001

    @Option(help: "Seed of the weight initialisation and of the per-epoch shuffles.")
    var seed: UInt64 = 42

    @Option(help: "Directory with the four MNIST IDX files (.gz or raw).")
    var dataDir = "data"

    @Flag(help: "Visit the training samples in file order every epoch (Keras's shuffle=False).")
    var noShuffle = false

    @Option(help: "Stop after this many optimizer steps in total, then evaluate as usual.")
    var maxSteps: Int?

    @Option(help: "BLAS threads per rank (default: cores on this node / ranks on this node).")
    var threads: Int?

    @Option(help: ArgumentHelp("Write per-epoch loss/accuracy, test results and timings as JSON.", valueName: "file"))
    var history: String?

    @Option(help: ArgumentHelp("Write a per-step timeline of every rank (forward, backward, allreduce, optimizer) as a Chrome trace (chrome://tracing, Perfetto).", valueName: "file"))
    var profile: String?

    @Option(help: ArgumentHelp("Save the trained weights as safetensors.", valueName: "file"))
    var save: String?

    @Option(name: .customLong("init"), help: ArgumentHelp("Start from the weights in this safetensors file instead of Glorot initialisation.", valueName: "file"))
    var initFile: String?

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1 (got \(epochs))") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
        guard learningRate.isFinite, learningRate > 0 else {
            throw ValidationError("--learning-rate must be a positive finite number (got \(learningRate))")
        }
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1 (got \(maxSteps))") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    func run() throws {
        var config = JobConfiguration()
        config.training.epochs = epochs
        config.training.batchSize = batchSize
        config.training.optimizer.learningRate = learningRate
        config.training.seed = seed
        config.training.shuffle = !noShuffle
        config.training.maxSteps = maxSteps
        config.dataDirectory = dataDir
        config.threads = threads
        config.initFile = initFile
        config.saveFile = save
        config.historyFile = history
        config.profileFile = profile
        config.commandLine = CommandLine.arguments.joined(separator: " ")

        let comm = MPICommunicator()
        do {
            _ = try runTrainingJob(config, comm: comm)
        } catch {
            if comm.isRoot { Terminal.error("mnist-mpi: error: \(error)") }
            comm.finalize()
            throw ExitCode.failure
        }
        comm.finalize()
    }
}
