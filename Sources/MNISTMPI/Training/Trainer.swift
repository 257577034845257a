/// Data-parallel training of the network. Every rank runs the same code on its own rows of
/// each global batch:
///
///     load this rank's rows -> forward and backward -> reduce over the ranks
///     -> (factored: this rank's rows of the first layer's gradient over the whole batch)
///     -> check the loss -> RMSprop step with the batch's gradient sums
///     -> gather the other ranks' new weights -> advance
///
/// Every rank takes the same step, so the weights stay identical everywhere: with the plain
/// allreduce each rank steps all of them from the same sums; with the sharded strategies each
/// rank steps its slice and the others copy the new weights (`GradientReduction`).
public final class Trainer {
    public let comm: Communicator
    public let architecture: Architecture
    public let options: TrainingOptions
    public let data: Split
    /// Weights, laid out as `architecture` says; identical on every rank (one copy a node shares
    /// with the strategies that step slices of it in place).
    public let parameters: FloatBuffer
    /// RMSprop's running mean of squared gradients, same layout.
    public let velocity: FloatBuffer
    /// Where training stands (identical on every rank).
    public private(set) var position = TrainingPosition()
    /// Time per phase of the step, and the per-step events when profiling.
    public let timeline: Timeline
    /// Recorded in checkpoints: the resumed checkpoint's, or `runID` for a fresh run.
    public let runID: String
    private let reduction: GradientReduction
    /// The strategy summing the gradients (`GradientReduction.name`).
    public var reductionName: String { reduction.name }
    /// Why that strategy, when `auto` chose it.
    public let automaticChoice: AutomaticReduction?
    private let workspace: Workspace
    /// Mixed precision's first-kernel pairs that this rank packs for the weights it steps
    /// (`GradientReduction.holdWeightPairs`), nil where the forward packs them.
    let w1Pairs: UnsafeMutablePointer<UInt32>?

    public var history: [EpochMetrics] { position.history }

    /// - Parameters:
    ///   - resume: continue from this checkpoint's weights, velocities and position.
    ///   - runID: names a fresh run in its checkpoints.
    public init(
        comm: Communicator, architecture: Architecture, options: TrainingOptions, data: Split,
        initialParameters: FloatBuffer, resume: Checkpoint? = nil, runID: String = Checkpoint.newRunID(),
        profile: Bool = false
    ) throws {
        precondition(initialParameters.count == architecture.parameterCount)
        self.comm = comm
        self.architecture = architecture
        self.options = options
        self.data = data
        velocity = FloatBuffer(count: architecture.parameterCount)
        self.runID = resume?.runID ?? runID
        var start = initialParameters
        if let resume {
            guard resume.position.batchInEpoch <= divideRoundingUp(data.count, options.batchSize) else {
                throw Checkpoint.LoadError.bad(file: "checkpoint", field: "batch_in_epoch")
            }
            start = FloatBuffer(resume.parameters)
            velocity.copy(from: FloatBuffer(resume.velocity))
            position = resume.position
        }
        // The largest batch there is (a batch size beyond the data makes one batch of it all);
        // a rank's share of it is never smaller than its share of the shorter last one.
        let largestBatch = min(options.batchSize, data.count)
        (reduction, automaticChoice) = try options.makeReduction(comm: comm, architecture: architecture, largestBatch: largestBatch)
        parameters = reduction.holdWeights(start)
        w1Pairs =
            options.precision == .mixedBFloat16 ? reduction.holdWeightPairs(count: BFloat16Operands.w1PairWords(architecture)) : nil
        workspace = Workspace(
            architecture, capacity: reduction.rows(batchSize: largestBatch).count, dHidden: reduction.hiddenGradients,
            precision: options.precision, w1Pairs: w1Pairs)
        let (steps, overflow) = divideRoundingUp(data.count, largestBatch).multipliedReportingOverflow(by: options.epochs)
        let expected = min(overflow ? Int.max : steps, options.maxSteps ?? Int.max)
        timeline = Timeline(
            recordsEvents: profile, expectedSteps: expected,
            eventsPerStep: 4 + 2 * reduction.piecesPerStep + (reduction.firstLayer == nil ? 0 : 1))
        if w1Pairs != nil {
            // The starting weights' pairs, published as a step's are.
            packPairsOfUpdates()
            reduction.shareWeights(parameters)
        }
    }

