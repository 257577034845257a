import ArgumentParser
import MNISTMPI

/// Runs a command's work on every rank of the MPI job (a plain process is a job of one) and
/// turns its outcome into one exit status on every rank. An error is printed once, by rank 0,
/// as one line; every rank then finalizes MPI and exits, so no rank is left waiting.
func runUnderMPI(_ work: (MPICommunicator) throws -> Void) throws {
    do {
        try Launcher.checkSlurmWiring(worldSize: nil)  // before MPI_Init, which would abort noisily
    } catch {
        Terminal.error("mnist-mpi: error: \(Messages.describe(error))")
        throw ExitCode(ExitStatus.failure)
    }
    let comm = MPICommunicator { failure in
        Terminal.error("mnist-mpi: rank \(failure.rank): \(failure.call) failed with MPI error \(failure.code)")
    }
    do {
        try work(comm)
    } catch {
        if comm.isRoot { Terminal.error("mnist-mpi: error: \(Messages.describe(error))") }
        comm.finalize()
        throw ExitCode(ExitStatus.of(error))
    }
    comm.finalize()
}

/// Runs `work` on rank 0 while the other ranks wait for its outcome: the commands that use a
/// trained model are quick and need no parallelism.
func runOnRankZero(_ work: () throws -> Void) throws {
    try runUnderMPI { comm in _ = try comm.onRoot(work) }
}
