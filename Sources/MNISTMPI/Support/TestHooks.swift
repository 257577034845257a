import CMPI

#if canImport(Glibc)
    import Glibc
#endif

/// Faults the system tests inject into the release binary, read once from the environment.
/// Test-only: no user needs them, and the user documents do not name them.
public enum TestHooks {
    /// `MNIST_MPI_TEST_MPI_ERROR=<rank>`: that rank's first MPI call after `MPI_Init` fails.
    static let failingRank: Int? = variable("MNIST_MPI_TEST_MPI_ERROR").flatMap { Int($0) }
    /// `MNIST_MPI_TEST_FREEZE=<phase>@<rank>`: that rank stops itself (SIGSTOP) on entering the
    /// phase, as a frozen or unreachable peer would look to the others.
    static let freezing: String? = variable("MNIST_MPI_TEST_FREEZE")

    private static func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// Makes this rank's next MPI call fail, if the tests asked for it.
    public static func afterMPIInit(_ comm: MPICommunicator) {
        if failingRank == comm.rank { comm.failACall() }
    }

    /// Stops this rank on entering `phase`, if the tests asked for it.
    public static func entering(_ phase: String, rank: Int) {
        if freezing == "\(phase)@\(rank)" { raise(SIGSTOP) }
    }
}

extension MPICommunicator {
    /// A call MPI refuses (a send to a rank that does not exist): an MPI error ends the job
    /// through `check` as a real one would.
    fileprivate func failACall() {
        var byte: UInt8 = 0
        check(MPI_Send(&byte, 1, cmpi_byte(), Int32(size + 7), 0, handle.value), "MPI_Send")
    }
}
