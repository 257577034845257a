import CBLAS
import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

/// Everything the `train` command was asked to do.
struct JobConfiguration {
    var training = TrainingOptions()
    var dataset: DatasetSpec { training.dataset }
    var dataDirectory = "data"
    /// BLAS threads per rank (nil: cores on this node / ranks on this node).
    var threads: Int?
    var initFile: String?
    var files = OutputFiles()
    /// Evaluate on the test set after every epoch (Keras's `validation_data`).
    var validateEachEpoch = false
    /// Where to write TensorBoard event files (`TensorBoardLog`).
    var tensorboard: String?
    /// Continue from the newest valid checkpoint in `training.checkpoints`.
    var resume = false
    /// Delete another run's checkpoints there instead of refusing to start.
    var startOver = false
    /// The command line, recorded in saved files.
    var commandLine = ""
    /// Costs `plan --save-costs` wrote, for `--reduction auto` to choose by (read on rank 0).
    var costsFile: String?
}

/// The tutorial, data-parallel, on one rank: prepare (data, weights, checkpoint), train, then
/// on rank 0 predict, evaluate and write the requested files. Every rank runs it with the same
/// configuration; an error thrown from it has reached every rank alike.
struct TrainingJob {
    let config: JobConfiguration
    let comm: Communicator
    /// Watches every collective; told each phase of the job.
    let watchdog: Watchdog?

    func run() throws {
        let start = try prepare()
        let run = try train(start)
        // Rank 0 alone reports and writes; the outcome is shared so that a failure (an
        // unwritable --save path, say) ends every rank the same way.
        enter("evaluating and writing files")
        _ = try comm.onRoot {
            let test = report(start, run)
            do {
                try config.files.write(start: start, run: run, test: test, config: config, ranks: comm.size)
            } catch {
                throw rescue(run.trainer, after: error)
            }
        }
    }

    /// A write failed after training (a disk filled meanwhile): the weights go to a file of
    /// their own, in the working directory or else /tmp, and the error says where.
    private func rescue(_ trainer: Trainer, after error: Error) -> Error {
        let name = "mnist-mpi-rescued-\(trainer.runID).safetensors"
        for path in [name, "/tmp/\(name)"] {
            if (try? ModelFile.save(trainer.parameters, trainer.architecture, metadata: [:], to: path)) != nil {
                return JobError("\(Messages.describe(error)); the trained weights are saved in \(path) (--init takes them)")
            }
        }
        return error
    }

    private func enter(_ phase: String) { Phase.enter(phase, watchdog: watchdog, rank: comm.rank) }

    /// What training starts from.
    struct Start {
        let data: Dataset
        let architecture: Architecture
        let weights: FloatBuffer
        let resume: Checkpoint?
        /// Names a fresh run in its checkpoints (a resumed run keeps its checkpoint's).
        let runID: String
        /// BLAS threads per shard.
        let threads: Int
        /// Shards of each batch this process trains, each on a thread of its own (more than
        /// one only for a process that is the whole job: see `ThreadPlan`).
        let shards: Int
        /// The ranks on each host (`MNISTMPI.ranksOnEachHost`).
        let ranksOnEachHost: [Int]
        /// The costs file's, on rank 0.
        let plannedCosts: StepModel.Costs?
        let startupSeconds: Double
    }

    /// What training produced, gathered on rank 0.
    struct Run {
        let trainer: Trainer
        /// Each rank's memory, and its Chrome trace events (when profiling).
        let memory: [MemoryUse]
        let traces: [[UInt8]]
    }

