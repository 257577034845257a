import CSystem

/// Measures the costs `StepModel` needs on the machine and links a job runs on: the compute
/// per sample and the optimizer per parameter on rank 0, and exchanges (each side sending and
/// receiving at once, as a ring step does) between rank 0 and a rank on another host, and a
/// rank on its own host, over sizes from 8 bytes to 4 MB, as OSU's latency and bandwidth tests
/// time point-to-point messages; and every rank exchanging with one on another host at once,
/// which shows what the network stack costs the cores a host's ranks run on.
public enum Calibration {
    /// The shard sizes at which the compute per sample is measured (it grows less than
    /// linearly with the rows: a product over more rows runs closer to the core's peak).
    public static let rows = [1, 2, 4, 8, 16, 32, 64, 128]

    /// What one exchange of `bytes` each way took, by size.
    public struct Exchanges: Sendable {
        public var bytes: [Int]
        public var seconds: [Double]

        /// Latency (the smallest size's time) and seconds a byte (least squares over 256 KB and up).
        public var path: StepModel.Path {
            let large = zip(bytes, seconds).filter { $0.0 >= 1 << 18 }.map { (Double($0.0), $0.1) }
            let (mx, my) = (large.map(\.0).reduce(0, +) / Double(large.count), large.map(\.1).reduce(0, +) / Double(large.count))
            let slope = large.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / large.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
            return StepModel.Path(latency: seconds[0], secondsPerByte: max(slope, 0))
        }
    }

    /// The sizes every exchange measurement times: 8 bytes, then 64 KB to 4 MB.
    private static let exchangeSizes = [8] + (16...22).map { 1 << $0 }

