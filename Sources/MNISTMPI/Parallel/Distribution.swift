/// What a job sends from the root to every rank before training (the data, the initial
/// weights), and back to the root after (small per-rank reports).
extension Communicator {
    /// The root's training split on every rank, its images held once per node: the first rank
    /// of each node receives them from the root (between nodes, over the network) into memory
    /// the node's ranks share (`bytesHeldOnce`), where the others read them. The labels (60 KB)
    /// are copied to every rank. The test split stays on the root, the only rank that
    /// evaluates; the others get an empty one. A job of one rank keeps what it loaded. Called
    /// by every rank together.
    public func distribute(_ loaded: Dataset?) -> Dataset {
        if size == 1, let loaded { return loaded }
        var labels = loaded?.train.labels ?? []
        broadcast(&labels, root: 0)
        let count = labels.count * Split.imageSize
        let node = splitByNode()
        let firstOfEachNode = split(color: node.rank == 0 ? 0 : 1)  // the root is its rank 0
        let images = node.bytesHeldOnce(count: count) { images in
            if isRoot { loaded!.train.images.withUnsafeBufferPointer { images.copyMemory(from: UnsafeRawBufferPointer($0)) } }
            firstOfEachNode.broadcast(images, root: 0)
        }
        let train = Split(images: images, labels: labels)
        return Dataset(train: train, test: loaded?.test ?? Split(images: [], labels: []))
    }

    /// The root's `count` floats on every rank (native byte order: every rank is the same kind
    /// of machine). Called by every rank together; `values` matters on the root only.
    public func broadcast(_ values: FloatBuffer?, count: Int) -> FloatBuffer {
        let buffer = values ?? FloatBuffer(count: count)
        precondition(buffer.count == count)
        broadcast(UnsafeMutableRawBufferPointer(start: buffer.pointer, count: count * 4), root: 0)
        return buffer
    }

    /// Every rank's `values`, in rank order, on the root (other ranks get an empty list). One
    /// broadcast per rank: for end-of-run reports, not for the training loop.
    public func gatherToRoot(_ values: [Int]) -> [[Int]] {
        gatherToRoot(values.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) }).map { bytes in
            stride(from: 0, to: bytes.count, by: 8).map { i in
                Int(Int64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i, as: Int64.self) }))
            }
        }
    }
}
