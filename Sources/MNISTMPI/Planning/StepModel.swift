/// Predicts the time of one training step on a cluster layout from a few measured costs: the
/// compute per sample, the optimizer per parameter, and a latency and seconds-per-byte for the
/// network between hosts and for the memory between ranks of a host (Hockney's alpha-beta
/// model, as Thakur, Rabenseifner and Gropp cost MPI's collectives).
///
///     step = compute + on-host reduction + network + optimizer
///
/// Compute, optimizer and the on-host reduction scale with the ranks that share a core; the
/// network part follows the strategy's messages round by round, each round costing its slowest
/// host link, or the core time its bytes take in the network stack when that is longer (on a
/// fast link, or where emulated hosts share cores). A link shaped by a token bucket lets a
/// burst through at once after it was idle.
public struct StepModel: Sendable {
    /// Latency (seconds a message) and inverse bandwidth (seconds a byte) of a path.
    public struct Path: Sendable, Equatable {
        public var latency: Double
        public var secondsPerByte: Double
        /// Bytes a shaped link lets through at once after it was idle, before its rate applies:
        /// the depth of a token bucket (tc tbf's burst; a cloud instance's burst allowance). 0 for
        /// a link that only has a rate.
        public var burstBytes: Double

        public init(latency: Double, secondsPerByte: Double, burstBytes: Double = 0) {
            self.latency = latency
            self.secondsPerByte = secondsPerByte
            self.burstBytes = burstBytes
        }
    }

    /// What was measured on this machine and its links.
    public struct Costs: Sendable, Equatable {
        /// Forward and backward of one sample on one core, for shards of each of
        /// `Calibration.rows` rows (interpolated between them).
        public var secondsPerSample: [Double]
        /// The part of that spent on the first layer's kernel gradient (the product the
        /// factored strategy does over the whole batch), at the same rows.
        public var firstLayerSecondsPerSample: [Double]
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
        /// What the compute was measured in (`secondsPerSample`, `firstLayerSecondsPerSample`).
        public var precision: Precision

        public init(
            secondsPerSample: [Double], firstLayerSecondsPerSample: [Double], optimizerSecondsPerParameter: Double, link: Path,
            memory: Path, networkCoreSecondsPerByte: Double, wireSecondsPerValue: [WirePrecision: Double],
            precision: Precision = .float32
        ) {
            self.precision = precision
            self.secondsPerSample = secondsPerSample
            self.firstLayerSecondsPerSample = firstLayerSecondsPerSample
            self.optimizerSecondsPerParameter = optimizerSecondsPerParameter
            self.link = link
            self.memory = memory
            self.networkCoreSecondsPerByte = networkCoreSecondsPerByte
            self.wireSecondsPerValue = wireSecondsPerValue
        }

        /// Seconds per sample for a shard of `rows`.
        public func secondsPerSample(rows: Int) -> Double { Self.interpolate(secondsPerSample, rows) }

        /// Seconds per sample of the first layer's kernel gradient over `rows`.
        public func firstLayerSecondsPerSample(rows: Int) -> Double { Self.interpolate(firstLayerSecondsPerSample, rows) }

        /// `values` (one at each of `Calibration.rows`) at `rows`, linearly between them.
        private static func interpolate(_ values: [Double], _ rows: Int) -> Double {
            let table = Calibration.rows
            guard let upper = table.firstIndex(where: { $0 >= rows }) else { return values.last! }
            guard upper > 0 else { return values[0] }
            let (r0, r1) = (Double(table[upper - 1]), Double(table[upper]))
            let t = (Double(rows) - r0) / (r1 - r0)
            return values[upper - 1] * (1 - t) + values[upper] * t
        }
    }

    /// Where the ranks run and how they sum.
    public struct Layout: Sendable, Equatable {
        /// The strategies the model follows: `allreduce` (one MPI_Allreduce of the whole
        /// gradient; OpenMPI's choice at this size is Rabenseifner's), `hierarchical` (on one
        /// host the same as `shared-memory`), `factored`.
        public static let modelled: [ReductionStrategy] = [.allreduce, .hierarchical, .factored]

