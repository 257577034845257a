import CStopSignal
import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM and SIGINT (what Slurm, `kill` and Ctrl-C send) become a request to stop, which the
/// trainer asks about once per step and shares with every rank through the step's reduction,
/// so all ranks stop after the same step and rank 0 can write a checkpoint first. A second
/// signal before that ends the process at once.
enum StopRequest {
    /// The signal that asked this process to stop, or 0.
    static var signal: Int32 { stop_signal_received() }

    /// Runs `training` with SIGTERM and SIGINT only setting the request, then restores their
    /// default action (outside the training loop nothing reads the request). A signal that came
    /// after the last step's check is delivered then, unless training stopped for it.
    static func whileHandling<T>(_ training: () throws -> T) throws -> T {
        stop_signal_install()
        var stopped = false
        defer {
            stop_signal_restore()
            if !stopped && signal != 0 { raise(signal) }
        }
        do {
            return try training()
        } catch {
            if case TrainingError.stopped = error { stopped = true }
            throw error
        }
    }
}
