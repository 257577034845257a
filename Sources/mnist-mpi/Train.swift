import ArgumentParser
import MNISTMPI

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

    @OptionGroup var data: DataOptions

    @Flag(help: "Visit the training samples in file order every epoch (Keras's shuffle=False).")
    var noShuffle = false

    @Option(help: "Stop after this many optimizer steps in total, then evaluate as usual.")
    var maxSteps: Int?

    @Option(help: "BLAS threads per rank (default: cores on this node / ranks on this node; always 1 with --deterministic).")
    var threads: Int?

    @Option(help: ArgumentHelp("Write per-epoch loss/accuracy, test results and timings as JSON.", valueName: "file"))
    var history: String?

    @Option(
        help: ArgumentHelp(
            "Write a per-step timeline of every rank (load, forward, backward, reduction, first_layer with --reduction factored, optimizer, gather) as a Chrome trace (chrome://tracing, Perfetto).",
            valueName: "file"))
    var profile: String?

    @Option(
        help: ArgumentHelp(
            "Save the trained model: a Keras 3 archive that keras.saving.load_model opens if the name ends in .keras (with the optimizer state), else safetensors.",
            valueName: "file"))
    var save: String?

    @Option(
        help: ArgumentHelp(
            "Export the trained model as ONNX (opset 13; input float[N,784] in [0,1], output probabilities float[N,10]).",
            valueName: "file.onnx"))
    var exportOnnx: String?

    @Flag(
        name: .customLong("validate"),
        help:
            "Evaluate the test set after every epoch and show val_loss/val_accuracy (Keras's validation_data); implied by --plot and --csv."
    )
    var validateEachEpoch = false

    @Option(
        help: ArgumentHelp(
            "Write TensorBoard event files here as Keras's TensorBoard callback does: train/ (per-step and per-epoch loss and accuracy, per-phase step times) and, with --validate, validation/.",
            valueName: "dir"))
    var tensorboard: String?

    @Option(help: ArgumentHelp("Plot loss and accuracy per epoch, train and test, as an SVG picture.", valueName: "file.svg"))
    var plot: String?

    @Option(
        help: ArgumentHelp(
            "Write per-epoch metrics as CSV, like Keras's CSVLogger (epoch,accuracy,loss,val_accuracy,val_loss).", valueName: "file.csv"))
    var csv: String?

    @Option(
        name: .customLong("init"),
        help: ArgumentHelp(
            "Start from the weights in this file (safetensors, or a Keras 3 .keras model of the tutorial's network) instead of Glorot initialisation.",
            valueName: "file"))
    var initFile: String?

    @Option(help: ArgumentHelp("Write a checkpoint here at the end of every epoch (atomically; rank 0 writes).", valueName: "dir"))
    var checkpointDir: String?

    @Option(help: ArgumentHelp("Also checkpoint every N optimizer steps.", valueName: "n"))
    var checkpointEvery: Int?

    @Option(help: "How many checkpoints to keep.")
    var keepCheckpoints = 2

    @Flag(help: "Continue from the newest valid checkpoint in --checkpoint-dir (start afresh if there is none).")
    var resume = false

    @Flag(help: "Delete the checkpoints another run left in --checkpoint-dir and start afresh (without it, such a directory is an error).")
    var startOver = false

    @OptionGroup var peers: PeerTimeoutOption

    @Option(
        help: ArgumentHelp(
            "How ranks combine gradients: allreduce (one MPI_Allreduce, every rank steps all weights), sharded (reduce-scatter, each rank steps its 1/np of the weights, allgather: ZeRO-1), shared-memory (sharded through memory the ranks of one node share, no messages), hierarchical (shared memory on each node, only the node sums cross the network, each of a node's ranks carrying its slice), factored (shared memory on each node; hosts swap the batch's hidden-layer gradients, 128 x 512 values, instead of the first layer's gradient, 784 x 512, and each host forms that itself), or auto: the strategy the step model of `mnist-mpi plan` predicts fastest for the job's layout, from costs measured at start-up (or --costs): shared-memory on one node unless another is predicted 10% faster, across nodes hierarchical or factored, allreduce when nodes run different rank counts; the Reduction line says what it took.",
            valueName: "strategy"))
    var reduction: ReductionStrategy = .auto

    @Option(
        help: ArgumentHelp(
            "Number format of what the hierarchical and factored reductions send between nodes: float32, or bfloat16 (half the bytes; sums still add up in float32).",
            valueName: "format"))
    var wirePrecision: WirePrecision = .float32

    @Option(
        help: ArgumentHelp(
            "How the layers compute, as Keras's dtype policies: float32, or mixed-bfloat16 (Keras's mixed_bfloat16: each Dense layer's inputs, weights and output in bfloat16, its products accumulated in float32 on AVX512_BF16; variables, optimizer, softmax and loss float32). mixed-bfloat16 needs a CPU with AVX512_BF16.",
            valueName: "policy"))
    var precision: Precision = .float32

    @Flag(
        help:
            "Sum gradients in a fixed tree over micro-shards: bitwise the same weights and metrics for every power-of-two rank count up to --micro-shards."
    )
    var deterministic = false

    @Option(help: "Micro-shards per global batch with --deterministic (a power of two).")
    var microShards = 8

    @Option(
        help: ArgumentHelp(
            "With --reduction auto: choose by the costs `mnist-mpi plan --save-costs` measured on this cluster instead of measuring them quickly at start-up.",
            valueName: "file"))
    var costs: String?

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1 (got \(epochs))") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
        guard learningRate.isFinite, learningRate > 0 else {
            throw ValidationError("--learning-rate must be a positive finite number (got \(learningRate))")
        }
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1 (got \(maxSteps))") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        if let checkpointEvery, checkpointEvery < 1 {
            throw ValidationError("--checkpoint-every must be at least 1 (got \(checkpointEvery))")
        }
        guard keepCheckpoints >= 1 else { throw ValidationError("--keep-checkpoints must be at least 1 (got \(keepCheckpoints))") }
        // Each micro-shard a rank owns has a gradient buffer of its own (1.6 MB).
        guard microShards >= 1, microShards <= 1024, microShards & (microShards - 1) == 0 else {
            throw ValidationError("--micro-shards must be a power of two up to 1024 (got \(microShards))")
        }
        if resume && checkpointDir == nil { throw ValidationError("--resume needs --checkpoint-dir") }
        if startOver && checkpointDir == nil { throw ValidationError("--start-over needs --checkpoint-dir") }
        if deterministic && reduction != .auto {
            throw ValidationError("--deterministic has its own reduction; leave out --reduction")
        }
        if startOver && resume { throw ValidationError("--start-over and --resume exclude each other") }
        if wirePrecision != .float32 && (deterministic || ![.auto, .hierarchical, .factored].contains(reduction)) {
            throw ValidationError(
                "--wire-precision \(wirePrecision.rawValue) applies to the reductions across nodes only (--reduction hierarchical, factored or auto)"
            )
        }
        if checkpointEvery != nil && checkpointDir == nil { throw ValidationError("--checkpoint-every needs --checkpoint-dir") }
        if costs != nil && (reduction != .auto || deterministic) { throw ValidationError("--costs is for --reduction auto") }
    }

    func run() throws {
        var config = JobConfiguration()
        config.training.epochs = epochs
        config.training.batchSize = batchSize
        config.training.optimizer.learningRate = learningRate
        config.training.seed = seed
        config.training.shuffle = !noShuffle
        config.training.maxSteps = maxSteps
        config.training.checkpoints = checkpointDir.map { CheckpointStore(directory: $0, keep: keepCheckpoints) }
        config.training.checkpointEverySteps = checkpointEvery
        config.training.reduction = reduction
        config.training.deterministicMicroShards = deterministic ? microShards : nil
        config.training.wirePrecision = wirePrecision
        config.training.precision = precision
        config.costsFile = costs
        config.training.dataset = data.spec()
        config.dataDirectory = data.directory(for: config.dataset)
        config.threads = threads
        config.initFile = initFile
        config.files = OutputFiles(history: history, profile: profile, save: save, onnx: exportOnnx, csv: csv, plot: plot)
        config.validateEachEpoch = validateEachEpoch || plot != nil || csv != nil
        config.tensorboard = tensorboard
        config.resume = resume
        config.startOver = startOver
        config.commandLine = CommandLine.arguments.joined(separator: " ")
        try runUnderMPI(peerTimeout: peers.peerTimeout) { comm in
            try TrainingJob(config: config, comm: comm, watchdog: comm.watchdog).run()
        }
    }
}

extension ReductionStrategy: ExpressibleByArgument {}

extension WirePrecision: ExpressibleByArgument {}

extension Precision: ExpressibleByArgument {}
