import ArgumentParser
import CSystem
import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

@main
struct MNISTMPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist-mpi",
        abstract: "Train the Keras MNIST tutorial's 784-512-10 classifier, data-parallel over MPI ranks.",
        discussion: """
            Run it alone (one process) or under OpenMPI: `mpirun -np 4 mnist-mpi`. Every rank trains \
            on its shard of each global batch; gradients are summed every step (in memory the ranks \
            share on one node; across nodes, each node's sum over the network) and every rank takes \
            the same RMSprop step.
            """,
        subcommands: [Train.self, Evaluate.self, Predict.self, Show.self, Export.self, Plan.self],
        defaultSubcommand: Train.self
    )

    /// Parses and runs; usage errors are printed by rank 0 only, every rank exits with the same code.
    static func main() {
        // Buffers of a MiB or more straight from mmap, returned to the system when freed. By
        // default glibc raises this threshold to the largest buffer freed so far (the gzip input),
        // after which the data-loading temporaries stay in the heap, resident: 4-5 MB a process.
        mallopt(M_MMAP_THRESHOLD, 1 << 20)
        // OpenBLAS chose its kernels as it loaded; where it fell back to slow ones, start again
        // with better ones named (before MPI_Init: the process is not part of a job yet).
        if getenv("OPENBLAS_CORETYPE") == nil, let core = BLAS.betterCoreType {
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)  // returns only if it failed: go on as we are
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if (Launcher.current.rank ?? 0) == 0 {
                // --help and the like to standard output; an error in one write to standard
                // error, so that mpirun's own lines about a rank's exit cannot land inside it.
                guard code != .success else { exit(withError: error) }
                Terminal.error(fullMessage(for: error))
            }
            Glibc.exit(code.rawValue)
        }
    }
}
