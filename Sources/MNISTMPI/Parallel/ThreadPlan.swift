/// How a rank uses its cores: its share of each batch on `shards` threads of its own (each a
/// rank of a `ThreadCommunicator`), each product with `blasThreads` OpenBLAS threads.
public struct ThreadPlan: Sendable, Equatable {
    public let shards: Int
    public let blasThreads: Int

    public init(shards: Int, blasThreads: Int) {
        self.shards = shards
        self.blasThreads = blasThreads
    }

    /// A process that is the whole job (`ranks` 1) splits each batch over its threads, one
    /// shard and one 1-thread BLAS each, summed in a fixed order as two ranks would: on these
    /// small products one BLAS call over two threads was slower than two ranks. Otherwise a
    /// rank runs its share as one shard with `threads` (`--threads`) BLAS threads, else the
    /// node's cores shared by its `localRanks`. `--deterministic` (its micro-shards fix the
    /// shapes) takes one shard and one BLAS thread: OpenBLAS splits a product's sums
    /// differently over more threads.
    public init(
        ranks: Int, localRanks: Int, threads: Int?, batchSize: Int, deterministic: Bool,
        usableCores: Int = Launcher.usableCores, onlineCores: Int = Launcher.onlineCores
    ) {
        if deterministic {
            self.init(shards: 1, blasThreads: 1)
            return
        }
        let cores = threads ?? Launcher.defaultThreads(localRanks: localRanks, usable: usableCores, online: onlineCores)
        if ranks == 1 && cores > 1 && batchSize > 1 {
            self.init(shards: min(cores, batchSize), blasThreads: 1)
        } else {
            self.init(shards: 1, blasThreads: cores)
        }
    }
}
