/// Where each training step's time goes, per rank: totals for every run, and, when profiling,
/// one event per phase per step, written as a Chrome trace (chrome://tracing,
/// Perfetto), like Horovod's Timeline.
public final class Timeline {
    public enum Phase: Int, CaseIterable, Sendable {
        /// `reduction`: summing the ranks' gradients, by whichever strategy runs; `firstLayer`:
        /// this rank's rows of the first layer's gradient over the whole batch (the factored
        /// strategy only); `optimizer`: the RMSprop step of this rank's part of the weights;
        /// `gather`: the other ranks' parts of the new weights reaching this rank (the sharded
        /// strategies).
        case load, forward, backward, reduction, firstLayer, optimizer, gather
        public var name: String { self == .firstLayer ? "first_layer" : String(describing: self) }
    }

    struct Event {
        var phase: Phase
        var step: Int32
        var start: Double
        var end: Double
    }

    /// Seconds spent in each phase since the start.
    public private(set) var totals = [Double](repeating: 0, count: Phase.allCases.count)
    public let recordsEvents: Bool
    public let origin: Double
    private var events: [Event] = []

    /// - Parameter expectedSteps: events are reserved for this many steps of `eventsPerStep`
    ///   up front (up to 100,000 steps), so that recording does not allocate inside the
    ///   training loop.
    public init(
        recordsEvents: Bool, expectedSteps: Int = 0, eventsPerStep: Int = Phase.allCases.count,
        origin: Double = monotonicSeconds()
    ) {
        self.recordsEvents = recordsEvents
        self.origin = origin
        if recordsEvents { events.reserveCapacity(min(expectedSteps, 100_000) * eventsPerStep) }
    }

    public func record(_ phase: Phase, step: Int, from start: Double, to end: Double) {
        totals[phase.rawValue] += end - start
        if recordsEvents { events.append(Event(phase: phase, step: Int32(step), start: start, end: end)) }
    }

    /// This rank's events as Chrome trace "complete" events (`ph: X`, microseconds), in a
    /// process named after the rank.
    public func traceEvents(rank: Int) -> [JSON] {
        var out: [JSON] = [
            .object([
                ("name", .string("process_name")), ("ph", .string("M")), ("pid", .integer(rank)),
                ("args", .object([("name", .string("rank \(rank)"))])),
            ])
        ]
        for e in events {
            out.append(
                .object([
                    ("name", .string(e.phase.name)), ("cat", .string("step")), ("ph", .string("X")),
                    ("ts", .number(((e.start - origin) * 1e6).rounded())),
                    ("dur", .number(((e.end - e.start) * 1e6 * 1000).rounded() / 1000)),
                    ("pid", .integer(rank)), ("tid", .integer(0)),
                    ("args", .object([("step", .integer(Int(e.step)))])),
                ]))
        }
        return out
    }
}
