import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import MNISTMPI

@Suite struct ChildProcessTests {
    @Test func returnsTheChildsBytes() throws {
        #expect(try ChildProcess.run { Array(repeating: 7, count: 200_000) } == Array(repeating: 7, count: 200_000))
    }

    @Test func aThrownErrorComesBackAsItsDescription() {
        struct Bad: Error, CustomStringConvertible { var description: String { "bad input" } }
        #expect(throws: ChildProcess.Failure(description: "bad input")) { try ChildProcess.run { throw Bad() } }
    }

    @Test func aCrashIsAFailureNamingTheSignal() {
        #expect(throws: ChildProcess.Failure(description: "crashed (signal 11)")) {
            try ChildProcess.run { raise(SIGSEGV); return [] }
        }
    }

    @Test func aChildThatHangsIsKilledAtTheTimeout() {
        let start = monotonicSeconds()
        #expect(throws: ChildProcess.Failure(description: "did not finish within 1 s")) {
            try ChildProcess.run(timeout: 1) { while true { sleep(1) } }
        }
        #expect(monotonicSeconds() - start < 5)
    }
}
