/// Predicts the time of one training step on a cluster layout from a few measured costs: the
/// compute per sample, the optimizer per parameter, and a latency and seconds-per-byte for the
/// network between hosts and for the memory between ranks of a host (Hockney's alpha-beta
/// model, as Thakur, Rabenseifner and Gropp cost MPI's collectives).
///
///     step = compute + on-host reduction + network + optimizer
///
/// Compute, optimizer and the on-host reduction scale with the ranks that share a core; the
/// network part follows the strategy's messages step by step, each step costing its slowest
/// host link, or the core time its bytes take in the network stack when that is longer (on a
/// fast link, or where emulated hosts share cores).
public struct StepModel: Sendable {
    /// Latency (seconds a message) and inverse bandwidth (seconds a byte) of a path.
    public struct Path: Sendable, Equatable {
        public var latency: Double
        public var secondsPerByte: Double

        public init(latency: Double, secondsPerByte: Double) {
            self.latency = latency
            self.secondsPerByte = secondsPerByte
        }
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
        /// Core time a rank spends for each byte it exchanges with another host (sends one way
        /// and receives the other): the network stack's copies and protocol work.
        public var networkCoreSecondsPerByte: Double
        /// A ring step's work per value it passes along (encode to send; decode and add), by wire format.
        public var wireSecondsPerValue: [WirePrecision: Double]

        public init(
            secondsPerSample: [Double], optimizerSecondsPerParameter: Double, link: Path, memory: Path,
            networkCoreSecondsPerByte: Double, wireSecondsPerValue: [WirePrecision: Double]
        ) {
            self.secondsPerSample = secondsPerSample
            self.optimizerSecondsPerParameter = optimizerSecondsPerParameter
            self.link = link
            self.memory = memory
            self.networkCoreSecondsPerByte = networkCoreSecondsPerByte
            self.wireSecondsPerValue = wireSecondsPerValue
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

        /// The cores a host's ranks actually spread over.
        var busyCores: Double { min(Double(ranksPerHost), coresPerHost) }

        /// Ranks taking turns on one core (1 when each has its own).
        var sharing: Double { max(1, Double(ranksPerHost) / coresPerHost) }

        /// The host of `rank`.
        func host(_ rank: Int) -> Int { byNode ? rank % hosts : rank / ranksPerHost }
    }

    /// A predicted step, in seconds, and the bytes one host's link carries each way.
    public struct Prediction: Sendable, Equatable {
        public var compute: Double
        /// Summing through the memory of a host.
        public var onHost: Double
        /// Messages between hosts.
        public var network: Double
        public var optimizer: Double
        public var linkBytes: Double
        public var total: Double { compute + onHost + network + optimizer }
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
        let rows = divideRoundingUp(batchSize, layout.ranks)
        let compute = Double(rows) * costs.secondsPerSample(rows: rows) * layout.sharing
        let gradientBytes = Double(parameters * 4)
        switch layout.strategy {
        case .hierarchical:
            // On the host, between two barriers: each rank reads every rank's sums of its slice
            // (the gradient once), then copies the other ranks' slices of the new weights.
            let r = Double(layout.ranksPerHost), n = Double(layout.hosts)
            let copied = gradientBytes * (1 + (r - 1) / r)
            let onHost = 2 * costs.memory.latency + copied * costs.memory.secondsPerByte / 2 * layout.sharing
            // Across hosts, a ring of 2 (N - 1) steps in which every rank exchanges a chunk of its
            // slice; the host's R ranks share its link (and their cores' network stacks), and
            // each converts the values it sends and receives.
            var network = 0.0, link = 0.0
            if layout.hosts > 1 {
                let values = Double(parameters) / (r * n)
                let chunk = values * Double(layout.wire.bytesPerValue)
                let wire = r * chunk * costs.link.secondsPerByte
                let cores = r * chunk * costs.networkCoreSecondsPerByte / layout.busyCores
                let conversion = values * (costs.wireSecondsPerValue[layout.wire] ?? 0) * layout.sharing
                network = 2 * (n - 1) * (costs.link.latency + max(wire, cores) + conversion)
                link = 2 * (n - 1) * r * chunk
            }
            let optimizer = Double(parameters) / r * costs.optimizerSecondsPerParameter * layout.sharing
            return Prediction(compute: compute, onHost: onHost, network: network, optimizer: optimizer, linkBytes: link)
        case .allreduce:
            let (onHost, network, link) = rabenseifner(layout, bytes: gradientBytes)
            let optimizer = Double(parameters) * costs.optimizerSecondsPerParameter * layout.sharing
            return Prediction(compute: compute, onHost: onHost, network: network, optimizer: optimizer, linkBytes: link)
        }
    }

