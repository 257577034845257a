import ArgumentParser
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
            on its shard of each global batch; gradients are summed with one MPI_Allreduce per step.
            """,
        subcommands: [Train.self, Evaluate.self, Predict.self, Show.self, Export.self],
        defaultSubcommand: Train.self
    )

    /// Parses and runs; usage errors are printed by rank 0 only, every rank exits with the same code.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if (Launcher.rank ?? 0) == 0 { exit(withError: error) }
            Glibc.exit(exitCode(for: error).rawValue)
        }
    }
}