    /// The order in which samples are visited in `epoch` (0-based): a permutation drawn from
    /// `SplitMix64(seed:stream: 1 + epoch)`, the same on every rank, or 0..<n without shuffling.
    public func order(epoch: Int) -> [Int32] {
        guard options.shuffle else { return (0..<Int32(data.count)).map { $0 } }
        var rng = SplitMix64(seed: options.seed, stream: UInt64(1 + epoch))
        return rng.permutation(data.count)
    }

    /// The whole training state, for a checkpoint.
    public var checkpoint: Checkpoint {
        Checkpoint(
            architecture: architecture, parameters: parameters.array, velocity: velocity.array, position: position,
            runID: runID, settings: options.settings)
    }

    private var reachedMaxSteps: Bool { options.maxSteps.map { position.step >= $0 } ?? false }

    /// Runs the remaining epochs (or up to `maxSteps`), telling `observers` (rank 0's) how it goes.
    /// - Parameters:
    ///   - validate: evaluates the weights after each epoch (on rank 0; nil elsewhere).
    ///   - stopRequested: asked once per step; when any rank says yes, every rank stops after
    ///     that step and throws `TrainingError.stopped`, after the checkpoint, if any, is written.
    public func train(
        observers: [TrainingObserver] = [], validate: ((FloatBuffer) -> EpochMetrics.Validation)? = nil,
        stopRequested: () -> Bool = { false }
    ) throws {
        defer { reduction.gatherOptimizerState(velocity) }
        while position.epoch < options.epochs && !reachedMaxSteps {
            let batches = Sharding.batches(samples: data.count, batchSize: options.batchSize)
            let order = order(epoch: position.epoch)
            let start = comm.time() - position.seconds
            for o in observers { o.epochStarted(position.epoch, of: options.epochs, steps: batches.count) }
            while position.batchInEpoch < batches.count && !reachedMaxSteps {
                let stop = try step(batches[position.batchInEpoch], order: order, stopRequested: stopRequested())
                position.seconds = comm.time() - start
                for o in observers {
                    o.stepEnded(
                        position.batchInEpoch, loss: position.lossSum / Double(position.seen),
                        accuracy: position.correct / Double(position.seen))
                }
                if stop { throw TrainingError.stopped(step: position.step, checkpoint: try saveCheckpoint()) }
                if let every = options.checkpointEverySteps, position.step % every == 0, position.batchInEpoch < batches.count {
                    _ = try saveCheckpoint()
                }
            }
            let finished = position.batchInEpoch == batches.count
            try checkRanksAgree()
            endEpoch(observers: observers, validate: validate)
            guard finished else { break }  // maxSteps ended the run mid-epoch
            _ = try saveCheckpoint()
        }
    }

    /// One optimizer step on `batch` (positions in the epoch's `order`). Returns whether any
    /// rank was asked to stop.
    private func step(_ batch: Range<Int>, order: [Int32], stopRequested: Bool) throws -> Bool {
        var t0 = monotonicSeconds()
        let mine = reduction.rows(batchSize: batch.count)
        if !mine.isEmpty {
            let first = batch.lowerBound + mine.lowerBound
            workspace.load(data, indices: order[first..<(first + mine.count)])
            t0 = lap(.load, since: t0)
        }
        Network.prepare(parameters, workspace)
        let wholeBatchFirstLayer = reduction.firstLayer
        reduction.forEachPiece(batchSize: batch.count) { rows, sums in
            Network.forward(parameters, workspace, rows: rows)
            t0 = lap(.forward, since: t0)
            let (loss, hits) = Network.backwardToHidden(workspace, rows: rows)
            Network.secondLayerGradients(workspace, rows: rows, into: sums)
            if wholeBatchFirstLayer == nil { Network.firstLayerGradients(workspace, rows: rows, into: sums) }
            sums[architecture.parameterCount + Tail.loss.rawValue] = loss
            sums[architecture.parameterCount + Tail.correct.rawValue] = Float(hits)
            t0 = lap(.backward, since: t0)
        }
        reduction.reduce(stopRequested: stopRequested)
        t0 = lap(.reduction, since: t0)
        // The factored strategy gathered every row's hidden-layer gradient instead of summing
        // the first layer's: this rank's rows of that gradient, over the whole batch.
        if let first = wholeBatchFirstLayer {
            Network.firstLayerGradients(
                workspace, rows: 0..<batch.count, inputs: first.inputs, kernel: first.kernel, bias: first.bias)
            t0 = lap(.firstLayer, since: t0)
        }

        let tail = reduction.tail
        let batchLoss = tail[Tail.loss.rawValue]
        guard batchLoss.isFinite else {
            throw TrainingError.nonFiniteLoss(epoch: position.epoch + 1, step: position.step + 1, value: batchLoss)
        }
        options.optimizer.step(reduction.updates, parameters: parameters, velocity: velocity, batchSize: batch.count)
        packPairsOfUpdates()
        t0 = lap(.optimizer, since: t0)
        reduction.shareWeights(parameters)
        _ = lap(.gather, since: t0)

        position.advance(samples: batch.count, lossSum: Double(batchLoss), correct: Double(tail[Tail.correct.rawValue]))
        return tail[Tail.stop.rawValue] > 0
    }

