import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// What the launcher (OpenMPI's `mpirun`, or Slurm) tells a process through its environment,
/// readable before `MPI_Init`.
public enum Launcher {
    static func integer(_ name: String) -> Int? {
        getenv(name).flatMap { Int(String(cString: $0)) }
    }

    /// This process's rank in the job, if a launcher started it.
    public static var rank: Int? { integer("OMPI_COMM_WORLD_RANK") ?? integer("PMIX_RANK") ?? integer("PMI_RANK") }

    /// Ranks of this job on this node.
    public static var localRankCount: Int? { integer("OMPI_COMM_WORLD_LOCAL_SIZE") ?? integer("MPI_LOCALNRANKS") }

    /// Tasks Slurm was asked for, when running inside a Slurm step.
    public static var slurmTasks: Int? { integer("SLURM_STEP_NUM_TASKS") ?? integer("SLURM_NTASKS") }

    /// Cores this process may run on (its affinity mask, which mpirun narrows when it binds).
    public static var usableCores: Int {
        let n = Int(csystem_usable_cpus())
        return n > 0 ? n : onlineCores
    }

    /// Cores on this node.
    public static var onlineCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// BLAS threads per rank so that ranks x threads = cores on the node, within this rank's affinity.
    public static func defaultThreads(localRanks: Int) -> Int {
        max(1, min(usableCores, onlineCores / max(localRanks, 1)))
    }
}