    /// Launch checks, then the data and the initial weights from rank 0, and the checkpoint to resume.
    private func prepare() throws -> Start {
        let started = comm.time()
        try Launcher.current.checkSlurmWiring(worldSize: comm.size)
        let batchSize = config.training.batchSize
        guard comm.size <= batchSize else {
            throw JobError(
                "\(comm.size) ranks cannot share a batch of \(batchSize): use at most \(batchSize) ranks or a larger --batch-size")
        }
        // Each rank's own CPU: a cluster's nodes may differ.
        let precision = config.training.precision
        let unable = FloatBuffer([precision.runsHere ? 0 : 1])
        comm.allreduceSum(unable.pointer, count: 1)
        guard unable[0] == 0 else {
            throw JobError(
                "--precision \(precision.rawValue) needs AVX512_BF16 on every rank's CPU: \(Int(unable[0])) of \(comm.size) rank(s) lack it (this one runs the \(Kernels.name) kernels\(precision.runsHere ? "" : " without it"))"
            )
        }
        // Every file the run will write, before any work that a failed write would lose.
        _ = try comm.onRoot { try config.files.checkWritable() }
        let plan = ThreadPlan(
            ranks: comm.size, localRanks: comm.localSize, threads: config.threads, batchSize: batchSize,
            deterministic: config.training.deterministicMicroShards != nil)
        openblas_set_num_threads(Int32(clamping: plan.blasThreads))
        let threads = Int(openblas_get_num_threads())  // OpenBLAS caps what it was asked for

        let plannedCosts =
            try comm.onRoot { try config.costsFile.map { try PlanReport.loadCosts($0, precision: config.training.precision) } } ?? nil
        enter("loading the data")
        let data = try comm.distribute { hold in try Dataset.load(config.dataset, from: config.dataDirectory, holdTrainImages: hold) }
        let architecture = Architecture(classes: config.dataset.classNames.count)
        enter("sending the initial weights")
        let weights = comm.broadcast(
            try comm.onRoot { () throws -> FloatBuffer in
                if let path = config.initFile { return try ModelFile.load(path, architecture) }
                return architecture.glorotInitialization(seed: config.training.seed)
            }, count: architecture.parameterCount)
        enter("reading the checkpoints")
        let resume = try resumeCheckpoint(architecture)
        var runID = Array(Checkpoint.newRunID().utf8)
        comm.broadcast(&runID, root: 0)
        let start = Start(
            data: data, architecture: architecture, weights: weights, resume: resume,
            runID: String(decoding: runID, as: UTF8.self), threads: threads, shards: plan.shards,
            ranksOnEachHost: ranksOnEachHost(comm.hostOfEachRank()), plannedCosts: plannedCosts,
            startupSeconds: comm.time() - started)
        if comm.isRoot { introduce(start) }
        return start
    }

    /// With `--resume`: the newest valid checkpoint, read on rank 0 and sent to every rank,
    /// after checking it belongs to this run's math and data. Without: makes sure no other
    /// run's checkpoints are in the way. Creates the checkpoint directory.
    private func resumeCheckpoint(_ architecture: Architecture) throws -> Checkpoint? {
        guard let store = config.training.checkpoints else { return nil }
        let found = try comm.onRoot { () throws -> Checkpoint? in
            try store.prepare()
            guard config.resume else {
                try clearForAFreshRun(store)
                return nil
            }
            let newest = try store.newest(architecture) { Terminal.error("mnist-mpi: warning: \($0)") }
            if newest == nil { print("No checkpoint in \(store.directory) yet: starting from the beginning") }
            return newest
        }
        var bytes = found??.encode() ?? []
        comm.broadcast(&bytes, root: 0)
        guard !bytes.isEmpty else { return nil }
        let checkpoint = try Checkpoint.decode(bytes, name: "checkpoint", architecture: architecture)
        try checkpoint.checkResumable(with: config.training.settings)
        return checkpoint
    }

    /// A fresh run refuses a directory holding another run's checkpoints (its pruning would
    /// mix with theirs, and a later --resume would not know which run to continue), unless
    /// told to start over.
    private func clearForAFreshRun(_ store: CheckpointStore) throws {
        guard let newest = try store.steps().first else { return }
        guard config.startOver else {
            throw JobError(
                "\(store.directory) holds checkpoints of an earlier run (newest: step \(newest)): continue it with --resume, choose another --checkpoint-dir, or delete them with --start-over"
            )
        }
        try store.removeAll()
        print("Deleted the earlier run's checkpoints in \(store.directory) (--start-over)")
    }

