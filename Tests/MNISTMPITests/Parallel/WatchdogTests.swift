import Synchronization
import Testing

@testable import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

/// The watchdog calls its timeout (which in the program ends the process) when a watched call
/// runs past the limit, with the limit and the phase, and never otherwise.
struct WatchdogTests {
    /// A timeout that records its call and then parks its thread forever, as it may not return.
    final class Timeouts: Sendable {
        let calls = Mutex<[(Double, String)]>([])
        var onTimeout: @Sendable (Double, String) -> Never {
            { [self] seconds, phase in
                calls.withLock { $0.append((seconds, phase)) }
                while true { pause() }
            }
        }
        var count: Int { calls.withLock { $0.count } }
    }

    @Test func aCallPastTheLimitTimesOutWithItsPhase() {
        let timeouts = Timeouts()
        let watchdog = Watchdog(seconds: 0.3, onTimeout: timeouts.onTimeout)
        watchdog.phase = "loading the data"
        watchdog.watch { usleep(1_000_000) }
        let calls = timeouts.calls.withLock { $0 }
        #expect(calls.count == 1)
        #expect(calls.first?.0 == 0.3 && calls.first?.1 == "loading the data")
    }

    @Test func callsWithinTheLimitAndTimeBetweenCallsAreNotWatched() {
        let timeouts = Timeouts()
        let watchdog = Watchdog(seconds: 0.4, onTimeout: timeouts.onTimeout)
        for _ in 0..<5 { watchdog.watch { usleep(100_000) } }
        usleep(800_000)  // outside any call: nothing is due
        #expect(timeouts.count == 0)
        let off = Watchdog(seconds: 0, onTimeout: timeouts.onTimeout)
        off.watch { usleep(300_000) }
        #expect(timeouts.count == 0)
    }

    @Test func errorsPassThrough() {
        struct Failure: Error {}
        let watchdog = Watchdog(seconds: 5, onTimeout: Timeouts().onTimeout)
        #expect(throws: Failure.self) { try watchdog.watch { throw Failure() } }
        #expect(watchdog.watch { 7 } == 7)
    }
}
