import Synchronization
import Testing

@testable import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

struct ThreadsTests {
    /// Threads run at once: each waits at a barrier the others must reach.
    @Test func threadsRunConcurrentlyAndJoin() {
        var barrier = pthread_barrier_t()
        pthread_barrier_init(&barrier, nil, 4)
        defer { pthread_barrier_destroy(&barrier) }
        let arrived = Atomic<Int>(0)
        let threads = withUnsafeMutablePointer(to: &barrier) { barrier in
            let shared = UnsafeTransferBarrier(barrier)
            return (0..<4).map { _ in
                Threads.start {
                    pthread_barrier_wait(shared.pointer)
                    arrived.add(1, ordering: .relaxed)
                }
            }
        }
        for thread in threads { pthread_join(thread, nil) }
        #expect(arrived.load(ordering: .relaxed) == 4)
    }

    /// The caller is called back every half second while the work runs on another thread.
    @Test func runCallsBackWhileTheWorkRuns() {
        var ticks = 0
        var workThread = pthread_self()
        Threads.run(
            {
                workThread = pthread_self(); usleep(1_300_000)
            }, everyHalfSecond: { ticks += 1 })
        #expect((2...3).contains(ticks), "\(ticks)")  // 3 when the thread starts late on a loaded machine
        #expect(pthread_equal(workThread, pthread_self()) == 0)
    }

    struct UnsafeTransferBarrier: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<pthread_barrier_t>
        init(_ pointer: UnsafeMutablePointer<pthread_barrier_t>) { self.pointer = pointer }
    }
}