        /// The most hosts and ranks a host the model follows (it walks every rank's messages
        /// and every host's link round by round).
        public static let largest = (hosts: 1024, ranksPerHost: 1024)

        public var hosts: Int
        public var ranksPerHost: Int
        /// Cores the host's ranks run on (a fraction when emulated hosts share cores).
        public var coresPerHost: Double
        /// Consecutive ranks on one host (mpirun's default), or round-robin over hosts (`--map-by node`).
        public var byNode: Bool
        /// One of `modelled`.
        public var strategy: ReductionStrategy
        public var wire: WirePrecision

        public init(
            hosts: Int, ranksPerHost: Int, coresPerHost: Double, byNode: Bool = false,
            strategy: ReductionStrategy = .hierarchical, wire: WirePrecision = .float32
        ) {
            precondition(Self.modelled.contains(strategy), "the step model does not follow \(strategy)")
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
        public var sharing: Double { max(1, Double(ranksPerHost) / coresPerHost) }

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
    public let architecture: Architecture
    public let batchSize: Int
    public var parameters: Int { architecture.parameterCount }

    public init(costs: Costs, architecture: Architecture = Architecture(), batchSize: Int = 128) {
        self.costs = costs
        self.architecture = architecture
        self.batchSize = batchSize
    }

    public func predict(_ layout: Layout) -> Prediction {
        let rows = divideRoundingUp(batchSize, layout.ranks)
        var compute = Double(rows) * costs.secondsPerSample(rows: rows) * layout.sharing
        let gradientBytes = Double(parameters * 4)
        var onHost = 0.0, optimizer: Double, rounds: [Round]
        switch layout.strategy {
        case .factored:
            // A rank's shard without its first-layer product, then its rows of that product over
            // the whole batch; on the host, three barriers and a copy of the other ranks' rows
            // of the new kernel; every rank steps its kernel rows and all of the rest.
            let r = Double(layout.ranksPerHost)
            let kernel = Double(architecture.w1.count)
            let wholeBatch = Double(batchSize) * costs.firstLayerSecondsPerSample(rows: batchSize) / r
            compute =
                (Double(rows) * (costs.secondsPerSample(rows: rows) - costs.firstLayerSecondsPerSample(rows: rows)) + wholeBatch)
                * layout.sharing
            let copied = kernel * 4 * (r - 1) / r
            onHost = 3 * costs.memory.latency + copied * costs.memory.secondsPerByte / 2 * layout.sharing
            rounds = allgatherOfHiddenGradients(layout)
            optimizer = (kernel / r + Double(parameters) - kernel) * costs.optimizerSecondsPerParameter * layout.sharing
        case .hierarchical:
            // On the host, between two barriers: each rank reads every rank's sums of its slice
            // (the gradient once), then copies the other ranks' slices of the new weights.
            let r = Double(layout.ranksPerHost)
            let copied = gradientBytes * (1 + (r - 1) / r)
            onHost = 2 * costs.memory.latency + copied * costs.memory.secondsPerByte / 2 * layout.sharing
            rounds = ring(layout)
            optimizer = Double(parameters) / r * costs.optimizerSecondsPerParameter * layout.sharing
        default:
            rounds = rabenseifner(layout, bytes: gradientBytes)
            optimizer = Double(parameters) * costs.optimizerSecondsPerParameter * layout.sharing
        }
        let messages = time(rounds, layout, between: compute + onHost + optimizer)
        return Prediction(
            compute: compute, onHost: onHost + messages.onHost, network: messages.network, optimizer: optimizer,
            linkBytes: messages.linkBytes)
    }

    /// Messages under way at once: the bytes each host's link carries out and in, the core time
    /// each host spends on them (the network stack between hosts, copies on a host), and the
    /// work each rank does on what it receives.
    struct Round {
        var sent: [Double], received: [Double], coreSeconds: [Double]
        var work = 0.0

        init(hosts: Int) {
            (sent, received, coreSeconds) = (
                [Double](repeating: 0, count: hosts), [Double](repeating: 0, count: hosts), [Double](repeating: 0, count: hosts)
            )
        }

        var crossesHosts: Bool { sent.contains { $0 > 0 } }
    }

    /// The hierarchy across hosts: a ring of 2 (N - 1) rounds in which every rank exchanges a
    /// chunk of its slice; a host's R ranks share its link (and their cores' network stacks),
    /// and each converts the values it sends and receives.
    func ring(_ layout: Layout) -> [Round] {
        guard layout.hosts > 1 else { return [] }
        let r = Double(layout.ranksPerHost), n = Double(layout.hosts)
        let values = Double(parameters) / (r * n)
        let bytes = r * values * Double(layout.wire.bytesPerValue)
        var round = Round(hosts: layout.hosts)
        round.sent = [Double](repeating: bytes, count: layout.hosts)
        round.received = round.sent
        round.coreSeconds = round.sent.map { $0 * costs.networkCoreSecondsPerByte }
        round.work = values * (costs.wireSecondsPerValue[layout.wire] ?? 0) * layout.sharing
        return Array(repeating: round, count: 2 * (layout.hosts - 1))
    }

    /// The factored strategy across hosts: a ring of N - 1 rounds in which a host's ranks pass on
    /// one host's hidden-layer gradients of the batch (batch / N rows), its first rank also that
    /// host's second-layer sums in float32; each rank decodes the rows it receives.
    func allgatherOfHiddenGradients(_ layout: Layout) -> [Round] {
        guard layout.hosts > 1 else { return [] }
        let a = architecture, n = Double(layout.hosts), r = Double(layout.ranksPerHost)
        let values = Double(batchSize) / n * Double(a.hidden)
        let secondLayer = Double(reductionBufferCount(parameterCount: a.parameterCount) - a.w2.offset)
        let bytes = values * Double(layout.wire.bytesPerValue) + secondLayer * 4
        var round = Round(hosts: layout.hosts)
        round.sent = [Double](repeating: bytes, count: layout.hosts)
        round.received = round.sent
        round.coreSeconds = round.sent.map { $0 * costs.networkCoreSecondsPerByte }
        round.work = values / r * (costs.wireSecondsPerValue[layout.wire] ?? 0) * layout.sharing
        return Array(repeating: round, count: layout.hosts - 1)
    }

    /// The strategies `fastest` weighs for `layout`: on one host not `factored`, whose extra
    /// loads and copies there the model leaves out (predicted 17% faster than shared-memory at
    /// np 2, measured 6% slower: docs/performance.md).
    public static func candidates(_ layout: Layout) -> [ReductionStrategy] {
        layout.hosts == 1 ? [.allreduce, .hierarchical] : Layout.modelled
    }

    /// The candidate strategy with the fastest predicted step for `layout` (its strategy
    /// ignored), and the runner-up. On one host `hierarchical` stands for `shared-memory`.
    public func fastest(_ layout: Layout) -> (best: (ReductionStrategy, Prediction), runnerUp: (ReductionStrategy, Prediction)) {
        let ranked = Self.candidates(layout).map { strategy -> (ReductionStrategy, Prediction) in
            var candidate = layout
            candidate.strategy = strategy
            return (strategy, predict(candidate))
        }.sorted { $0.1.total < $1.1.total }
        return (ranked[0], ranked[1])
    }

    /// OpenMPI's reduce-scatter by recursive halving then allgather by recursive doubling
    /// (`allreduce_intra_redscat_allgather`) over the layout's ranks. A count that is not a
    /// power of two first folds: the first 2r ranks swap halves in pairs, the odd one sends its
    /// reduced half to the even one and sits out; at the end each even one sends it the whole sum.
    func rabenseifner(_ layout: Layout, bytes: Double) -> [Round] {
        let p = layout.ranks
        guard p > 1 else { return [] }
        var power = 1
        while power * 2 <= p { power *= 2 }
        let extra = p - power
        var rounds: [Round] = []
        /// Messages (from, to, bytes) between ranks.
        func round(_ messages: [(Int, Int, Double)]) {
            var round = Round(hosts: layout.hosts)
            for (a, b, size) in messages {
                let (x, y) = (layout.host(a), layout.host(b))
                let perByte = x == y ? costs.memory.secondsPerByte : costs.networkCoreSecondsPerByte
                round.coreSeconds[x] += size * perByte / 2
                round.coreSeconds[y] += size * perByte / 2
                if x != y {
                    round.sent[x] += size
                    round.received[y] += size
                }
            }
            rounds.append(round)
        }
        func swaps(_ pairs: [(Int, Int)], _ size: Double) -> [(Int, Int, Double)] {
            pairs.flatMap { [($0.0, $0.1, size), ($0.1, $0.0, size)] }
        }
        let fold = (0..<extra).map { (2 * $0, 2 * $0 + 1) }
        if extra > 0 {
            round(swaps(fold, bytes / 2))
            round(fold.map { ($0.1, $0.0, bytes / 2) })
        }
        let active = (0..<extra).map { 2 * $0 } + Array((2 * extra)..<p)
        var size = bytes, distance = 1
        var halving: [Double] = []
        while distance < power {
            size /= 2
            halving.append(size)
            round(swaps(pairs(active, distance), size))
            distance *= 2
        }
        distance /= 2
        for size in halving.reversed() {
            round(swaps(pairs(active, distance), size))
            distance /= 2
        }
        if extra > 0 { round(fold.map { ($0.0, $0.1, bytes) }) }
        return rounds
    }

    /// The seconds of `rounds` that stay on hosts and that cross, and the bytes the busiest link
    /// carries each way. A round takes its latency plus the longer of the busiest link's bytes
    /// and the busiest host's core time, plus the work on what arrived. With a token bucket on
    /// every link direction (`burstBytes`), the bytes up to a direction's tokens pass as fast as
    /// the cores carry them; the tokens grow at the link's rate, also while the step computes
    /// (`between`), so the figures are those of a step after a few others.
    func time(_ rounds: [Round], _ layout: Layout, between: Double) -> (onHost: Double, network: Double, linkBytes: Double) {
        let burst = costs.link.burstBytes, perByte = costs.link.secondsPerByte
        var (out, into) = ([Double](repeating: burst, count: layout.hosts), [Double](repeating: burst, count: layout.hosts))
        func refill(_ seconds: Double, spent: Round? = nil) {
            guard burst > 0, perByte > 0 else { return }
            for h in 0..<layout.hosts {
                out[h] = min(burst, max(0, out[h] - (spent?.sent[h] ?? 0) + seconds / perByte))
                into[h] = min(burst, max(0, into[h] - (spent?.received[h] ?? 0) + seconds / perByte))
            }
        }
        let (steps, averaged) = (burst > 0 ? 16 : 1, burst > 0 ? 8 : 1)
        var (onHost, network, linkBytes) = (0.0, 0.0, 0.0)
        for step in 0..<steps {
            for round in rounds {
                var wire = 0.0
                for h in 0..<layout.hosts {
                    wire = max(wire, max(0, round.sent[h] - out[h], round.received[h] - into[h]) * perByte)
                }
                let cores = round.coreSeconds.max()! / layout.busyCores
                let crosses = round.crossesHosts
                let seconds = (crosses ? costs.link.latency : costs.memory.latency) + max(wire, cores) + round.work
                refill(seconds, spent: round)
                guard step >= steps - averaged else { continue }
                if crosses { network += seconds / Double(averaged) } else { onHost += seconds / Double(averaged) }
                linkBytes += max(round.sent.max()!, round.received.max()!) / Double(averaged)
            }
            refill(between)
        }
        return (onHost, network, linkBytes)
    }

    /// Pairs of `ranks` (by position) `distance` apart in the butterfly.
    private func pairs(_ ranks: [Int], _ distance: Int) -> [(Int, Int)] {
        ranks.indices.filter { $0 & distance == 0 }.map { (ranks[$0], ranks[$0 | distance]) }
    }
}
