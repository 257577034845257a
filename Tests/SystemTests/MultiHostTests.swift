import Foundation
import Testing
@testable import MNISTMPI
import TestSupport

/// Two test hosts made of network namespaces joined by a veth pair (scripts/netns), OpenMPI
/// launched across them with a launch agent that enters the namespace, TCP between them.
/// Needs root, as CI has.
@Suite(.serialized) struct MultiHostTests {
    static let scripts = "\(Fixtures.repo)/scripts/netns"

    init() throws {
        let up = try Fixtures.run("\(Self.scripts)/hosts.sh", ["up"], timeout: 30)
        try #require(up.status == 0, "cannot make the test hosts (root and iproute2 needed): \(up.stderr)")
    }

    func acrossHosts(_ arguments: [String], dir: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(Self.scripts)/mpirun.sh")
        process.arguments = ["-np", "2", Fixtures.releaseBinary, "--data-dir", Fixtures.dataDirectory] + arguments
        FileManager.default.createFile(atPath: dir + "/stdout", contents: nil)
        FileManager.default.createFile(atPath: dir + "/stderr", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stderr"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func trainingAcrossHostsEqualsLocalRanks() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let flags = ["--no-shuffle", "--max-steps", "30", "--save"]
        let remote = try acrossHosts(flags + ["\(dir)/hosts.safetensors"], dir: dir)
        let (status, _) = Fixtures.wait(remote, timeout: 120)
        #expect(status == 0, "\(Fixtures.text(dir + "/stderr"))")
        let local = try Fixtures.mpirun(2, ["--data-dir", Fixtures.dataDirectory] + flags + ["\(dir)/local.safetensors"])
        #expect(local.status == 0)
        // Two ranks: each gradient element is a + b whichever way it travels, so the bits agree.
        #expect(try ModelFile.load("\(dir)/hosts.safetensors", Architecture()).array
                == ModelFile.load("\(dir)/local.safetensors", Architecture()).array)
    }

    /// Ranks on two hosts share no memory: `--reduction shared-memory` is one clear error.
    @Test func sharedMemoryNeedsOneNode() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let job = try acrossHosts(["--max-steps", "5", "--reduction", "shared-memory"], dir: dir)
        let (status, _) = Fixtures.wait(job, timeout: 120)
        #expect(status == 1)
        #expect(Fixtures.text(dir + "/stderr").contains("mnist-mpi: error: --reduction shared-memory needs every rank on one node, and these ranks span several: use --reduction hierarchical, allreduce or sharded"),
                "\(Fixtures.text(dir + "/stderr"))")
    }

    @Test func cuttingAHostsLinkEndsTheJobWithinAMinute() throws {
        defer { _ = try? Fixtures.run("\(Self.scripts)/hosts.sh", ["down"]) }
        let dir = Fixtures.temporaryDirectory()
        let ck = "\(dir)/ck"
        let job = try acrossHosts(["--epochs", "50", "--checkpoint-every", "20", "--checkpoint-dir", ck], dir: dir)
        try #require(Fixtures.waitFor(CheckpointStore(directory: ck).path(step: 20), timeout: 60),
                     "no first checkpoint: \(Fixtures.text(dir + "/stderr"))")
        _ = try Fixtures.run("\(Self.scripts)/hosts.sh", ["cut", "h2"])
        let (status, seconds) = Fixtures.wait(job, timeout: 120)
        #expect(status != 0)
        #expect(seconds < 60)
        let stderr = Fixtures.text(dir + "/stderr")
        #expect(stderr.contains("ORTE has lost communication with a remote daemon") || stderr.contains("no answer from the other ranks"),
                "\(stderr)")
        // The last complete checkpoint is intact.
        let newest = try #require(try CheckpointStore(directory: ck).steps().first)
        let checkpoint = try Checkpoint.decode(FileIO.read(CheckpointStore(directory: ck).path(step: newest)),
                                               name: "ck", architecture: Architecture())
        #expect(checkpoint.position.step == newest)
        // No process of the job survives on either host.
        usleep(500_000)
        #expect(Fixtures.pid(ofRank: 1, commandContaining: ck, timeout: 0.1) == nil)
        #expect(Fixtures.pid(ofRank: 0, commandContaining: ck, timeout: 0.1) == nil)
    }
}
