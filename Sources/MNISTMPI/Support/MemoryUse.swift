#if canImport(Glibc)
    import Glibc
#endif

/// What this process holds in memory, as Linux counts it. Pages shared with other processes
/// (the libraries, and a node's shared training set and gradient segments) count in full in
/// the resident size of every process that has touched them, and in proportion in `proportional`.
public struct MemoryUse: Sendable, Equatable {
    /// The most it has had resident, in bytes (getrusage's ru_maxrss).
    public var peakResident: Int
    /// Its proportional set size now, in bytes (`Pss` of /proc/self/smaps_rollup): its own
    /// pages, plus each shared page divided by the number of processes mapping it, so that the
    /// ranks of a node add up to what the node holds. Zero where the kernel does not tell.
    public var proportional: Int

    public init(peakResident: Int, proportional: Int) {
        self.peakResident = peakResident
        self.proportional = proportional
    }

    /// This process's, now.
    public static func current() -> MemoryUse {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let rollup = (try? FileIO.read("/proc/self/smaps_rollup")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let pss =
            rollup.split(separator: "\n").first { $0.hasPrefix("Pss:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
        return MemoryUse(peakResident: usage.ru_maxrss * 1024, proportional: pss * 1024)
    }
}
