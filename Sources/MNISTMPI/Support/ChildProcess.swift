#if canImport(Glibc)
    import Glibc
#endif

/// The parent's half of running code this program cannot vouch for (a C library parsing a file
/// an attacker may have made) in a forked child, so that a crash there becomes an error here
/// instead of ending the job. The child writes its answer to a pipe: byte 0 and its result, or
/// byte 1 and an error message.
public enum ChildProcess {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The child's own error message.
        case reported(String)
        /// How the child ended without an answer: it crashed, hung, or exited early.
        case died(String)

        public var description: String {
            switch self {
            case let .reported(message), let .died(message): return message
            }
        }
    }

    /// The result child `pid` writes to `fd` (the read end of its pipe, closed here). Its error
    /// message is `Failure.reported`; a crash (naming the signal), an exit without an answer, or
    /// no end within `timeout` seconds (the child is then killed) `Failure.died`.
    public static func answer(of pid: pid_t, on fd: Int32, timeout: Double = 60) throws -> [UInt8] {
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let deadline = monotonicSeconds() + timeout
        var timedOut = false
        while true {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, Int32(clamping: Int(max(0, deadline - monotonicSeconds()) * 1000)))
            if polled < 0 && errno == EINTR { continue }
            if polled == 0 { timedOut = true; break }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            answer += chunk[0..<n]
        }
        close(fd)
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { throw Failure.died("did not finish within \(Int(timeout)) s") }
        let signal = status & 0x7f
        if signal != 0 { throw Failure.died("crashed (signal \(signal))") }
        guard (status >> 8) & 0xff == 0, let kind = answer.first else { throw Failure.died("ended without an answer") }
        let payload = Array(answer.dropFirst())
        if kind == 1 { throw Failure.reported(String(decoding: payload, as: UTF8.self)) }
        return payload
    }
}
