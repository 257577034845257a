/// Predicts the time of one training step on a cluster layout from a few measured costs: the
/// compute per sample, the optimizer per parameter, and a latency and seconds-per-byte for the
/// network between hosts and for the memory between ranks of a host (Hockney's alpha-beta
/// model, as Thakur, Rabenseifner and Gropp cost MPI's collectives).
///
///     step = compute + reduction + optimizer
///
/// Compute and optimizer scale with the ranks that share a core; the reduction follows the
/// strategy's messages step by step, each step costing its slowest host link.
public struct StepModel: Sendable {
    /// Latency (seconds a message) and inverse bandwidth (seconds a byte) of a path.
    public struct Path: Sendable, Equatable {
        public var latency: Double
        public var secondsPerByte: Double

        public init(latency: Double, secondsPerByte: Double) {
            self.latency = latency
            self.secondsPerByte = secondsPerByte
        }

        func seconds(_ bytes: Double) -> Double { bytes > 0 ? latency + bytes * secondsPerByte : 0 }
    }

    /// What was measured on this machine and its links.
    public struct Costs: Sendable, Equatable {
        /// Forward and backward of one sample on one core, for shards of each of
        /// `Calibration.rows` rows (interpolated between them).
        public var secondsPerSample: [Double]
        /// One RMSprop step of one parameter on one core.
        public var optimizerSecondsPerParameter: Double
        /// Between two hosts, and between two ranks of one host.
        public var link: Path
        public var memory: Path

        public init(secondsPerSample: [Double], optimizerSecondsPerParameter: Double, link: Path, memory: Path) {
            self.secondsPerSample = secondsPerSample
            self.optimizerSecondsPerParameter = optimizerSecondsPerParameter
            self.link = link
            self.memory = memory
        }

        /// Seconds per sample for a shard of `rows`.
        public func secondsPerSample(rows: Int) -> Double {
            let table = Calibration.rows
            guard let upper = table.firstIndex(where: { $0 >= rows }) else { return secondsPerSample.last! }
            guard upper > 0 else { return secondsPerSample[0] }
            let (r0, r1) = (Double(table[upper - 1]), Double(table[upper]))
            let t = (Double(rows) - r0) / (r1 - r0)
            return secondsPerSample[upper - 1] * (1 - t) + secondsPerSample[upper] * t
        }
    }

    /// Where the ranks run and how they sum.
    public struct Layout: Sendable, Equatable {
        public enum Strategy: String, Sendable, CaseIterable {
            /// One MPI_Allreduce of the whole gradient (OpenMPI's choice at this size: Rabenseifner's).
            case allreduce
            case hierarchical
        }

        public var hosts: Int
        public var ranksPerHost: Int
        /// Cores the host's ranks run on (a fraction when emulated hosts share cores).
        public var coresPerHost: Double
        /// Consecutive ranks on one host (mpirun's default), or round-robin over hosts (`--map-by node`).
        public var byNode: Bool
        public var strategy: Strategy
        public var wire: WirePrecision

        public init(
            hosts: Int, ranksPerHost: Int, coresPerHost: Double, byNode: Bool = false,
            strategy: Strategy = .hierarchical, wire: WirePrecision = .float32
        ) {
            self.hosts = hosts
            self.ranksPerHost = ranksPerHost
            self.coresPerHost = coresPerHost
            self.byNode = byNode
            self.strategy = strategy
            self.wire = wire
        }

        public var ranks: Int { hosts * ranksPerHost }

        /// The host of `rank`.
        func host(_ rank: Int) -> Int { byNode ? rank % hosts : rank / ranksPerHost }
    }

    /// A predicted step, in seconds, and the bytes one host's link carries each way.
    public struct Prediction: Sendable, Equatable {
        public var compute: Double
        public var reduction: Double
        public var optimizer: Double
        public var linkBytes: Double
        public var total: Double { compute + reduction + optimizer }
    }

    public let costs: Costs
    public let parameters: Int
    public let batchSize: Int

