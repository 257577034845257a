import CSystem

#if canImport(Glibc)
    import Glibc
#endif

/// What the launcher (OpenMPI's `mpirun`, or Slurm) tells a process through its environment,
/// readable before `MPI_Init`.
public struct Launcher: Sendable {
    /// The value of an environment variable.
    let variable: @Sendable (String) -> String?

    /// The launcher of this process, from its environment.
    public static let current = Launcher { getenv($0).map { String(cString: $0) } }

    /// A launcher that set exactly these variables.
    public init(environment: [String: String]) { variable = { environment[$0] } }

    private init(variable: @escaping @Sendable (String) -> String?) { self.variable = variable }

    private func integer(_ name: String) -> Int? { variable(name).flatMap { Int($0) } }

    /// This process's rank in the job, if a launcher started it.
    public var rank: Int? { integer("OMPI_COMM_WORLD_RANK") ?? integer("PMIX_RANK") ?? integer("PMI_RANK") }

    /// Ranks of this job on this node: mpirun's count, or under `srun` this node's entry of the
    /// step's tasks per node.
    public var localRankCount: Int? {
        if let count = integer("OMPI_COMM_WORLD_LOCAL_SIZE") ?? integer("MPI_LOCALNRANKS") { return count }
        guard let node = integer("SLURM_NODEID"), let perNode = variable("SLURM_STEP_TASKS_PER_NODE").flatMap(Self.tasksPerNode),
            perNode.indices.contains(node)
        else { return nil }
        return perNode[node]
    }

    /// Slurm's tasks on each node, from its compressed form: "2(x3),1" is [2, 2, 2, 1].
    static func tasksPerNode(_ text: String) -> [Int]? {
        var nodes: [Int] = []
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "(")
            guard let tasks = Int(parts[0]) else { return nil }
            var repeats = 1
            if parts.count == 2 {
                guard parts[1].hasPrefix("x"), parts[1].hasSuffix(")"), let n = Int(parts[1].dropFirst().dropLast()), n > 0,
                    n <= 1 << 20
                else { return nil }
                repeats = n
            } else if parts.count > 2 {
                return nil
            }
            nodes += Array(repeating: tasks, count: repeats)
        }
        return nodes.isEmpty ? nil : nodes
    }

    /// Fails when `srun` started this process as one of several tasks without wiring MPI to
    /// Slurm: every task would train alone, each believing it is rank 0 of 1. Before MPI_Init
    /// (`worldSize` nil) that shows as no PMIx/PMI variables in the environment; after, as a
    /// world of 1. mpirun's processes carry OMPI_COMM_WORLD_SIZE, and a batch script's own step
    /// has no SLURM_STEP_NUM_TASKS, so neither is affected.
    public func checkSlurmWiring(worldSize: Int?) throws {
        guard variable("OMPI_COMM_WORLD_SIZE") == nil, let tasks = integer("SLURM_STEP_NUM_TASKS"), tasks > 1 else { return }
        let wired = variable("PMIX_RANK") != nil || variable("PMI_RANK") != nil
        if worldSize.map({ $0 == 1 }) ?? !wired {
            throw LaunchError.slurmWithoutPMI(tasks: tasks)
        }
    }

    /// This node's ranks and the cores this rank may run on, when the ranks outnumber the cores
    /// and OpenMPI does not know it: mpirun makes waiting ranks yield their core by itself when
    /// it oversubscribes, and binds ranks to cores of their own, but with `--bind-to none` in a
    /// narrower affinity (taskset, a cpuset) its ranks busy-poll while the rank they wait for
    /// needs the core. Nil when the user set `mpi_yield_when_idle` either way.
    public func oversubscriptionUnknownToMPI(usable: Int = usableCores) -> (ranks: Int, cores: Int)? {
        guard variable("OMPI_MCA_mpi_yield_when_idle") == nil, variable("OMPI_MCA_mpi_oversubscribe") != "1",
            variable("OMPI_MCA_orte_bound_at_launch") != "1", let ranks = localRankCount, ranks > usable
        else { return nil }
        return (ranks, usable)
    }

    /// Cores this process may run on (its affinity mask, which mpirun narrows when it binds).
    public static var usableCores: Int {
        let n = Int(csystem_usable_cpus())
        return n > 0 ? n : onlineCores
    }

    /// Cores on this node.
    public static var onlineCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// BLAS threads per rank so that ranks x threads = cores on the node, within this rank's
    /// affinity (`usable` cores of the node's `online`).
    public static func defaultThreads(localRanks: Int, usable: Int = usableCores, online: Int = onlineCores) -> Int {
        max(1, min(usable, online / max(localRanks, 1)))
    }
}

/// The processes were started in a way that cannot make one MPI job.
public enum LaunchError: Error, Equatable {
    /// Slurm started `tasks` tasks without wiring MPI to it: each sees a world of one.
    case slurmWithoutPMI(tasks: Int)
}
