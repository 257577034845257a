import Synchronization

/// A count that long local work (reading and inflating files) advances as it goes, so that
/// ranks waiting for it can tell slow progress from a hang: rank 0 tells its peers it is alive
/// only while this count moves.
public enum LocalProgress {
    private static let ticks = Atomic<Int>(0)

    /// Records that some work was done.
    public static func tick() { ticks.add(1, ordering: .relaxed) }

    /// The count so far.
    public static var count: Int { ticks.load(ordering: .relaxed) }
}
