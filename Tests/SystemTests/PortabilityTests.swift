import Foundation
import TestSupport
import Testing

/// The release binary runs on a node without the Swift toolchain, and the C kernels build for
/// aarch64 (Debian's cross compiler), where only the portable variant exists, and it is the one
/// `kernels_select` hands out.
@Suite struct PortabilityTests {
    /// `swift build -c release` links the Swift runtime and Foundation into the binary: `ldd`
    /// resolves every library to the system's directories, and the binary trains, alone and
    /// under mpirun, in a mount namespace where the toolchain's library directory is an empty
    /// tmpfs (a compute node without Swift).
    @Test func releaseBinaryRunsWithoutTheToolchain() throws {
        let ldd = try Fixtures.run("/usr/bin/ldd", [Fixtures.releaseBinary])
        #expect(ldd.status == 0, "\(ldd.stderr)")
        let libraries = ldd.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(libraries.count > 5, "\(ldd.stdout)")
        for library in libraries where !library.hasPrefix("linux-vdso") {
            // "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
            let path = library.components(separatedBy: "=> ").last?.split(separator: " ").first.map(String.init) ?? ""
            #expect(["/lib/", "/lib64/", "/usr/lib/"].contains { path.hasPrefix($0) } && !path.contains("swift"), "\(library)")
        }
        let swift = try Fixtures.run("/usr/bin/sh", ["-c", "readlink -f \"$(command -v swiftc)\""]).stdout
        let toolchainLibraries = URL(fileURLWithPath: swift.trimmingCharacters(in: .whitespacesAndNewlines))
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib/swift/linux").path
        try #require(FileManager.default.fileExists(atPath: "\(toolchainLibraries)/libswiftCore.so"), "\(toolchainLibraries)")
        let train = "\(Fixtures.releaseBinary) --data-dir \(Fixtures.dataDirectory) --max-steps 5 --epochs 1"
        let hidden = try Fixtures.run(
            "/usr/bin/unshare",
            [
                "--mount", "--propagation", "private", "/bin/sh", "-c",
                """
                mount -t tmpfs tmpfs \(toolchainLibraries) && test ! -e \(toolchainLibraries)/libswiftCore.so \
                && \(train) && mpirun -np 2 --oversubscribe --allow-run-as-root \(train)
                """,
            ], timeout: 300)
        #expect(hidden.status == 0, "\(hidden.stdout)\(hidden.stderr)")
        #expect(hidden.stdout.components(separatedBy: "Test accuracy: ").count == 3, "\(hidden.stdout)")
    }

    @Test(arguments: ["kernels", "product", "bfloat16", "inputs"])
    func kernelsCompileForAarch64(file: String) throws {
        let object = Fixtures.temporaryDirectory() + "/\(file).o"
        let out = try Fixtures.run(
            "/usr/bin/aarch64-linux-gnu-gcc",
            [
                "-O3", "-fno-math-errno", "-ffp-contract=off", "-std=gnu11", "-Wall", "-Werror", "-c",
                "\(Fixtures.repo)/Sources/CKernels/\(file).c", "-I", "\(Fixtures.repo)/Sources/CKernels/include",
                "-Wno-unknown-pragmas", "-o", object,
            ])
        #expect(out.status == 0, "\(out.stderr)")
        let symbols = try Fixtures.run("/usr/bin/aarch64-linux-gnu-nm", [object]).stdout
        if file == "kernels" {
            #expect(symbols.contains("kernels_portable") && !symbols.contains("kernels_avx2"), "\(symbols)")
        } else if file == "product" {
            // fmaf is one instruction there (fmadd), not a library call.
            #expect(symbols.contains("product_portable") && !symbols.contains("fmaf"), "\(symbols)")
        } else if file == "bfloat16" {
            #expect(symbols.contains("bf16_products_supported"), "no bfloat16 products there, and it says so: \(symbols)")
        } else {
            #expect(symbols.contains("lit_columns") && symbols.contains("clear_dark_rows"), "\(symbols)")
        }
        let header = try Fixtures.run("/usr/bin/aarch64-linux-gnu-readelf", ["-h", object])
        #expect(header.stdout.contains("AArch64"))
    }
}
