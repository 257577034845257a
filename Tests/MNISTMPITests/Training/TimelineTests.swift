import Testing

@testable import MNISTMPI

/// The per-step timeline of `--profile`, from a trainer over ranks that are threads.
struct TimelineTests {
    /// Each step is its phases in the order the step runs them, one after another with no gap
    /// (each starts where the last ended, to the microsecond the trace keeps), for every
    /// strategy (the factored one computes the first layer's gradient after the reduction);
    /// the run's totals are the events' sums.
    @Test(arguments: [ReductionStrategy.allreduce, .sharded, .sharedMemory, .factored])
    func eachStepIsItsPhasesInOrder(strategy: ReductionStrategy) throws {
        let trainer = TrainerTests()
        var options = TrainingOptions()
        options.maxSteps = 3
        options.reduction = strategy
        let data = trainer.randomSplit(512)
        let initial = trainer.architecture.glorotInitialization(seed: 1).array
        let runs = ThreadCommunicator.run(ranks: 2) { [options] comm in
            let t = try! Trainer(
                comm: comm, architecture: trainer.architecture, options: options, data: data,
                initialParameters: FloatBuffer(initial), profile: true)
            try! t.train()
            return (events: t.timeline.traceEvents(rank: comm.rank), totals: t.timeline.totals)
        }
        let phases =
            ["load", "forward", "backward", "reduction"] + (strategy == .factored ? ["first_layer"] : []) + ["optimizer", "gather"]
        for (rank, run) in runs.enumerated() {
            let steps = run.events.filter { $0["ph"]?.string == "X" }
            #expect(steps.map { $0["name"]?.string ?? "" } == Array([[String]](repeating: phases, count: 3).joined()), "rank \(rank)")
            #expect(
                steps.map { $0["args"]?["step"]?.double ?? -1 } == (0..<3).flatMap { Array(repeating: Double($0), count: phases.count) })
            let (starts, durations) = (steps.map { $0["ts"]!.double! }, steps.map { $0["dur"]!.double! })
            for i in 1..<steps.count where i % phases.count != 0 {
                #expect(abs(starts[i] - (starts[i - 1] + durations[i - 1])) <= 1, "rank \(rank), event \(i)")
            }
            for name in phases {
                let p = Timeline.Phase.allCases.first { $0.name == name }!.rawValue
                let summed = zip(steps, durations).filter { $0.0["name"]?.string == name }.map(\.1).reduce(0, +)
                #expect(abs(summed - run.totals[p] * 1e6) <= 3, "rank \(rank), \(name): \(summed) us against \(run.totals[p] * 1e6)")
            }
        }
    }
}
