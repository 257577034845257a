import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// FileIO against what Foundation's FileManager says of the same directories and files.
struct FileIOTests {
    @Test func createsDirectoriesAsMkdirP() throws {
        let root = Fixtures.temporaryDirectory()
        try FileIO.createDirectories("\(root)/a/b//c/")
        try FileIO.createDirectories("\(root)/a/b")  // exists: fine
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: "\(root)/a/b/c", isDirectory: &isDirectory) && isDirectory.boolValue)
        try FileIO.writeAtomically([1], to: "\(root)/file")
        #expect(throws: FileError(file: "\(root)/file", reason: "exists and is not a directory")) {
            try FileIO.createDirectories("\(root)/file")
        }
        #expect(throws: FileError.self) { try FileIO.createDirectories("\(root)/file/below") }
    }

    @Test func listsTheNamesInADirectory() throws {
        let root = Fixtures.temporaryDirectory()
        for name in ["x", "y.safetensors", "ümlaut"] { try FileIO.writeAtomically([], to: "\(root)/\(name)") }
        try FileIO.createDirectories("\(root)/sub")
        #expect(try Set(FileIO.names(in: root)) == Set(FileManager.default.contentsOfDirectory(atPath: root)))
        #expect(try Set(FileIO.names(in: root)) == ["x", "y.safetensors", "ümlaut", "sub"])
        #expect(throws: FileError.self) { try FileIO.names(in: "\(root)/missing") }
    }

    /// /proc files say they are empty; they are read to their end.
    @Test func readsProcFiles() throws {
        let status = String(decoding: try FileIO.read("/proc/self/status"), as: UTF8.self)
        #expect(status.contains("VmHWM:") && status.contains("Pid:\t\(getpid())"))
    }
}