    /// The tutorial's look at the data and the model, and how the run is laid out.
    private func introduce(_ start: Start) {
        let (data, architecture, options) = (start.data, start.architecture, config.training)
        print(Console.shapes(data))
        print("\nTraining image #4, label \(config.dataset.classNames[Int(data.train.labels[4])]):")
        print(Console.drawing(of: data.train, index: 4))
        print("\nRandom-guess baseline accuracy: \(format4(1 / Double(architecture.classes)))")
        print(
            "Model: \(architecture.inputs) -> Dense(\(architecture.hidden), relu) -> Dense(\(architecture.classes), softmax), \(architecture.parameterCount) parameters"
        )
        if let position = start.resume?.position {
            print("Resuming from the checkpoint at step \(position.step): epoch \(position.epoch + 1), batch \(position.batchInEpoch)")
        }
        if options.precision == .mixedBFloat16 {
            print(
                "Dtype policy: mixed_bfloat16 (the Dense layers compute in bfloat16, the first one's products on AVX512_BF16; variables, softmax and loss in float32)"
            )
        }
        if let m = options.deterministicMicroShards {
            print("Deterministic: gradients summed over \(m) micro-shards per batch in a fixed tree")
        }
        let shards = comm.size * start.shards
        let shard = Sharding.shard(batchSize: options.batchSize, ranks: shards, rank: 0).count
        let split = start.shards > 1 ? " x \(start.shards) threads" : ""
        print(
            "Training on \(data.train.count) samples: \(comm.size) rank(s)\(split), global batch \(options.batchSize) (up to \(shard) per \(start.shards > 1 ? "thread" : "rank")), \(start.threads) BLAS thread(s) per \(start.shards > 1 ? "thread" : "rank"), start-up \(format3(start.startupSeconds))s"
        )
    }

    /// How the gradients are summed, and across hosts what that sends over each host's link:
    /// what a step across hosts waits for (`mnist-mpi plan` predicts it). Nil for one rank.
    private func reductionLine(_ trainer: Trainer, _ start: Start) -> String? {
        var name = trainer.reductionName
        if let choice = trainer.automaticChoice, let predicted = choice.predicted, let runnerUp = choice.runnerUp {
            name +=
                " (auto: predicted \(format(predicted * 1e3, decimals: 2)) ms a step; runner-up \(runnerUp.strategy.rawValue) \(format(runnerUp.predicted * 1e3, decimals: 2)) ms)"
        }
        let ranks = start.ranksOnEachHost
        guard ranks.count > 1 else {
            if start.shards > 1 { return "Reduction: \(name), \(start.shards) thread shards in one process" }
            return comm.size > 1 ? "Reduction: \(name), \(comm.size) ranks on one host" : nil
        }
        guard ranks.min() == ranks.max() else {
            let why = config.training.reduction == .auto ? " (hierarchical and factored need as many ranks on every host)" : ""
            return "Reduction: \(name), \(ranks.count) hosts of \(ranks.min()!) to \(ranks.max()!) ranks\(why)"
        }
        let layout = "Reduction: \(name), \(ranks.count) hosts x \(ranks[0]) rank(s)"
        let wire = config.training.wirePrecision
        let (a, hosts) = (start.architecture, Double(ranks.count))
        let bytes: Double
        switch trainer.reductionName {
        case "hierarchical":
            // The ring's reduce-scatter and allgather: 2 (N - 1) / N of the gradient each way.
            bytes = 2 * (hosts - 1) / hosts * Double(a.parameterCount * wire.bytesPerValue)
        case "factored":
            // The ring's allgather: (N - 1) / N of a batch's hidden-layer gradients, and the
            // other hosts' second-layer sums and tails in float32.
            let batch = Double(min(config.training.batchSize, start.data.train.count))
            let secondLayer = Double(reductionBufferCount(parameterCount: a.parameterCount) - a.w2.offset)
            bytes = (hosts - 1) / hosts * batch * Double(a.hidden * wire.bytesPerValue) + (hosts - 1) * secondLayer * 4
        default: return layout
        }
        return "\(layout): \(format(bytes / 1e6, decimals: 2)) MB each way over each host's link a step (\(wire.rawValue))"
    }

