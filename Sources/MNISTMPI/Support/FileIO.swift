#if canImport(Glibc)
    import Glibc
#endif

/// A file that could not be read, written or understood: which one (a path, or a name such as
/// `model.weights.h5 in m.keras`), and why. Every reader and writer of files throws it.
public struct FileError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let reason: String
    public var description: String { "\(file): \(reason)" }

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    static func errno(_ path: String, _ what: String) -> FileError {
        FileError(file: path, reason: "\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

public enum FileIO {
    /// Creates directory `path` and any missing parents, as `mkdir -p` does; one that exists is fine.
    public static func createDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + part
            if mkdir(current, 0o755) != 0 && Glibc.errno != EEXIST { throw FileError.errno(current, "cannot create the directory") }
        }
        guard isDirectory(path) else { throw FileError(file: path, reason: "exists and is not a directory") }
    }

    /// The names of the entries of directory `path`, without `.` and `..`, in no set order.
    public static func names(in path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw FileError.errno(path, "cannot list the directory") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Files larger than this are refused rather than read: far above anything this program
    /// reads (MNIST's largest file is 47 MB), and a bound on what a stray path can make it allocate.
    public static let readLimit = 1 << 30

    /// Reads a whole file of at most `readLimit` bytes.
    public static func read(_ path: String) throws -> [UInt8] {
        try read(path, atMost: nil)
    }

    /// Reads the first `count` bytes of a file (fewer if it is shorter).
    public static func readPrefix(_ path: String, count: Int) throws -> [UInt8] {
        try read(path, atMost: count)
    }

    /// Reads in chunks of a MiB, ticking `LocalProgress` after each. A regular file is read
    /// to its size; anything else that can be read (a pipe, a /proc file of size 0) until its end.
    private static func read(_ path: String, atMost prefix: Int?) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError.errno(path, "cannot open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError.errno(path, "cannot stat") }
        guard (st.st_mode & S_IFMT) != S_IFDIR else { throw FileError(file: path, reason: "is a directory") }
        let regular = (st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0
        let limit = min(prefix ?? Int.max, regular ? Int(st.st_size) : Int.max)
        guard !regular || limit <= readLimit else {
            throw FileError(file: path, reason: "\(st.st_size) bytes, more than the \(readLimit)-byte limit for a file read here")
        }
        var bytes = [UInt8](repeating: 0, count: regular ? limit : 0)
        var done = 0
        let chunk = 1 << 20
        while done < limit {
            if !regular && bytes.count < done + chunk {
                guard done < readLimit else {
                    throw FileError(file: path, reason: "more than the \(readLimit)-byte limit for a file read here")
                }
                bytes.append(contentsOf: repeatElement(0, count: chunk))
            }
            let wanted = min(chunk, limit - done)
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, wanted) }
            if n < 0 && Glibc.errno == EINTR { continue }
            guard n >= 0 else { throw FileError.errno(path, "read failed") }
            if n == 0 { break }  // the end (a regular file that shrank while we read, or a pipe)
            done += n
            LocalProgress.tick()
        }
        bytes.removeLast(bytes.count - done)
        return bytes
    }

    /// Writes a file so that readers see either the old content or the whole new one:
    /// a temporary file in the same directory is written, fsynced and renamed over `path`,
    /// then the directory is fsynced. On any failure the temporary file is removed.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let dir = directory(of: path)
        guard let (fd, tmp) = temporaryFile(beside: path, tag: "tmp") else {
            throw FileError.errno(path, "cannot create a temporary file in \(dir)")
        }
        var committed = false
        defer {
            if !committed { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            try writeAll(fd, bytes, path: path, what: "write failed")
            guard fchmod(fd, 0o644) == 0, fsync(fd) == 0 else { throw FileError.errno(path, "fsync failed") }
        }
        guard rename(tmp, path) == 0 else { throw FileError.errno(path, "rename failed") }
        committed = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Writes all of `bytes` to `fd` (retrying short writes); `what` heads the error.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String, what: String) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && Glibc.errno == EINTR { continue }
            guard n > 0 else { throw FileError.errno(path, what) }
            done += n
        }
    }

    /// Throws unless a file can be written at `path` now: it is not a directory and a file can
    /// be created beside it (a probe file is made and removed), as `writeAtomically` needs.
    public static func checkWritable(_ path: String) throws {
        guard !isDirectory(path) else { throw FileError(file: path, reason: "is a directory, not a file") }
        guard let (fd, probe) = temporaryFile(beside: path, tag: "probe") else { throw FileError.errno(path, "cannot be written") }
        close(fd)
        unlink(probe)
    }

    /// A new file `.<name>.<tag>-XXXXXX` in `path`'s directory (mkstemp), open for writing.
    private static func temporaryFile(beside path: String, tag: String) -> (fd: Int32, path: String)? {
        var template = Array("\(directory(of: path))/.\(basename(of: path)).\(tag)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        return (fd, String(cString: template.map { UInt8(bitPattern: $0) }))
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// True when `path` is a directory (or a link to one).
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
