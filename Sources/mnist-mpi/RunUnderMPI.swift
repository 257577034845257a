import ArgumentParser
import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a command's work on every rank of the MPI job (a plain process is a job of one) and
/// turns its outcome into one exit status on every rank. An error is printed once, by rank 0,
/// as one line; every rank then finalizes MPI and exits, so no rank is left waiting. From
/// `MPI_Init` to `MPI_Finalize`, a rank that waits `peerTimeout` seconds for its peers ends
/// the job with exit status 3, naming the phase it was in.
func runUnderMPI(peerTimeout: Double = 60, _ work: (MPICommunicator) throws -> Void) throws {
    do {
        try Launcher.current.checkSlurmWiring(worldSize: nil)  // before MPI_Init, which would abort noisily
    } catch {
        Terminal.error("mnist-mpi: error: \(Messages.describe(error))")
        throw ExitCode(ExitStatus.failure)
    }
    let rank = Launcher.current.rank ?? 0
    // Read by MPI_Init. Two ranks on one core, --reduction allreduce: 16.1-16.2 ms a step
    // polling, 4.1-5.1 yielding (the default strategy waits in its own futex barrier).
    if let shared = Launcher.current.oversubscriptionUnknownToMPI() {
        setenv("OMPI_MCA_mpi_yield_when_idle", "1", 1)
        if rank == 0 {
            Terminal.error(
                "mnist-mpi: note: \(shared.ranks) ranks on this node share \(shared.cores) core(s): a rank waiting for others yields its core (mpi_yield_when_idle)"
            )
        }
    }
    let watchdog = Watchdog(seconds: peerTimeout) { seconds, phase in
        Terminal.error(
            "mnist-mpi: error: rank \(rank): no answer from the other ranks for \(Int(seconds)) s while \(phase) (a rank or its node is gone or frozen, or the network is down); ending the job"
        )
        _exit(ExitStatus.peerLost)
    }
    Phase.enter("start-up", watchdog: watchdog, rank: rank)
    let comm = MPICommunicator(watchdog: watchdog) { failure in
        Terminal.error(
            "mnist-mpi: error: rank \(failure.rank): \(failure.what) failed: \(failure.message)\(failure.code.map { " (MPI error \($0))" } ?? ""); ending the job"
        )
    }
    TestHooks.afterMPIInit(comm)
    var failure: Error?
    do {
        try work(comm)
    } catch {
        if comm.isRoot { Terminal.error("mnist-mpi: error: \(Messages.describe(error))") }
        failure = error
    }
    Phase.enter("finishing (MPI_Finalize)", watchdog: watchdog, rank: rank)
    comm.finalize()
    if let failure { throw ExitCode(ExitStatus.of(failure)) }
}

/// Runs `work` on rank 0 while the other ranks wait for its outcome: the commands that use a
/// trained model are quick and need no parallelism.
func runOnRankZero(_ work: () throws -> Void) throws {
    try runUnderMPI { comm in _ = try comm.onRoot(work) }
}

/// The phases of a job, named in the watchdog's message.
enum Phase {
    /// Tells the watchdog what this rank does from now on.
    static func enter(_ phase: String, watchdog: Watchdog?, rank: Int) {
        watchdog?.phase = phase
        TestHooks.entering(phase, rank: rank)
    }
}
