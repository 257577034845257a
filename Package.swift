// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mnist-mpi",
    products: [
        .executable(name: "mnist-mpi", targets: ["mnist-mpi"]),
        .library(name: "MNISTMPI", targets: ["MNISTMPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // System libraries from Debian: libopenmpi-dev, libopenblas-dev, zlib1g-dev, libssl-dev.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Debian's HDF5 (libhdf5-dev), loaded at run time when first used; reads of untrusted
        // files in a forked child that runs only C.
        .target(name: "CHDF5"),
        // Async-signal-safe SIGTERM/SIGINT handling (sigaction, volatile sig_atomic_t).
        .target(name: "CStopSignal"),
        // Linux calls Swift's Glibc module lacks (CPU affinity, mallopt) and a futex barrier.
        .target(name: "CSystem"),
        // The element-wise kernels, one variant per instruction set, chosen at run time.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-mprefer-vector-width=512"])]),
        .target(
            name: "MNISTMPI",
            dependencies: [
                "CMPI", "CBLAS", "CZlib", "CCrypto", "CHDF5", "CSystem", "CKernels",
            ]
        ),
        // The release binary carries the Swift runtime and Foundation (what `swift build
        // --static-swift-stdlib` does, plus the two archives FoundationEssentials needs), so a
        // compute node without the toolchain runs it: ldd lists only Debian's libraries.
        .executableTarget(
            name: "mnist-mpi",
            dependencies: [
                "MNISTMPI", "CStopSignal", "CSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: [
                .unsafeFlags(
                    ["-static-stdlib", "-l_FoundationCShims", "-l_FoundationCollections"],
                    .when(platforms: [.linux], configuration: .release))
            ]
        ),
        // Paths, fixtures and process helpers shared by the two test targets.
        .target(name: "TestSupport", dependencies: ["MNISTMPI"], path: "Tests/TestSupport"),
        // Fast in-process tests, mirroring the library's folders: no mpirun, network or Python.
        // The file parsers as libFuzzer targets (scripts/fuzz.sh), or a replayer of inputs.
        .executableTarget(name: "mnist-mpi-fuzz", dependencies: ["MNISTMPI"]),
        .testTarget(name: "MNISTMPITests", dependencies: ["MNISTMPI", "TestSupport"]),
        // The release binary under mpirun, Slurm, network namespaces and Python's tools.
        .testTarget(name: "SystemTests", dependencies: ["MNISTMPI", "TestSupport"]),
    ]
)
