import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// What a launcher's environment says, with the variables mpirun (OpenMPI 4), PMIx, PMI and
/// Slurm set.
struct LauncherTests {
    @Test func rankComesFromOpenMPIThenPMIxThenPMI() {
        #expect(Launcher(environment: [:]).rank == nil)
        #expect(Launcher(environment: ["PMI_RANK": "3"]).rank == 3)
        #expect(Launcher(environment: ["PMI_RANK": "3", "PMIX_RANK": "2"]).rank == 2)
        #expect(Launcher(environment: ["PMI_RANK": "3", "PMIX_RANK": "2", "OMPI_COMM_WORLD_RANK": "1"]).rank == 1)
        #expect(Launcher(environment: ["OMPI_COMM_WORLD_RANK": "one"]).rank == nil)
        #expect(Launcher(environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "4", "MPI_LOCALNRANKS": "2"]).localRankCount == 4)
        #expect(Launcher(environment: ["MPI_LOCALNRANKS": "2"]).localRankCount == 2)
    }

    /// Under srun (no mpirun variables) a node's ranks are its entry of the step's tasks per
    /// node, which Slurm writes compressed; a malformed list is no answer.
    @Test func localRanksUnderSrunComeFromSlurmsTasksPerNode() {
        let step = { (list: String, node: String) in
            Launcher(environment: ["SLURM_STEP_TASKS_PER_NODE": list, "SLURM_NODEID": node]).localRankCount
        }
        #expect(step("2(x3),1", "0") == 2 && step("2(x3),1", "2") == 2 && step("2(x3),1", "3") == 1)
        #expect(step("4", "0") == 4 && step("4", "1") == nil)
        #expect(step("2(x", "0") == nil && step("x(2)", "0") == nil && step("2(y3)", "0") == nil && step("", "0") == nil)
        #expect(Launcher.tasksPerNode("3,1(x2)") == [3, 1, 1])
        let both = ["OMPI_COMM_WORLD_LOCAL_SIZE": "4", "SLURM_STEP_TASKS_PER_NODE": "2(x2)", "SLURM_NODEID": "0"]
        #expect(Launcher(environment: both).localRankCount == 4, "mpirun's count first")
    }

    /// srun without PMI: refused before MPI_Init (no PMI variables) and after (a world of one);
    /// mpirun's processes, a batch script's own step and wired srun tasks pass.
    @Test func slurmTasksWithoutMPIWiringAreRefused() throws {
        let srun = ["SLURM_STEP_NUM_TASKS": "4"]
        #expect(throws: LaunchError.slurmWithoutPMI(tasks: 4)) { try Launcher(environment: srun).checkSlurmWiring(worldSize: nil) }
        #expect(throws: LaunchError.slurmWithoutPMI(tasks: 4)) { try Launcher(environment: srun).checkSlurmWiring(worldSize: 1) }
        let wired = srun.merging(["PMIX_RANK": "0"]) { $1 }
        try Launcher(environment: wired).checkSlurmWiring(worldSize: nil)
        try Launcher(environment: wired).checkSlurmWiring(worldSize: 4)
        try Launcher(environment: srun.merging(["OMPI_COMM_WORLD_SIZE": "4"]) { $1 }).checkSlurmWiring(worldSize: 1)
        try Launcher(environment: ["SLURM_STEP_NUM_TASKS": "1"]).checkSlurmWiring(worldSize: 1)
        try Launcher(environment: [:]).checkSlurmWiring(worldSize: 1)
    }

    /// Ranks outnumbering the cores they may use make waiting ranks yield, unless mpirun
    /// knows (it oversubscribes, or bound each rank to cores of its own) or the user chose.
    @Test func oversubscriptionMPIDoesNotKnowAbout() {
        let unbound = ["OMPI_COMM_WORLD_LOCAL_SIZE": "3", "OMPI_MCA_mpi_oversubscribe": "0"]
        #expect(Launcher(environment: unbound).oversubscriptionUnknownToMPI(usable: 1)! == (3, 1))
        #expect(Launcher(environment: unbound).oversubscriptionUnknownToMPI(usable: 3) == nil)
        for (name, value) in [
            ("OMPI_MCA_mpi_oversubscribe", "1"), ("OMPI_MCA_orte_bound_at_launch", "1"), ("OMPI_MCA_mpi_yield_when_idle", "0"),
        ] {
            #expect(Launcher(environment: unbound.merging([name: value]) { $1 }).oversubscriptionUnknownToMPI(usable: 1) == nil, "\(name)")
        }
        #expect(Launcher(environment: [:]).oversubscriptionUnknownToMPI(usable: 1) == nil)
    }

    /// Ranks x threads fill the node, never past a rank's own affinity, at least one each.
    @Test func defaultThreadsShareTheNode() {
        #expect(Launcher.defaultThreads(localRanks: 1, usable: 8, online: 8) == 8)
        #expect(Launcher.defaultThreads(localRanks: 4, usable: 8, online: 8) == 2)
        #expect(Launcher.defaultThreads(localRanks: 3, usable: 8, online: 8) == 2)
        #expect(Launcher.defaultThreads(localRanks: 1, usable: 1, online: 8) == 1)  // bound to one core
        #expect(Launcher.defaultThreads(localRanks: 16, usable: 8, online: 8) == 1)  // oversubscribed
        #expect(Launcher.defaultThreads(localRanks: 0, usable: 2, online: 2) == 2)
    }

    /// The core counts agree with coreutils' nproc (affinity) and getconf (online).
    @Test func coreCountsAgreeWithTheSystemTools() throws {
        let nproc = try Fixtures.run("/usr/bin/nproc", [])
        #expect(Int(nproc.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == Launcher.usableCores)
        let online = try Fixtures.run("/usr/bin/getconf", ["_NPROCESSORS_ONLN"])
        #expect(Int(online.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == Launcher.onlineCores)
        let bound = try Fixtures.run("/usr/bin/taskset", ["-c", "0", "/usr/bin/nproc"])
        #expect(bound.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}
