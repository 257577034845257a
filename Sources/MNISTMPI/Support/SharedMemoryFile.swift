#if canImport(Glibc)
    import Glibc
#endif

/// Bytes that one process of a node writes and the node's other processes read, in a POSIX
/// shared-memory object (a file in /dev/shm), mapped by each: the node holds them once. (Linux
/// counts a mapped shared page in full in the resident size of every process that touched it;
/// the proportional set size, PSS, divides it among them.) The name is removed once every
/// reader has opened it, or by the writer when it goes first: nothing outlives the job.
final class SharedMemoryFile {
    let name: String
    let count: Int
    /// Whether this process created the name and has not removed it yet.
    private var owningName: Bool
    private let descriptor: Int32
    /// The writer's mapping, or a reader's (read-only).
    let mapping: UnsafeMutableRawPointer

    /// A new object of `count` bytes, named `name` (a leading `/`, unique on the node), mapped for writing.
    init(creating name: String, count: Int) throws(FileError) {
        self.name = name
        self.count = count
        descriptor = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw FileError.errno("/dev/shm" + name, "cannot create") }
        // Reserves the space now: a full /dev/shm is an error here rather than a SIGBUS later.
        let reserved = count > 0 ? posix_fallocate(descriptor, 0, off_t(count)) : 0
        let start = reserved == 0 ? mmap(nil, max(count, 1), PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0) : MAP_FAILED
        guard reserved == 0, let start, start != MAP_FAILED else {
            let reason = String(cString: strerror(reserved != 0 ? reserved : errno))
            close(descriptor)
            shm_unlink(name)
            throw FileError(file: "/dev/shm" + name, reason: "cannot hold \(count) bytes: \(reason)")
        }
        mapping = start
        owningName = true
    }

    /// The object `name`, mapped for reading.
    init(reading name: String, count: Int) throws(FileError) {
        self.name = name
        self.count = count
        owningName = false
        descriptor = shm_open(name, O_RDONLY, 0)
        guard descriptor >= 0 else { throw FileError.errno("/dev/shm" + name, "cannot open") }
        guard let start = mmap(nil, max(count, 1), PROT_READ, MAP_SHARED, descriptor, 0), start != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw FileError(file: "/dev/shm" + name, reason: "cannot map \(count) bytes: \(reason)")
        }
        mapping = start
    }

    deinit {
        removeName()
        munmap(mapping, max(count, 1))
        close(descriptor)
    }

    /// Removes the name, if this process created it (the mappings stay valid).
    func removeName() {
        if owningName { shm_unlink(name) }
        owningName = false
    }
}
