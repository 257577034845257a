/// What `--reduction auto` takes: the strategy the step model predicts fastest for the job's
/// layout (`StepModel.fastest`), from costs `plan` saved or measured quickly at start-up, but
/// the hierarchy (`shared-memory` on one host) unless another is predicted at least
/// `margin` faster: the model is good to about 25%, and a choice that flipped between runs on
/// measurement noise would change a run's bits from one launch to the next. Rank 0 decides;
/// every rank gets its answer.
public struct AutomaticReduction: Sendable, Equatable {
    public let strategy: ReductionStrategy
    /// The predicted step of the strategy taken and of the runner-up (nil when nothing was
    /// predicted: one rank, or hosts of different rank counts, which only `allreduce` serves).
    public let predicted: Double?
    public let runnerUp: (strategy: ReductionStrategy, predicted: Double)?

    /// How much faster than the hierarchy another strategy must be predicted to be taken.
    public static let margin = 0.1

    public static func == (a: Self, b: Self) -> Bool {
        a.strategy == b.strategy && a.predicted == b.predicted && a.runnerUp?.strategy == b.runnerUp?.strategy
            && a.runnerUp?.predicted == b.runnerUp?.predicted
    }

    /// The strategy auto takes for `layout` by `model` (the hierarchy unless another candidate
    /// is predicted `margin` faster), and the runner-up.
    public static func pick(_ model: StepModel, _ layout: StepModel.Layout) -> (
        taken: (ReductionStrategy, StepModel.Prediction), runnerUp: (ReductionStrategy, StepModel.Prediction)
    ) {
        var (best, runnerUp) = model.fastest(layout)
        var hierarchical = layout
        hierarchical.strategy = .hierarchical
        let hierarchy = (ReductionStrategy.hierarchical, model.predict(hierarchical))
        if best.0 != .hierarchical, best.1.total > (1 - margin) * hierarchy.1.total { (best, runnerUp) = (hierarchy, best) }
        return (best, runnerUp)
    }

    /// Called by every rank together.
    /// - Parameters:
    ///   - costs: measured by `plan --save-costs` (nil: measured now, quickly, the compute in
    ///     `precision`); rank 0's are used.
    public static func choose(
        _ comm: Communicator, architecture: Architecture, batchSize: Int, wire: WirePrecision, costs: StepModel.Costs?,
        precision: Precision = .float32
    ) -> AutomaticReduction {
        let hostOf = comm.hostOfEachRank()
        let ranks = ranksOnEachHost(hostOf)
        guard comm.size > 1 else { return AutomaticReduction(strategy: .sharedMemory, predicted: nil, runnerUp: nil) }
        guard ranks.min() == ranks.max() else { return AutomaticReduction(strategy: .allreduce, predicted: nil, runnerUp: nil) }
        let cores = Calibration.hostCores(comm)
        var planned: [UInt8] = [costs == nil ? 0 : 1]
        comm.broadcast(&planned, root: 0)
        let measured = planned[0] == 0 ? Calibration.costs(comm, hostOf: hostOf, cores: cores, quick: true, precision: precision) : nil
        // Rank 0's answer: the strategy's index among the modelled ones and both predictions.
        let answer = FloatBuffer(count: 4)
        if comm.isRoot, let costs = costs ?? measured {
            let layout = StepModel.Layout(
                hosts: ranks.count, ranksPerHost: ranks[0], coresPerHost: Double(cores),
                byNode: ranks.count > 1 && hostOf[1] != hostOf[0], wire: wire)
            let (best, runnerUp) = pick(StepModel(costs: costs, architecture: architecture, batchSize: batchSize), layout)
            let index = { (s: ReductionStrategy) in Float(StepModel.Layout.modelled.firstIndex(of: s)!) }
            (answer[0], answer[1], answer[2], answer[3]) = (index(best.0), Float(best.1.total), index(runnerUp.0), Float(runnerUp.1.total))
        }
        comm.broadcast(UnsafeMutableRawBufferPointer(start: answer.pointer, count: 4 * answer.count), root: 0)
        // On one host the hierarchy is the node's shared memory and nothing else.
        let strategy = { (index: Float) -> ReductionStrategy in
            let modelled = StepModel.Layout.modelled[Int(index)]
            return modelled == .hierarchical && ranks.count == 1 ? .sharedMemory : modelled
        }
        return AutomaticReduction(
            strategy: strategy(answer[0]), predicted: Double(answer[1]), runnerUp: (strategy(answer[2]), Double(answer[3])))
    }
}
