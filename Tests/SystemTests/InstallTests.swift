import Foundation
import TestSupport
import Testing

/// `scripts/train.sh`, the README's first command, installs what building and training need
/// and nothing only the tests use.
@Suite struct InstallTests {
    func packages(_ group: String) throws -> Set<String> {
        let out = try Fixtures.run("\(Fixtures.repo)/scripts/install-deps.sh", ["--list", group])
        #expect(out.status == 0, "\(out.stderr)")
        return Set(out.stdout.split(separator: "\n").map(String.init))
    }

    @Test func theUserInstallIsWhatTheBuildLinksAndNoTestPackage() throws {
        let build = try packages("build")
        // The Debian packages Package.swift's system libraries name as providers...
        let manifest = Fixtures.text("\(Fixtures.repo)/Package.swift")
        let providers = manifest.matches(of: /\.apt\(\["([^"]+)"\]\)/).map { String($0.1) }
        #expect(providers.count == 4, "\(providers)")
        // ... plus HDF5 (its headers for Sources/CHDF5, which loads the library at run time),
        // mpirun and the tool SwiftPM reads their flags with: exactly that.
        #expect(build == Set(providers + ["libhdf5-dev", "openmpi-bin", "pkg-config"]))
        let tests = try packages("tests")
        #expect(build.isDisjoint(with: tests), "\(build.intersection(tests))")
        // Named, not left to recommendations (install-deps installs none): the cross compiler's C headers.
        let named = [
            "slurm-wlm", "munge", "iproute2", "ethtool", "dataset-fashion-mnist", "gcc", "gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross",
        ]
        #expect(tests.isSuperset(of: named))

        let train = Fixtures.text("\(Fixtures.repo)/scripts/train.sh")
        #expect(train.contains("scripts/install-deps.sh build\n"))
        #expect(!train.contains("pip install") && !train.contains("requirements") && !train.contains("install-deps.sh build tests"))
        #expect(Fixtures.text("\(Fixtures.repo)/scripts/test.sh").contains("scripts/install-deps.sh build tests\n"))
    }
}