    /// The epochs, with Keras's progress lines on rank 0 (and per-epoch validation there when
    /// asked); SIGTERM/SIGINT stop every rank after the same step.
    private func train(_ start: Start) throws -> Run {
        enter("training")
        let board =
            try comm.onRoot { () throws -> TensorBoardLog? in
                try config.tensorboard.map {
                    try TensorBoardLog(
                        directory: $0, validation: config.validateEachEpoch,
                        learningRate: config.training.optimizer.learningRate,
                        restartsAt: config.resume ? (start.resume.map { $0.position.step + 1 } ?? 0) : nil)
                }
            } ?? nil
        let trainer = try StopRequest.whileHandling {
            guard start.shards > 1 else { return try trainOneShard(start, comm: comm, board: board) }
            // The shards of this process, as ranks that are threads; the first one reports.
            // (The job and its start are read-only here: each shard reads the same data and weights.)
            let job = UnsafeTransfer((self, start, board))
            let outcomes = ThreadCommunicator.run(ranks: start.shards) { local in
                UnsafeTransfer(Result { try job.value.0.trainOneShard(job.value.1, comm: local, board: job.value.2) })
            }
            return try outcomes[0].value.get()
        }
        enter("gathering the results")
        let now = MemoryUse.current()
        let memory = comm.gatherToRoot([now.peakResident, now.proportional]).map { MemoryUse(peakResident: $0[0], proportional: $0[1]) }
        let traces =
            config.files.profile == nil ? [] : comm.gatherToRoot(Array(JSON.array(trainer.timeline.traceEvents(rank: comm.rank)).text.utf8))
        return Run(trainer: trainer, memory: memory, traces: traces)
    }

    /// The epochs on `comm`'s share of each batch, with Keras's progress lines, the TensorBoard
    /// log (and per-epoch validation when asked) on its rank 0; SIGTERM/SIGINT stop every rank
    /// after the same step.
    private func trainOneShard(_ start: Start, comm: Communicator, board: TensorBoardLog?) throws -> Trainer {
        var options = config.training
        options.plannedCosts = start.plannedCosts
        let trainer = try Trainer(
            comm: comm, architecture: start.architecture, options: options,
            data: start.data.train, initialParameters: start.weights, resume: start.resume,
            runID: start.runID, profile: config.files.profile != nil)
        let reports = comm.isRoot && self.comm.isRoot
        let validate =
            reports && config.validateEachEpoch
            ? { (parameters: FloatBuffer) in
                let evaluation = Evaluator.evaluate(
                    parameters, start.architecture, on: start.data.test, precision: config.training.precision)
                return EpochMetrics.Validation(loss: evaluation.loss, accuracy: evaluation.accuracy)
            } : nil
        var observers: [TrainingObserver] = []
        if reports {
            observers.append(EpochProgress())
            if let board {
                board.timeline = trainer.timeline
                observers.append(board)
            }
        }
        if reports {
            if let line = reductionLine(trainer, start) { print(line) }
            print("")
        }
        defer { if reports { board?.flush() } }  // the last epoch, or the steps up to a stop
        try trainer.train(observers: observers, validate: validate, stopRequested: { StopRequest.signal != 0 })
        return trainer
    }

    /// Rank 0: the predictions for the first 10 test images and the test evaluation.
    private func report(_ start: Start, _ run: Run) -> Evaluation {
        let (test, parameters) = (start.data.test, run.trainer.parameters)
        print("\nPredictions for the first 10 test images:")
        let probabilities = Evaluator.predict(
            parameters, start.architecture, on: test, indices: Array(0..<10), precision: config.training.precision)
        for (i, p) in probabilities.enumerated() {
            print(Console.prediction("#\(i)", probabilities: p, classNames: config.dataset.classNames, truth: Int(test.labels[i])))
        }
        print("")
        return Console.evaluate(parameters, start.architecture, on: test, label: "Test", precision: config.training.precision)
    }
}