    /// Runs `body` with a function that exchanges `bytes` (up to the largest size) with a
    /// partner rank: sent from one half of a buffer, received into the other.
    private static func withExchanges<R>(_ comm: Communicator, _ body: (_ exchange: (_ bytes: Int, _ partner: Int) -> Void) -> R) -> R {
        let half = exchangeSizes.last!
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * half, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 1)
        return body { bytes, partner in
            comm.sendReceive(
                UnsafeRawBufferPointer(rebasing: buffer[0..<bytes]), to: partner,
                UnsafeMutableRawBufferPointer(rebasing: buffer[half..<(half + bytes)]), from: partner)
        }
    }

    /// Exchanges between rank 0 and `partner` (every rank calls it; the others exchange nothing,
    /// with themselves: `sendReceive` is a collective on threads). The median of `repetitions`
    /// per size.
    public static func exchanges(_ comm: Communicator, with partner: Int, repetitions: Int = 20) -> Exchanges {
        withExchanges(comm) { exchange in
            let seconds = exchangeSizes.map { size in
                median(repetitions, warmUp: 2, clock: comm.time, before: comm.barrier) {
                    switch comm.rank {
                    case 0: exchange(size, partner)
                    case partner: exchange(size, 0)
                    default: exchange(0, comm.rank)
                    }
                }
            }
            return Exchanges(bytes: exchangeSizes, seconds: seconds)
        }
    }

    /// Every rank exchanging with its counterpart on a paired host at once (the first host
    /// with the second, the third with the fourth ...; the ranks of a host in order), as a
    /// round of the hierarchy's ring runs: the median time until the last pair is done, so that
    /// it includes what sharing a host's cores and network stack costs. Every rank calls it.
    public static func exchangesAtOnce(_ comm: Communicator, hostOf: [Int], repetitions: Int = 20) -> Exchanges {
        let hosts = Array(Set(hostOf)).sorted()
        let h = hosts.firstIndex(of: hostOf[comm.rank])!
        let mine = hostOf.indices.filter { hostOf[$0] == hostOf[comm.rank] }
        let theirs = (h ^ 1) < hosts.count ? hostOf.indices.filter { hostOf[$0] == hosts[h ^ 1] } : []
        let index = mine.firstIndex(of: comm.rank)!
        let partner = index < theirs.count ? theirs[index] : nil
        // Every rank's time of every run, summed into place; then each run's slowest.
        let times = FloatBuffer(count: comm.size * repetitions)
        return withExchanges(comm) { exchange in
            let seconds = exchangeSizes.map { size in
                times.fill(0)
                for run in -2..<repetitions {  // two untimed runs first
                    comm.barrier()
                    let start = comm.time()
                    // A rank without a counterpart exchanges nothing, with itself (a collective on threads).
                    exchange(partner == nil ? 0 : size, partner ?? comm.rank)
                    if run >= 0 { times[comm.rank * repetitions + run] = Float(comm.time() - start) }
                }
                comm.allreduceSum(times.pointer, count: times.count)
                let slowest = (0..<repetitions).map { run in (0..<comm.size).map { Double(times[$0 * repetitions + run]) }.max()! }
                return slowest.sorted()[repetitions / 2]
            }
            return Exchanges(bytes: exchangeSizes, seconds: seconds)
        }
    }

    /// The cores the ranks of this rank's host may run on between them (the union of their
    /// affinity masks; every rank calls it).
    public static func hostCores(_ comm: Communicator) -> Int {
        let cores = FloatBuffer(count: Launcher.onlineCores)
        for cpu in 0..<cores.count { cores[cpu] = Float(csystem_may_run_on(Int32(cpu))) }
        comm.splitByNode().allreduceSum(cores.pointer, count: cores.count)
        return max(1, cores.array.filter { $0 > 0 }.count)
    }

    /// Seconds of forward and backward per sample, one thread, at each of `rows`, and of the
    /// first layer's kernel gradient alone (part of the same), on images that light pixels as
    /// MNIST's do (`StrokeImages`: the products skip the others), each run starting from caches
    /// that other work has passed through, as in a training step.
    /// With `coldCaches` false, runs follow one another (a quick, slightly optimistic measure).
    /// In `precision` (mixed bfloat16's products run about twice as fast as float32's).
    public static func computePerSample(
        _ architecture: Architecture = Architecture(), repetitions: Int = 30, coldCaches: Bool = true,
        precision: Precision = .float32
    ) -> (step: [Double], firstLayer: [Double]) {
        let elsewhere = OtherWork(active: coldCaches)
        let parameters = architecture.glorotInitialization(seed: 1)
        let gradients = FloatBuffer(count: reductionBufferCount(parameterCount: architecture.parameterCount))
        var rng = SplitMix64(seed: 2, stream: 0)
        let data = Split(images: StrokeImages.make(count: 128, seed: 2), labels: (0..<128).map { _ in UInt8(rng.next(below: 10)) })
        let perRows = rows.map { n in
            let workspace = Workspace(architecture, capacity: n, precision: precision)
            workspace.load(data, indices: (0..<Int32(n)).map { $0 })
            Network.prepare(parameters, workspace)
            let step = median(repetitions, before: elsewhere.run) {
                Network.forward(parameters, workspace, rows: 0..<n)
                _ = Network.backward(workspace, rows: 0..<n, gradients: gradients.pointer)
            }
            let firstLayer = median(repetitions, before: elsewhere.run) {
                Network.firstLayerGradients(workspace, rows: 0..<n, into: gradients.pointer)
            }
            return (step / Double(n), firstLayer / Double(n))
        }
        return (perRows.map(\.0), perRows.map(\.1))
    }

    /// Seconds of one RMSprop step per parameter, one thread, from caches as a training step
    /// leaves them.
    public static func optimizerPerParameter(
        count: Int = Architecture().parameterCount, repetitions: Int = 30, coldCaches: Bool = true
    ) -> Double {
        let (weights, velocity, gradients) = (FloatBuffer(count: count), FloatBuffer(count: count), FloatBuffer(count: count))
        gradients.fill(0.01)
        let parts = UnsafeMutableBufferPointer<UnsafePointer<Float>?>.allocate(capacity: 1)
        defer { parts.deallocate() }
        parts[0] = UnsafePointer(gradients.pointer)
        let elsewhere = OtherWork(active: coldCaches)
        return median(repetitions, before: elsewhere.run) {
            RMSprop().step(
                weights: weights.pointer, velocity: velocity.pointer, gradientParts: UnsafeBufferPointer(parts),
                batchSize: 128, count: count)
        } / Double(count)
    }

    /// Seconds per value for a ring step's work on the values it passes along, in `wire`
    /// format: encode them to send, decode and add the ones received. One thread.
    public static func wirePerValue(_ wire: WirePrecision, count: Int = 1 << 18, repetitions: Int = 30) -> Double {
        let (values, sums) = (FloatBuffer(count: count), FloatBuffer(count: count))
        values.fill(0.5)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
        defer { buffer.deallocate() }
        return median(repetitions) {
            wire.encode(values.pointer, count: count, into: buffer)
            wire.decodeAdding(buffer, to: sums.pointer, count: count)
        } / Double(count)
    }

    /// Every cost `StepModel` needs, for the job `comm` runs (every rank calls it; the root
    /// gets the costs, the others nil): the link to the first rank on another host (none: a
    /// link that costs nothing), the path to a second rank on rank 0's host (none: a memory
    /// copy), the network stack with every rank exchanging at once, and rank 0's compute.
    /// `quick`: a few runs each, from warm caches, as a training job's start-up affords. The
    /// compute in `precision`.
    public static func costs(
        _ comm: Communicator, hostOf: [Int], cores: Int, quick: Bool = false, precision: Precision = .float32
    ) -> StepModel.Costs? {
        let repetitions = quick ? 3 : 20
        let remote = hostOf.firstIndex { $0 != hostOf[0] }
        let local = hostOf.indices.first { $0 != 0 && hostOf[$0] == hostOf[0] }
        let link = remote.map { exchanges(comm, with: $0, repetitions: repetitions).path }
        let atOnce = remote.map { _ in exchangesAtOnce(comm, hostOf: hostOf, repetitions: repetitions).path }
        let memory = local.map { exchanges(comm, with: $0, repetitions: repetitions).path }
        guard comm.isRoot else { return nil }
        // The host's ranks each exchanged B bytes at once, over `busyCores` cores, in about
        // slope x B seconds: a byte costs a core slope x busyCores / ranks.
        let ranksHere = hostOf.filter { $0 == hostOf[0] }.count
        let busyCores = Double(min(ranksHere, cores))
        let compute = computePerSample(repetitions: quick ? 3 : 30, coldCaches: !quick, precision: precision)
        return StepModel.Costs(
            secondsPerSample: compute.step, firstLayerSecondsPerSample: compute.firstLayer,
            optimizerSecondsPerParameter: optimizerPerParameter(repetitions: quick ? 3 : 30, coldCaches: !quick),
            link: link ?? StepModel.Path(latency: 0, secondsPerByte: 0),
            memory: memory ?? memoryCopyPath(),
            networkCoreSecondsPerByte: (atOnce?.secondsPerByte ?? 0) * busyCores / Double(ranksHere),
            wireSecondsPerValue: Dictionary(
                uniqueKeysWithValues: WirePrecision.allCases.map { ($0, wirePerValue($0, repetitions: quick ? 3 : 30)) }),
            precision: precision)
    }

    /// A path through memory when no second rank shares this host: 1 us, and two copies of
    /// each byte (MPI's shared-memory transport copies in and out), timed with memcpy.
    public static func memoryCopyPath(bytes: Int = 1 << 22) -> StepModel.Path {
        let (a, b) = (
            UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64),
            UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        )
        defer { a.deallocate(); b.deallocate() }
        a.initializeMemory(as: UInt8.self, repeating: 1, count: bytes)
        let seconds = median(10, warmUp: 0) { b.copyMemory(from: a, byteCount: bytes) }
        return StepModel.Path(latency: 1e-6, secondsPerByte: 2 * seconds / Double(bytes))
    }

    /// Stands for the rest of a training step between two runs of a timed piece: it writes
    /// 64 MB, more than this machine's caches hold (the training set alone is 47 MB), so that
    /// the piece finds its buffers where a step would, not in the cache the last run left.
    struct OtherWork {
        let buffer: FloatBuffer
        init(active: Bool = true) { buffer = FloatBuffer(count: active ? 16 << 20 : 0) }
        func run() { buffer.pointer.update(repeating: buffer[0] + 1, count: buffer.count) }
    }

    /// The median seconds of `repetitions` runs of `work`, after `warmUp` untimed ones, each
    /// preceded by `before` (outside the timing).
    static func median(
        _ repetitions: Int, warmUp: Int = 3, clock: () -> Double = monotonicSeconds,
        before: () -> Void = {}, _ work: () -> Void
    ) -> Double {
        var times: [Double] = []
        for run in 0..<(warmUp + repetitions) {
            before()
            let start = clock()
            work()
            if run >= warmUp { times.append(clock() - start) }
        }
        return times.sorted()[repetitions / 2]
    }
}
