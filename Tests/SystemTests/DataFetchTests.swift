import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// scripts/get-data.sh against HTTP servers on 127.0.0.1: a good one, one serving a tampered
/// file, one that stalls and one that drops the connection.
@Suite(.serialized) struct DataFetchTests {
    static let files = DatasetSpec.standardFiles

    /// A Python HTTP server on a free loopback port, serving `directory` (or misbehaving).
    final class Server {
        let process = Process()
        let port: Int

        init(directory: String, mode: String = "serve") throws {
            let script = """
                import http.server, socketserver, sys, time, functools
                mode, root = sys.argv[1], sys.argv[2]
                class Handler(http.server.SimpleHTTPRequestHandler):
                    def log_message(self, *args): pass
                    def do_GET(self):
                        if mode == "serve":
                            return super().do_GET()
                        self.send_response(200)
                        self.send_header("Content-Length", "10000000")
                        self.end_headers()
                        self.wfile.write(b"\\x1f\\x8b" + b"\\0" * 100)
                        self.wfile.flush()
                        if mode == "stall":
                            time.sleep(120)
                        # "drop": close with most of the promised body missing
                server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
                server.daemon_threads = True
                with open(sys.argv[3] + ".tmp", "w") as f:
                    f.write(str(server.server_address[1]))
                import os; os.rename(sys.argv[3] + ".tmp", sys.argv[3])
                server.serve_forever()
                """
            let portFile = Fixtures.temporaryDirectory() + "/port"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, mode, directory, portFile]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            guard Fixtures.waitFor(portFile, timeout: 30), let port = Int(Fixtures.text(portFile)) else {
                throw FileError(file: portFile, reason: "the test HTTP server did not start")
            }
            self.port = port
        }

        var url: String { "http://127.0.0.1:\(port)" }

        /// SIGKILL: the test runner's threads block SIGTERM, and a child inherits that mask.
        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    func fetch(from server: Server, into target: String, timeout: Int = 20) throws -> Fixtures.Output {
        try Fixtures.run(
            "\(Fixtures.repo)/scripts/get-data.sh", [target], timeout: 120,
            environment: [
                "MNIST_MIRROR": server.url, "MNIST_NO_FALLBACK": "1",
                "MNIST_FETCH_TIMEOUT": "\(timeout)",
            ])
    }

    /// A directory serving the real .gz files (copies from data/).
    func mirror() throws -> String {
        let dir = Fixtures.temporaryDirectory()
        for name in Self.files {
            try FileManager.default.copyItem(atPath: "\(Fixtures.dataDirectory)/\(name).gz", toPath: "\(dir)/\(name).gz")
        }
        return dir
    }

    @Test func goodFilesLandVerified() throws {
        let server = try Server(directory: try mirror())
        let target = Fixtures.temporaryDirectory()
        let out = try fetch(from: server, into: target)
        #expect(out.status == 0, "\(out.stderr)")
        for name in Self.files {
            #expect(out.stdout.contains("get-data: \(name).gz from \(server.url) (checksum ok)"))
        }
        let data = try Dataset.load(.mnist, from: target)
        #expect(data.train.count == 60_000)
    }

    @Test func tamperedFileIsRejectedAndNotKept() throws {
        let dir = try mirror()
        // A valid gzip of the right size whose content is not the official file.
        var labels = try Gzip.inflate(FileIO.read("\(dir)/t10k-labels-idx1-ubyte.gz"), name: "l")
        labels[100] = labels[100] == 0 ? 1 : 0
        try Data(Fixtures.gzip(labels)).write(to: URL(fileURLWithPath: "\(dir)/t10k-labels-idx1-ubyte.gz"))
        let server = try Server(directory: dir)
        let target = Fixtures.temporaryDirectory()
        let out = try fetch(from: server, into: target)
        #expect(out.status == 1)
        #expect(out.stderr.contains("t10k-labels-idx1-ubyte.gz does not match the official checksum"))
        #expect(out.stderr.contains("could not get t10k-labels-idx1-ubyte.gz"))
        #expect(!FileManager.default.fileExists(atPath: "\(target)/t10k-labels-idx1-ubyte.gz"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).allSatisfy { !$0.hasPrefix(".download") })
    }

    @Test(arguments: ["stall", "drop"])
    func misbehavingServerFailsInBoundedTime(mode: String) throws {
        let server = try Server(directory: Fixtures.temporaryDirectory(), mode: mode)
        let target = Fixtures.temporaryDirectory()
        let out = try fetch(from: server, into: target, timeout: 5)
        #expect(out.status == 1)
        #expect(out.seconds < 30)
        #expect(out.stderr.contains("download failed (curl exit"))
        #expect(out.stderr.contains("put the four MNIST .gz files in a directory and run: MNIST_MIRROR=/that/dir"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
    }
}