    /// The pairs of the first kernel's weights this rank steps, while they are in its cache.
    private func packPairsOfUpdates() {
        guard let w1Pairs else { return }
        let w1 = architecture.w1
        for update in reduction.updates {
            // The stepped parameters that are W1's, as positions in W1.
            let stepped = update.parameters.clamped(to: w1.offset..<(w1.offset + w1.count))
            let elements = (stepped.lowerBound - w1.offset)..<(stepped.upperBound - w1.offset)
            BFloat16Operands.pack(parameters.pointer + w1.offset, architecture, elements: elements, into: w1Pairs)
        }
    }

    /// Records the finished (or, with maxSteps, cut short) epoch and starts the next.
    private func endEpoch(observers: [TrainingObserver], validate: ((FloatBuffer) -> EpochMetrics.Validation)?) {
        let seen = Double(max(position.seen, 1))
        let metrics = EpochMetrics(
            loss: position.lossSum / seen, accuracy: position.correct / seen,
            seconds: position.seconds, steps: position.batchInEpoch,
            validation: validate?(parameters))
        for o in observers { o.epochEnded(position.epoch, metrics: metrics) }
        position.history.append(metrics)
        if position.batchInEpoch == divideRoundingUp(data.count, options.batchSize) { position.startNextEpoch() }
    }

    /// Ends the job on every rank if any rank's weights differ from rank 0's. Each strategy
    /// keeps them bitwise the same everywhere; hosts whose math rounds differently (BLAS
    /// kernels of another CPU, say) would drift apart silently instead.
    func checkRanksAgree() throws {
        var digest = withUnsafeBytes(of: parameterDigest.littleEndian, Array.init)
        let mine = digest
        comm.broadcast(&digest, root: 0)
        let differing = FloatBuffer([digest == mine ? 0 : 1])
        comm.allreduceSum(differing.pointer, count: 1)
        if differing[0] > 0 { throw TrainingError.ranksDisagree(epoch: position.epoch + 1, ranks: Int(differing[0])) }
    }

    /// A hash of the weights' bits (not cryptographic: it tells copies apart, not attackers).
    private var parameterDigest: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<parameters.count { hash = (hash ^ UInt64(parameters[i].bitPattern)) &* 0x100_0000_01b3 }
        return hash
    }

    /// Rank 0 writes a checkpoint, if a store is set; every rank learns whether that worked.
    private func saveCheckpoint() throws -> String? {
        guard let store = options.checkpoints else { return nil }
        reduction.gatherOptimizerState(velocity)
        return try comm.onRoot { () throws -> String in
            try store.save(checkpoint)
            return store.path(step: position.step)
        } ?? store.path(step: position.step)
    }

    /// Records `phase` of the current step as ending now; returns now.
    private func lap(_ phase: Timeline.Phase, since start: Double) -> Double {
        let now = monotonicSeconds()
        timeline.record(phase, step: position.step, from: start, to: now)
        return now
    }
}
