import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Ends this process when a collective takes longer than `seconds`: the sign of a peer that is
/// gone without the launcher noticing (a frozen process, a cut network link, a hung node).
/// Ending lets mpirun see a failed rank and end the whole job, instead of every rank waiting
/// forever. `MPICommunicator` runs every collective under it, from `MPI_Init` to `MPI_Finalize`.
public final class Watchdog: Sendable {
    /// Nanoseconds a collective may take.
    private let limit: Int64
    /// When the current collective is due, or 0 when none is watched.
    private let deadline = Atomic<Int64>(0)
    /// What the job is doing, for the message.
    private let currentPhase = Mutex("start-up")

    /// Starts the watching thread; `seconds` of 0 (or less) leaves it off. `onTimeout` runs on
    /// that thread with the seconds waited and the phase, and must end the process.
    public init(seconds: Double, onTimeout: @escaping @Sendable (_ seconds: Double, _ phase: String) -> Never) {
        limit = seconds > 0 ? Int64(seconds * 1e9) : 0
        guard limit > 0 else { return }
        let thread = Threads.start { [self] in
            while true {
                usleep(250_000)
                let due = deadline.load(ordering: .relaxed)
                if due != 0 && Watchdog.now() > due { onTimeout(Double(limit) / 1e9, phase) }
            }
        }
        pthread_detach(thread)
    }

    /// What the job is doing now (`loading the data`, `training`, ...), named in the message.
    public var phase: String {
        get { currentPhase.withLock { $0 } }
        set { currentPhase.withLock { $0 = newValue } }
    }

    /// Runs `collective` with the clock running.
    @inline(__always)
    public func watch<T>(_ collective: () throws -> T) rethrows -> T {
        if limit > 0 { deadline.store(Watchdog.now() + limit, ordering: .relaxed) }
        defer { deadline.store(0, ordering: .relaxed) }
        return try collective()
    }

    private static func now() -> Int64 { Int64(monotonicSeconds() * 1e9) }
}

extension Optional where Wrapped == Watchdog {
    /// Runs `collective` under the watchdog, if there is one.
    @inline(__always)
    public func watch<T>(_ collective: () throws -> T) rethrows -> T {
        switch self {
        case let .some(watchdog): return try watchdog.watch(collective)
        case .none: return try collective()
        }
    }
}