    /// OpenMPI's reduce-scatter by recursive halving then allgather by recursive doubling
    /// (`allreduce_intra_redscat_allgather`) over the layout's ranks. A count that is not a
    /// power of two first folds: the first 2r ranks swap halves in pairs, the odd one sends its
    /// reduced half to the even one and sits out; at the end each even one sends it the whole
    /// sum. A step takes its latency plus the longer of the busiest host link's bytes (either
    /// way) and the busiest host's core time (the network stack between hosts, copies in and out
    /// on a host). Returns the seconds of the steps that stay on hosts and of those that cross,
    /// and the bytes the busiest link carries each way.
    func rabenseifner(_ layout: Layout, bytes: Double) -> (onHost: Double, network: Double, linkBytes: Double) {
        let p = layout.ranks
        guard p > 1 else { return (0, 0, 0) }
        var power = 1
        while power * 2 <= p { power *= 2 }
        let extra = p - power
        var onHost = 0.0, network = 0.0, busiest = 0.0
        /// One step of messages (from, to, bytes), all under way at once.
        func step(_ messages: [(Int, Int, Double)]) {
            var (sent, received) = ([Double](repeating: 0, count: layout.hosts), [Double](repeating: 0, count: layout.hosts))
            var coreSeconds = [Double](repeating: 0, count: layout.hosts)
            for (a, b, size) in messages {
                let (x, y) = (layout.host(a), layout.host(b))
                let perByte = x == y ? costs.memory.secondsPerByte : costs.networkCoreSecondsPerByte
                coreSeconds[x] += size * perByte / 2
                coreSeconds[y] += size * perByte / 2
                if x != y {
                    sent[x] += size
                    received[y] += size
                }
            }
            let cross = max(sent.max()!, received.max()!)
            busiest += cross
            let transfer = max(cross * costs.link.secondsPerByte, coreSeconds.max()! / layout.busyCores)
            if cross > 0 { network += costs.link.latency + transfer } else { onHost += costs.memory.latency + transfer }
        }
        func swaps(_ pairs: [(Int, Int)], _ size: Double) -> [(Int, Int, Double)] {
            pairs.flatMap { [($0.0, $0.1, size), ($0.1, $0.0, size)] }
        }
        let fold = (0..<extra).map { (2 * $0, 2 * $0 + 1) }
        if extra > 0 {
            step(swaps(fold, bytes / 2))
            step(fold.map { ($0.1, $0.0, bytes / 2) })
        }
        let active = (0..<extra).map { 2 * $0 } + Array((2 * extra)..<p)
        var size = bytes, distance = 1
        var halving: [Double] = []
        while distance < power {
            size /= 2
            halving.append(size)
            step(swaps(pairs(active, distance), size))
            distance *= 2
        }
        distance /= 2
        for size in halving.reversed() {
            step(swaps(pairs(active, distance), size))
            distance /= 2
        }
        if extra > 0 { step(fold.map { ($0.0, $0.1, bytes) }) }
        return (onHost, network, busiest)
    }

    /// Pairs of `ranks` (by position) `distance` apart in the butterfly.
    private func pairs(_ ranks: [Int], _ distance: Int) -> [(Int, Int)] {
        ranks.indices.filter { $0 & distance == 0 }.map { (ranks[$0], ranks[$0 | distance]) }
    }
}
