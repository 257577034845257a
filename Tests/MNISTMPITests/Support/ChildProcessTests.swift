import Testing

@testable import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ChildProcessTests {
    /// Forks a child that writes `answer` to the pipe and then does `then` (plain libc calls only).
    func child(writing answer: [UInt8], then: @convention(c) () -> Void = { _exit(0) }) -> (pid_t, Int32) {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        let pid = answer.withUnsafeBytes { bytes in
            BLAS.forking {
                let pid = fork()
                if pid == 0 {
                    close(fds[0])
                    _ = write(fds[1], bytes.baseAddress, bytes.count)
                    then()
                    _exit(0)
                }
                return pid
            }
        }
        close(fds[1])
        return (pid, fds[0])
    }

    @Test func returnsTheResultAfterByteZero() throws {
        let (pid, fd) = child(writing: [0] + Array(repeating: 7, count: 200_000))
        #expect(try ChildProcess.answer(of: pid, on: fd) == Array(repeating: 7, count: 200_000))
    }

    @Test func byteOneIsAnErrorMessage() {
        let (pid, fd) = child(writing: [1] + Array("bad input".utf8))
        #expect(throws: ChildProcess.Failure.reported("bad input")) { try ChildProcess.answer(of: pid, on: fd) }
    }

    @Test func aCrashIsAFailureNamingTheSignal() {
        let (pid, fd) = child(
            writing: [0],
            then: {
                signal(SIGSEGV, SIG_DFL); raise(SIGSEGV)
            })
        #expect(throws: ChildProcess.Failure.died("crashed (signal 11)")) { try ChildProcess.answer(of: pid, on: fd) }
    }

    @Test func aChildThatHangsIsKilledAtTheTimeout() {
        let start = monotonicSeconds()
        let (pid, fd) = child(writing: [], then: { while true { pause() } })
        #expect(throws: ChildProcess.Failure.died("did not finish within 1 s")) {
            try ChildProcess.answer(of: pid, on: fd, timeout: 1)
        }
        #expect(monotonicSeconds() - start < 5)
    }
}
