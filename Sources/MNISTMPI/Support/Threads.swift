import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Threads of our own, for work that must not wait behind Swift's or Dispatch's pools: ranks of
/// a `ThreadCommunicator` group (each blocks at barriers until all have arrived), the watchdog,
/// and MPI calls while the calling thread keeps watching for a stop request.
enum Threads {
    /// Starts `body` on a new POSIX thread; join or detach the returned thread.
    static func start(_ body: @escaping () -> Void) -> pthread_t {
        final class Work: @unchecked Sendable {
            let body: () -> Void
            init(_ body: @escaping () -> Void) { self.body = body }
        }
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, Unmanaged.passRetained(Work(body)).toOpaque())
        precondition(status == 0, "pthread_create failed")
        return thread
    }

    /// Runs `work` on a new thread, calling `everyHalfSecond` on this one until it is done.
    static func run(_ work: () -> Void, everyHalfSecond: () -> Void) {
        withoutActuallyEscaping(work) { work in
            let finished = DispatchSemaphore(value: 0)
            let thread = start {
                work()
                finished.signal()
            }
            while finished.wait(timeout: .now() + 0.5) == .timedOut { everyHalfSecond() }
            pthread_join(thread, nil)
        }
    }
}

/// A value handed from one thread to another that waits for it.
public struct UnsafeTransfer<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
