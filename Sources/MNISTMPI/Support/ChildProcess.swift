#if canImport(Glibc)
import Glibc
#endif

/// Code this program cannot vouch for (a C library parsing a file an attacker may have made)
/// run in a forked child, so that a crash there becomes an error here instead of ending the job.
public enum ChildProcess {
    /// The child's thrown error, or how it ended without an answer.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Runs `body` in a child forked from this process and returns the bytes it returned. An
    /// error it throws comes back as a `Failure` with that error's description; a crash as a
    /// `Failure` naming the signal; a child still running after `timeout` seconds is killed and
    /// is a `Failure` too. The child only computes and writes to a pipe, then `_exit`s: no MPI,
    /// no exit handlers, no new threads.
    public static func run(timeout: Double = 60, _ body: () throws -> [UInt8]) throws -> [UInt8] {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "cannot create a pipe: \(String(cString: strerror(errno)))") }
        let pid = fork()
        guard pid >= 0 else {
            close(fds[0]); close(fds[1])
            throw Failure(description: "cannot fork: \(String(cString: strerror(errno)))")
        }
        if pid == 0 {
            close(fds[0])
            // A crash here ends the child quietly (not in Swift's backtracer, which would print a report).
            for crash in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] { signal(crash, SIG_DFL) }
            let answer: [UInt8]
            do { answer = [0] + (try body()) } catch { answer = [1] + Array("\(error)".utf8) }
            var done = 0
            while done < answer.count {
                let n = answer.withUnsafeBytes { write(fds[1], $0.baseAddress! + done, $0.count - done) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { _exit(2) }
                done += n
            }
            _exit(0)
        }
        close(fds[1])
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let deadline = monotonicSeconds() + timeout
        var timedOut = false
        while true {
            var ready = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let left = Int32(clamping: Int(max(0, deadline - monotonicSeconds()) * 1000))
            let polled = poll(&ready, 1, left)
            if polled < 0 && errno == EINTR { continue }
            if polled == 0 { timedOut = true; break }
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            answer += chunk[0..<n]
        }
        close(fds[0])
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { throw Failure(description: "did not finish within \(Int(timeout)) s") }
        let signal = status & 0x7f
        if signal != 0 { throw Failure(description: "crashed (signal \(signal))") }
        guard (status >> 8) & 0xff == 0, let kind = answer.first else { throw Failure(description: "ended without an answer") }
        let payload = Array(answer.dropFirst())
        if kind == 1 { throw Failure(description: String(decoding: payload, as: UTF8.self)) }
        return payload
    }
}
