import Foundation
import MNISTMPI

/// Paths and builders shared by the tests.
public enum Fixtures {
    /// The repository's root (this file is Tests/TestSupport/Fixtures.swift).
    public static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Real MNIST: $MNIST_DATA_DIR, else data/ (filled by scripts/get-data.sh).
    public static var dataDirectory: String {
        ProcessInfo.processInfo.environment["MNIST_DATA_DIR"] ?? "\(repo)/data"
    }

    public static var releaseBinary: String { "\(repo)/.build/release/mnist-mpi" }

    /// An IDX file: magic for `dims` dimensions of uint8, the header, then `payload`.
    public static func idx(shape: [Int], payload: [UInt8], magic: [UInt8]? = nil) -> [UInt8] {
        var bytes = magic ?? [0, 0, 8, UInt8(shape.count)]
        for d in shape { bytes += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return bytes + payload
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "mnist-mpi-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Gzip via the system's gzip, an implementation independent of ours.
    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let dir = temporaryDirectory()
        let path = dir + "/f"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        _ = try run("/bin/gzip", ["-n", "-f", path])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    public struct Output {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var seconds: Double
    }

    /// Runs a program to completion (killing it after `timeout` seconds).
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], timeout: Double = 600,
        environment: [String: String] = [:]
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let dir = temporaryDirectory()
        let out = URL(fileURLWithPath: dir + "/stdout"), err = URL(fileURLWithPath: dir + "/stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        while process.isRunning {
            let elapsed = Date().timeIntervalSince(start)
            if elapsed > timeout {
                kill(process.processIdentifier, SIGKILL)
            }
            // Foundation sees a child exit only when every descendant holding its inherited
            // descriptors has too; never wait forever on that.
            if elapsed > timeout + 10 {
                return Output(status: -1, stdout: "", stderr: "\(executable) did not finish within \(timeout) s", seconds: elapsed)
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
            seconds: Date().timeIntervalSince(start))
    }

    /// Starts `mpirun -np N <release binary> args` without waiting; output goes to files in `dir`.
    public static func launch(_ np: Int, _ arguments: [String], dir: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        process.arguments = ["-np", "\(np)", "--oversubscribe", releaseBinary] + arguments
        var env = ProcessInfo.processInfo.environment
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        process.environment = env
        _ = FileManager.default.createFile(atPath: dir + "/stdout", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/stderr", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stderr"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits for `process`, killing it after `timeout` seconds; returns (status, seconds waited).
    public static func wait(_ process: Process, timeout: Double) -> (status: Int32, seconds: Double) {
        let start = Date()
        while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    /// The pid of MPI rank `rank` of a job whose command line contains `token`, once it runs.
    public static func pid(ofRank rank: Int, commandContaining token: String, timeout: Double = 30) -> pid_t? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(entry),
                    let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                    let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
                else { continue }
                let command = String(decoding: cmd, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
                let environment = String(decoding: env, as: UTF8.self).split(separator: "\0")
                if command.hasPrefix(releaseBinary), command.contains(token),
                    environment.contains("OMPI_COMM_WORLD_RANK=\(rank)"[...])
                {
                    return pid
                }
            }
            usleep(50_000)
        }
        return nil
    }

    /// Waits until `path` exists.
    public static func waitFor(_ path: String, timeout: Double = 60) -> Bool {
        let start = Date()
        while !FileManager.default.fileExists(atPath: path) {
            if Date().timeIntervalSince(start) > timeout { return false }
            usleep(20_000)
        }
        return true
    }

    /// Waits until the file at `path` contains `text`.
    public static func waitFor(text: String, in path: String, timeout: Double = 60) -> Bool {
        let start = Date()
        while !Fixtures.text(path).contains(text) {
            if Date().timeIntervalSince(start) > timeout { return false }
            usleep(20_000)
        }
        return true
    }

    public static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// `mpirun -np N --oversubscribe <release binary> args`.
    public static func mpirun(_ np: Int, _ arguments: [String], timeout: Double = 600) throws -> Output {
        try run("/usr/bin/mpirun", ["-np", "\(np)", "--oversubscribe", releaseBinary] + arguments, timeout: timeout)
    }
}

/// How many elements of two arrays differ (and how many one has more): compare whole models
/// with `#expect(differing(a, b) == 0)`, as a failed `#expect(a == b)` on arrays this long
/// spends minutes rendering their difference.
public func differing<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    zip(a, b).filter { $0 != $1 }.count + abs(a.count - b.count)
}
