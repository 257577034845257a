import Foundation
import TestSupport
import Testing

/// MPI errors come back as return codes (MPI_ERRORS_RETURN) and end the job with our one line.
@Suite struct MPIErrorTests {
    @Test(arguments: [(1, 0), (2, 1), (2, 0)])
    func anMPIErrorEndsTheJobWithOneLine(ranks: Int, failing: Int) throws {
        let arguments = ["--data-dir", Fixtures.dataDirectory, "--max-steps", "5"]
        let environment = ["MNIST_MPI_TEST_MPI_ERROR": "\(failing)"]
        let out =
            ranks == 1
            ? try Fixtures.run(Fixtures.releaseBinary, arguments, timeout: 60, environment: environment)
            : try Fixtures.run(
                "/usr/bin/mpirun", ["-np", "\(ranks)", "-x", "MNIST_MPI_TEST_MPI_ERROR", Fixtures.releaseBinary] + arguments,
                timeout: 60, environment: environment)
        #expect(out.status == 1, "\(out.stderr)")
        #expect(
            out.stderr.contains(
                "mnist-mpi: error: rank \(failing): MPI_Send failed: MPI_ERR_RANK: invalid rank (MPI error 6); ending the job"),
            "\(out.stderr)")
        #expect(out.seconds < 30)
    }
}
