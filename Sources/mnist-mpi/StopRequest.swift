import MNISTMPI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT (what Slurm, `kill` and Ctrl-C send) become a request to stop, which the
/// trainer asks about once per step and shares with every rank through the step's reduction,
/// so all ranks stop after the same step and rank 0 can write a checkpoint first.
enum StopRequest {
    private static let signalNumber = Atomic<Int32>(0)

    /// The signal that asked this process to stop, or 0.
    static var signal: Int32 { signalNumber.load(ordering: .relaxed) }

    /// Runs `training` with SIGTERM and SIGINT only setting the request, then restores their
    /// default action (outside the training loop nothing reads the request). A signal that came
    /// after the last step's check is delivered then, unless training stopped for it.
    static func whileHandling(_ training: () throws -> Void) throws {
        for s in [SIGTERM, SIGINT] {
            // Storing to a lock-free atomic is async-signal-safe.
            Glibc.signal(s) { StopRequest.signalNumber.store($0, ordering: .relaxed) }
        }
        var stopped = false
        defer {
            for s in [SIGTERM, SIGINT] { Glibc.signal(s, SIG_DFL) }
            if !stopped && signal != 0 { raise(signal) }
        }
        do {
            try training()
        } catch {
            if case TrainingError.stopped = error { stopped = true }
            throw error
        }
    }
}
