/// What a job sends from the root to every rank before training (the data, the initial
/// weights), and back to the root after (small per-rank reports).
extension Communicator {
    /// The training split that the root loads with `load`, on every rank, its images held
    /// once per node. `load` runs on the root alone (its errors end every rank, as `onRoot`'s)
    /// and reads the training images into what `holdTrainImages` gives: on a node of several
    /// ranks, memory they all share (`holdBytes`), so that the root never holds a copy of its
    /// own beside it. The first rank of each other node receives them from the root (over the
    /// network) into its node's shared memory; the node's other ranks read them there. The
    /// labels (60 KB) are copied to every rank. The test split stays on the root, the only
    /// rank that evaluates; the others get an empty one. Called by every rank together.
    public func distribute(_ load: (_ holdTrainImages: @escaping (Int) throws -> HeldBytes) throws -> Dataset) throws -> Dataset {
        let node = size > 1 ? splitByNode() : self
        // A node of one rank keeps them in its own memory.
        func hold(_ count: Int) throws(HoldingFailed) -> HeldBytes {
            guard node.size > 1 else { return HeldBytes(count: count) }
            do { return try node.holdBytes(count: count) } catch { throw HoldingFailed(reason: error) }
        }
        let loaded = try onRoot { () throws -> Dataset in
            let data = try load(hold)
            guard size > 1, data.train.images.heldIn == nil else { return data }
            // `load` did not use `holdTrainImages`: a copy.
            let held = try hold(data.train.images.count)
            data.train.images.withUnsafeBufferPointer { held.bytes.copyMemory(from: UnsafeRawBufferPointer($0)) }
            return Dataset(train: Split(images: ImageBytes(held), labels: data.train.labels), test: data.test)
        }
        if size == 1, let loaded { return loaded }
        var labels = loaded?.train.labels ?? []
        broadcast(&labels, root: 0)
        // Where the root's images sit in what holds them (after the file's header, when it read
        // the whole file into it).
        let root = loaded?.train.images.heldIn
        var place = [Int64(root?.offset ?? 0), Int64(root?.held.bytes.count ?? 0)]
        place.withUnsafeMutableBytes { broadcast($0, root: 0) }
        let firstOfEachNode = split(color: node.rank == 0 ? 0 : 1)  // the root is its rank 0
        var held = root?.held
        if node.rank == 0 {
            if held == nil {
                do { held = try hold(Int(place[1])) } catch { endJob(failedAt: HoldingFailed.what, error.reason) }
            }
            firstOfEachNode.broadcast(held!.bytes, root: 0)
        }
        if node.size > 1 { held = node.share(held) }
        let images = ImageBytes(held!, offset: Int(place[0]), count: labels.count * Split.imageSize)
        return Dataset(train: Split(images: images, labels: labels), test: loaded?.test ?? Split(images: [], labels: []))
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

/// The node could not hold the training images in memory its ranks share (/dev/shm full, say).
public struct HoldingFailed: Error, CustomStringConvertible {
    static let what = "holding the training images in shared memory"
    let reason: Error
    public var description: String { "\(Self.what) failed: \(reason)" }
}
