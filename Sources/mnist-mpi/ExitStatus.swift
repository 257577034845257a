import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

/// Exit statuses of `mnist-mpi` besides 0 (success) and swift-argument-parser's 64 for a bad flag.
enum ExitStatus {
    /// Any error: bad data, an unwritable file, a diverged run, too many ranks...
    static let failure: Int32 = 1
    /// A rank saw no progress from its peers for `--peer-timeout` seconds.
    static let peerLost: Int32 = 3

    /// Stopped by SIGTERM/SIGINT after writing a checkpoint: 128 + the signal (143, 130), as
    /// a shell reports a process killed by it.
    static func stopped(by signal: Int32) -> Int32 { 128 + signal }

    /// The status for a job that ended with `error` (the same on every rank).
    static func of(_ error: Error) -> Int32 {
        guard case TrainingError.stopped = error else { return failure }
        return stopped(by: StopRequest.signal != 0 ? StopRequest.signal : SIGTERM)
    }
}
