import Foundation
import TestSupport
import Testing

/// Every input the fuzzers (scripts/fuzz.sh) found a crash with, committed under
/// Tests/fuzz/<target>/, replayed through the same target: each must now end cleanly.
struct FuzzRegressionTests {
    @Test func committedCrashInputsNoLongerCrash() throws {
        let root = "\(Fixtures.repo)/Tests/fuzz"
        let targets = try FileManager.default.contentsOfDirectory(atPath: root).sorted().filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isDirectory) && isDirectory.boolValue
        }
        #expect(!targets.isEmpty)
        for target in targets {
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(target)").sorted().map { "\(root)/\(target)/\($0)" }
            let out = try Fixtures.run(
                "\(Fixtures.repo)/.build/release/mnist-mpi-fuzz", [target] + files, timeout: 60,
                environment: ["SWIFT_BACKTRACE": "enable=no"])
            #expect(out.status == 0, "\(target): \(out.stderr)")
            #expect(out.stdout.split(separator: "\n").count == files.count, "\(out.stdout)")
        }
    }
}
