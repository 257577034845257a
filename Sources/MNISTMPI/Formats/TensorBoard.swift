#if canImport(Glibc)
    import Glibc
#endif

/// A TensorBoard event file, framed and encoded as TensorFlow's summary writers (and so
/// Keras's `TensorBoard` callback) write them: a sequence of TFRecords (length, masked CRC-32C
/// of the length, an `Event` protocol buffer, masked CRC-32C of the event), the first one
/// naming the format (`brain.Event:2`). Scalars are `Summary.Value.simple_value`, which every
/// TensorBoard reader shows under Scalars.
///
/// Events are kept in memory until `flush()`, which appends them and syncs the file: a job
/// killed between flushes loses only what it logged since the last one.
public final class TensorBoardEventFile {
    public let path: String
    private let descriptor: Int32
    private var pending: [UInt8] = []

    /// Creates `directory` (and its parents) and a new event file in it, named as TensorFlow
    /// names them, `events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2`, with a time after
    /// that of every event file already there: readers take a directory's files in name order,
    /// so a resumed run's events come after the earlier run's.
    public init(directory: String) throws {
        do {
            try FileIO.createDirectories(directory)
        } catch {
            throw FileError(file: directory, reason: "cannot create the TensorBoard directory")
        }
        let prefix = Self.prefix
        let existing = (try? FileIO.names(in: directory)) ?? []
        let latest = existing.filter { $0.hasPrefix(prefix) }.compactMap { Int($0.dropFirst(prefix.count).prefix(10)) }.max() ?? 0
        let seconds = max(Int(wallClockSeconds()), latest + 1)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(nulTerminated: host)
        let name = "\(prefix)\(String(seconds).leftPadded(to: 10)).\(hostName).\(getpid()).0.v2"
        path = directory + "/" + name
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.errno(path, "cannot create the TensorBoard event file") }
        append(Self.event(step: 0) { $0.string(3, "brain.Event:2") })
        try flush()
    }

    deinit { close(descriptor) }

    static let prefix = "events.out.tfevents."

    /// True when `directory` holds an event file.
    public static func holdsEvents(_ directory: String) -> Bool {
        ((try? FileIO.names(in: directory)) ?? []).contains { $0.hasPrefix(prefix) }
    }

    /// A scalar under `tag` at `step`.
    public func scalar(_ tag: String, _ value: Double, step: Int) {
        let summaryValue = ProtobufMessage.build { v in
            v.string(1, tag)
            v.float(2, Float(value))
        }
        append(Self.event(step: step) { $0.message(5, .build { $0.message(1, summaryValue) }) })
    }

    /// `SessionLog.START` at `step`: a run restarted there. TensorBoard then drops the events
    /// read before it at `step` and later (an earlier run's, logged past its checkpoint).
    public func sessionStart(step: Int) {
        append(Self.event(step: step) { $0.message(7, .build { $0.int(1, 1) }) })  // session_log { status: START }
    }

    /// Appends the events logged since the last flush to the file and syncs it to disk.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        try FileIO.writeAll(descriptor, pending, path: path, what: "cannot write the TensorBoard event file")
        guard fsync(descriptor) == 0 else { throw FileError.errno(path, "cannot sync the TensorBoard event file") }
        pending.removeAll(keepingCapacity: true)
    }

    private func append(_ event: [UInt8]) { pending += Self.record(event) }

    /// An `Event` (tensorflow/core/util/event.proto) stamped now, with `body`'s fields.
    static func event(step: Int, _ body: (inout ProtobufMessage) -> Void) -> [UInt8] {
        ProtobufMessage.build { e in
            e.double(1, wallClockSeconds())
            e.int(2, step)
            body(&e)
        }.bytes
    }

    /// One TFRecord around `data`.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        ByteOrder.appendLittleEndian(UInt64(data.count), to: &length)
        var out = length
        ByteOrder.appendLittleEndian(CRC32C.masked(length), to: &out)
        out += data
        ByteOrder.appendLittleEndian(CRC32C.masked(data), to: &out)
        return out
    }
}
