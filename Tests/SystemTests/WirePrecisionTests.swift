import Foundation
import TestSupport
import Testing

/// `--wire-precision` is refused where it would do nothing, and recorded where it runs.
@Suite struct WirePrecisionTests {
    @Test(arguments: [["--reduction", "allreduce"], ["--reduction", "sharded"], ["--reduction", "shared-memory"], ["--deterministic"]])
    func bfloat16NeedsAReductionAcrossNodes(flags: [String]) throws {
        let out = try Fixtures.run(Fixtures.releaseBinary, flags + ["--wire-precision", "bfloat16"])
        #expect(out.status == 64)
        #expect(
            out.stderr.contains(
                "--wire-precision bfloat16 applies to the reductions across nodes only (--reduction hierarchical, factored or auto)"),
            "\(out.stderr)")
    }

    @Test func recordedInTheHistory() throws {
        let dir = Fixtures.temporaryDirectory()
        let out = try Fixtures.mpirun(
            2,
            [
                "--data-dir", Fixtures.dataDirectory, "--max-steps", "3", "--wire-precision", "bfloat16",
                "--history", "\(dir)/h.json",
            ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(Fixtures.text("\(dir)/h.json").contains(#""wire_precision":"bfloat16""#))
    }
}