    public init(costs: Costs, parameters: Int = Architecture().parameterCount, batchSize: Int = 128) {
        self.costs = costs
        self.parameters = parameters
        self.batchSize = batchSize
    }

    public func predict(_ layout: Layout) -> Prediction {
        // Ranks of a host take turns on its cores when there are more of them.
        let sharing = max(1, Double(layout.ranksPerHost) / layout.coresPerHost)
        let rows = divideRoundingUp(batchSize, layout.ranks)
        let compute = Double(rows) * costs.secondsPerSample(rows: rows) * sharing
        let gradientBytes = Double(parameters * 4)
        switch layout.strategy {
        case .hierarchical:
            // Each rank steps 1/R of the parameters; the ring over N hosts sends 2 (N - 1) chunks
            // of the host's sum, the host's R ranks in parallel on its link.
            let n = Double(layout.hosts)
            let wireBytes = Double(parameters * layout.wire.bytesPerValue)
            let link = layout.hosts > 1 ? 2 * (n - 1) / n * wireBytes : 0
            let ring = layout.hosts > 1 ? 2 * (n - 1) * costs.link.latency + link * costs.link.secondsPerByte : 0
            let optimizer = Double(parameters) / Double(layout.ranksPerHost) * costs.optimizerSecondsPerParameter * sharing
            return Prediction(compute: compute, reduction: ring, optimizer: optimizer, linkBytes: link)
        case .allreduce:
            let (seconds, bytes) = rabenseifner(layout, bytes: gradientBytes)
            let optimizer = Double(parameters) * costs.optimizerSecondsPerParameter * sharing
            return Prediction(compute: compute, reduction: seconds, optimizer: optimizer, linkBytes: bytes)
        }
    }

    /// OpenMPI's reduce-scatter by recursive halving then allgather by recursive doubling over
    /// the layout's ranks (non-power-of-two counts first fold the extra ranks into their
    /// neighbours, and unfold at the end). Each step costs its slowest path: the most bytes one
    /// host sends over its link, or a pair's bytes through memory. Returns seconds and the bytes
    /// the busiest host link carries each way.
    func rabenseifner(_ layout: Layout, bytes: Double) -> (Double, Double) {
        let p = layout.ranks
        guard p > 1 else { return (0, 0) }
        var power = 1
        while power * 2 <= p { power *= 2 }
        let extra = p - power
        var seconds = 0.0, busiest = 0.0
        /// One step in which each pair (a, b) swaps `size` bytes each way.
        func step(_ pairs: [(Int, Int)], size: Double) {
            var perHost = [Double](repeating: 0, count: layout.hosts)
            var local = false
            for (a, b) in pairs {
                if layout.host(a) == layout.host(b) { local = true } else { perHost[layout.host(a)] += size }
            }
            let cross = perHost.max()!
            busiest += cross
            seconds += max(costs.link.seconds(cross), local ? costs.memory.seconds(size) : 0)
        }
        // The first 2 * extra ranks pair up; the even one of each pair sits out the middle.
        let fold = (0..<extra).map { (2 * $0, 2 * $0 + 1) }
        if extra > 0 { step(fold, size: bytes / 2) }
        let active = (0..<extra).map { 2 * $0 + 1 } + Array((2 * extra)..<p)
        var size = bytes, distance = 1
        var halving: [Double] = []
        while distance < power {
            size /= 2
            halving.append(size)
            step(pairs(active, distance), size: size)
            distance *= 2
        }
        distance /= 2
        for size in halving.reversed() {
            step(pairs(active, distance), size: size)
            distance /= 2
        }
        if extra > 0 { step(fold, size: bytes) }
        return (seconds, busiest)
    }

    /// Pairs of `ranks` (by position) `distance` apart in the butterfly.
    private func pairs(_ ranks: [Int], _ distance: Int) -> [(Int, Int)] {
        ranks.indices.filter { $0 & distance == 0 }.map { (ranks[$0], ranks[$0 | distance]) }
    }
}
