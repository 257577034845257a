/// Measures the costs `StepModel` needs on the machine and links a job runs on: the compute
/// per sample and the optimizer per parameter on rank 0, and exchanges (each side sending and
/// receiving at once, as a ring step does) between rank 0 and a rank on another host, and a
/// rank on its own host, over sizes from 8 bytes to 4 MB, as OSU's latency and bandwidth tests
/// time point-to-point messages.
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

    /// Exchanges between rank 0 and `partner` (every rank calls it; the others wait). The
    /// median of `repetitions` per size.
    public static func exchanges(_ comm: Communicator, with partner: Int, repetitions: Int = 20) -> Exchanges {
        let sizes = [8] + (16...22).map { 1 << $0 }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 << 22, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 1)
        var seconds: [Double] = []
        for size in sizes {
            var times: [Double] = []
            for _ in 0..<(repetitions + 2) {
                comm.barrier()
                let start = comm.time()
                if comm.rank == 0 || comm.rank == partner {
                    let other = comm.rank == 0 ? partner : 0
                    comm.sendReceive(UnsafeRawBufferPointer(rebasing: buffer[0..<size]), to: other,
                                     UnsafeMutableRawBufferPointer(rebasing: buffer[(1 << 22)..<((1 << 22) + size)]), from: other)
                }
                times.append(comm.time() - start)
            }
            seconds.append(times.dropFirst(2).sorted()[repetitions / 2])
        }
        return Exchanges(bytes: sizes, seconds: seconds)
    }

    /// The host of every rank, as the lowest world rank on it (every rank calls it).
    public static func hosts(_ comm: Communicator) -> [Int] {
        let node = comm.splitByNode()
        var leader = [UInt8](String(comm.rank).utf8)
        node.broadcast(&leader, root: 0)
        let mine = Float(Int(String(decoding: leader, as: UTF8.self))!)
        let all = FloatBuffer(count: comm.size)
        all[comm.rank] = mine + 1
        comm.allreduceSum(all.pointer, count: comm.size)
        return all.array.map { Int($0) - 1 }
    }

    /// Seconds of forward and backward per sample, one thread, at each of `rows`.
    public static func computePerSample(_ architecture: Architecture = Architecture(), repetitions: Int = 30) -> [Double] {
        let parameters = architecture.glorotInitialization(seed: 1)
        let gradients = FloatBuffer(count: reductionBufferCount(parameterCount: architecture.parameterCount))
        var rng = SplitMix64(seed: 2, stream: 0)
        let data = Split(images: (0..<(128 * Split.imageSize)).map { _ in UInt8(rng.next(below: 256)) },
                         labels: (0..<128).map { _ in UInt8(rng.next(below: 10)) })
        return rows.map { n in
            let workspace = Workspace(architecture, capacity: n)
            workspace.load(data, indices: (0..<Int32(n)).map { $0 })
            var times: [Double] = []
            for _ in 0..<(repetitions + 3) {
                let start = monotonicSeconds()
                Network.forward(parameters, workspace, rows: 0..<n)
                _ = Network.backward(parameters, workspace, rows: 0..<n, gradients: gradients.pointer)
                times.append((monotonicSeconds() - start) / Double(n))
            }
            return times.dropFirst(3).sorted()[repetitions / 2]
        }
    }

    /// Seconds of one RMSprop step per parameter, one thread.
    public static func optimizerPerParameter(count: Int = Architecture().parameterCount, repetitions: Int = 30) -> Double {
        let (weights, velocity, gradients) = (FloatBuffer(count: count), FloatBuffer(count: count), FloatBuffer(count: count))
        gradients.fill(0.01)
        var times: [Double] = []
        for _ in 0..<(repetitions + 3) {
            let start = monotonicSeconds()
            RMSprop().step(weights: weights.pointer, velocity: velocity.pointer, gradientSums: gradients.pointer,
                           batchSize: 128, count: count)
            times.append((monotonicSeconds() - start) / Double(count))
        }
        return times.dropFirst(3).sorted()[repetitions / 2]
    }

    /// A path through memory when no second rank shares this host: 1 us, and two copies of
    /// each byte (MPI's shared-memory transport copies in and out), timed with memcpy.
    public static func memoryCopyPath(bytes: Int = 1 << 22) -> StepModel.Path {
        let (a, b) = (UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64), UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64))
        defer { a.deallocate(); b.deallocate() }
        a.initializeMemory(as: UInt8.self, repeating: 1, count: bytes)
        var times: [Double] = []
        for _ in 0..<10 {
            let start = monotonicSeconds()
            b.copyMemory(from: a, byteCount: bytes)
            times.append(monotonicSeconds() - start)
        }
        return StepModel.Path(latency: 1e-6, secondsPerByte: 2 * times.sorted()[5] / Double(bytes))
    }
}
