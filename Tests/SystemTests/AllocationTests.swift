import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// The training step allocates nothing: buffers are made once and reused. Measured by counting
/// the trainer process's heap allocations (Tests/tools/malloc_count.c, preloaded; the `orted`
/// of MPI's singleton runtime, which it starts, is left out) in runs of 100 and 400 steps. An
/// allocation a step would add 300; the two runs' ends differ by a few (their last lines: 2
/// fewer in the longer run here, 2026-12-02).
struct AllocationTests {
    func mallocs(steps: Int, counter: String) throws -> Int {
        let out = try Fixtures.run(
            Fixtures.releaseBinary,
            [
                "--data-dir", Fixtures.dataDirectory, "--max-steps", "\(steps)",
                "--threads", "1",
            ], environment: ["LD_PRELOAD": counter])
        #expect(out.status == 0, "\(out.stderr)")
        let line = out.stderr.split(separator: "\n").last { $0.hasPrefix("mallocs ") }
        return try #require(line.flatMap { Int($0.dropFirst("mallocs ".count)) }, "\(out.stderr)")
    }

    @Test func extraStepsAllocateNothing() throws {
        let counter = Fixtures.temporaryDirectory() + "/malloc_count.so"
        let build = try Fixtures.run(
            "/usr/bin/env",
            [
                "cc", "-shared", "-fPIC", "-O2", "-o", counter,
                "\(Fixtures.repo)/Tests/tools/malloc_count.c", "-ldl",
            ])
        try #require(build.status == 0, "\(build.stderr)")
        let short = try mallocs(steps: 100, counter: counter), long = try mallocs(steps: 400, counter: counter)
        #expect(short > 1000)  // the counter works: start-up allocates plenty
        #expect(abs(long - short) <= 10, "\(long - short) allocations in 300 extra steps")
    }
}
