import CSystem
import MNISTMPI
import Synchronization
import Testing

/// `csystem_shared_barrier`, the barrier `MPICommunicator` uses over a shared window, here
/// between threads (the futex works the same within a process).
@Suite struct SharedBarrierTests {
    /// Each round every thread writes the round number into its slot, passes the barrier and
    /// reads every slot: one thread let through early would see an older round.
    @Test(arguments: [2, 3, 5])
    func nobodyPassesBeforeEveryoneArrives(threads: Int) {
        final class Shared: @unchecked Sendable {
            let state = UnsafeMutablePointer<UInt32>.allocate(capacity: 2)
            let slots: UnsafeMutablePointer<Int>
            let wrong = Atomic<Int>(0)
            init(_ n: Int) {
                state.initialize(repeating: 0, count: 2)
                slots = .allocate(capacity: n)
                slots.initialize(repeating: -1, count: n)
            }
            deinit {
                state.deallocate()
                slots.deallocate()
            }
        }
        let shared = Shared(threads)
        let rounds = 2000
        // Ranks as threads of their own: more of them than cores is the point (a waiting thread
        // must sleep for the others to run); only their rank is used here.
        _ = ThreadCommunicator.run(ranks: threads) { comm in
            let t = comm.rank
            for round in 0..<rounds {
                shared.slots[t] = round
                csystem_shared_barrier(shared.state, UInt32(threads))
                for other in 0..<threads where shared.slots[other] != round { shared.wrong.add(1, ordering: .relaxed) }
                csystem_shared_barrier(shared.state, UInt32(threads))
            }
        }
        #expect(shared.wrong.load(ordering: .relaxed) == 0)
        #expect(shared.state[0] == 0 && shared.state[1] == UInt32(2 * rounds))
    }
}
