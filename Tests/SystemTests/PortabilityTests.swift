import Foundation
import TestSupport
import Testing

/// The C kernels build for aarch64 (Debian's cross compiler), where only the portable variant
/// exists, and it is the one `kernels_select` hands out.
@Suite struct PortabilityTests {
    @Test func kernelsCompileForAarch64() throws {
        let object = Fixtures.temporaryDirectory() + "/kernels.o"
        let out = try Fixtures.run(
            "/usr/bin/aarch64-linux-gnu-gcc",
            [
                "-O3", "-fno-math-errno", "-ffp-contract=off", "-std=gnu11", "-Wall", "-Werror", "-c",
                "\(Fixtures.repo)/Sources/CKernels/kernels.c", "-I", "\(Fixtures.repo)/Sources/CKernels/include",
                "-Wno-unknown-pragmas", "-o", object,
            ])
        #expect(out.status == 0, "\(out.stderr)")
        let symbols = try Fixtures.run("/usr/bin/aarch64-linux-gnu-nm", [object])
        #expect(symbols.stdout.contains("kernels_portable") && !symbols.stdout.contains("kernels_avx2"), "\(symbols.stdout)")
        let header = try Fixtures.run("/usr/bin/aarch64-linux-gnu-readelf", ["-h", object])
        #expect(header.stdout.contains("AArch64"))
    }
}
