import Foundation
import Synchronization

/// SIGTERM and SIGINT (what Slurm, `kill` and Ctrl-C send) become a request to stop, which the
/// training loop reads once per step and shares with every rank through the step's allreduce,
/// so all ranks stop after the same step and rank 0 can write a checkpoint first.
public enum StopRequest {
    private static let signalNumber = Atomic<Int32>(0)

    /// The signal that asked this process to stop, or 0.
    public static var signal: Int32 { signalNumber.load(ordering: .relaxed) }

    /// From here on, SIGTERM and SIGINT only set the request.
    public static func installHandlers() {
        for s in [SIGTERM, SIGINT] {
            // Storing to a lock-free atomic is async-signal-safe.
            Glibc.signal(s) { StopRequest.signalNumber.store($0, ordering: .relaxed) }
        }
    }

    /// Back to the default action (outside the training loop nothing reads the request).
    /// With `deliverPending`, a signal that came after the last step's check is delivered now.
    public static func restoreDefaults(deliverPending: Bool) {
        for s in [SIGTERM, SIGINT] { Glibc.signal(s, SIG_DFL) }
        if deliverPending && signal != 0 { raise(signal) }
    }
}

/// Ends this process when a collective takes longer than `seconds`: the sign of a peer that is
/// gone without the launcher noticing (a cut network link, a hung node). Exiting lets mpirun
/// see a failed rank and end the whole job, instead of every rank waiting forever.
public enum Watchdog {
    private static let deadline = Atomic<Int64>(0)
    private static let limit = Atomic<Int64>(0)
    private static let rank = Atomic<Int>(0)

    /// Starts the watching thread; `seconds` of 0 leaves it off.
    public static func start(seconds: Double, rank: Int) {
        guard seconds > 0 else { return }
        limit.store(Int64(seconds * 1e9), ordering: .relaxed)
        Watchdog.rank.store(rank, ordering: .relaxed)
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                let due = deadline.load(ordering: .relaxed)
                if due != 0 && now() > due {
                    let waited = Double(limit.load(ordering: .relaxed)) / 1e9
                    Terminal.error("mnist-mpi: error: rank \(Watchdog.rank.load(ordering: .relaxed)): no answer from the other ranks for \(Int(waited)) s (a rank or its node is gone, or the network is down); ending the job")
                    _exit(Int32(ExitStatus.peerLost))
                }
            }
        }
        thread.start()
    }

    /// Call before a collective.
    public static func arm() {
        let l = limit.load(ordering: .relaxed)
        if l > 0 { deadline.store(now() + l, ordering: .relaxed) }
    }

    /// Call after it.
    public static func disarm() { deadline.store(0, ordering: .relaxed) }

    private static func now() -> Int64 { Int64(monotonicSeconds() * 1e9) }
}

/// Exit statuses of `mnist-mpi` (besides 0, success).
public enum ExitStatus {
    /// Any error: bad data, an unwritable file, a diverged run, too many ranks...
    public static let failure = 1
    /// A rank saw no progress from its peers for `--peer-timeout` seconds.
    public static let peerLost = 3
    /// Bad command-line flags (swift-argument-parser's EX_USAGE).
    public static let usage = 64
    /// Stopped by SIGTERM/SIGINT after writing a checkpoint: 128 + the signal (143, 130),
    /// as a shell reports a process killed by it.
    public static func stopped(by signal: Int32) -> Int { 128 + Int(signal) }
}
