import CHDF5
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// HDF5 files held in memory (the library's "core" driver without a backing file), through
/// the HDF5 library itself: just what Keras's `model.weights.h5` needs, groups, float32
/// and int32 datasets and string attributes, written; float datasets read (in a child process).
///
/// The library is loaded when first used (`chdf5_load`). Debian's HDF5 is built without
/// thread safety, so every use holds one process-wide lock.
public enum HDF5 {
    private static let lock = Mutex(())

    /// The library's functions, loaded on first use; call with `lock` held.
    private static func library(for name: String) throws -> UnsafePointer<chdf5_api> {
        var error = [CChar](repeating: 0, count: 512)
        guard let api = chdf5_load(&error, error.count) else {
            throw FileError(file: name, reason: String(nulTerminated: error))
        }
        return api
    }

    /// Builds a file with `body` and returns its bytes.
    public static func create(name: String, _ body: (Writer) throws -> Void) throws -> [UInt8] {
        try lock.withLock { _ in
            let file = try File(name: name, h5: try library(for: name).pointee)
            try body(Writer(file: file))
            return try file.image()
        }
    }

    /// A float dataset: its shape (`[]` for a scalar) and values.
    public struct Dataset: Equatable, Sendable {
        public let shape: [Int]
        public let values: [Float]
    }

    /// The float datasets at `paths` of the file `bytes` (converted to Float by HDF5 from any
    /// float type); a path that is not in the file is left out. HDF5 1.10 can crash on a crafted
    /// file, so a forked child reads it (`chdf5_read_floats_in_child`, C only) and sends the
    /// values back; a crash or a hang there is an `FileError` here.
    public static func readFloats(_ bytes: [UInt8], name: String, paths: [String], timeout: Double = 60) throws -> [String: Dataset] {
        let answer: [UInt8]
        do {
            answer = try lock.withLock { _ in
                let api = try library(for: name)
                var pid: pid_t = 0
                let fd = BLAS.forking {
                    bytes.withUnsafeBytes { image in
                        withCStrings(paths) {
                            chdf5_read_floats_in_child(api, image.baseAddress, image.count, $0, Int32(paths.count), &pid)
                        }
                    }
                }
                guard fd >= 0 else { throw FileError(file: name, reason: "cannot start a process to read it") }
                return try ChildProcess.answer(of: pid, on: fd, timeout: timeout)
            }
        } catch let ChildProcess.Failure.reported(message) {
            throw FileError(file: name, reason: message)
        } catch let ChildProcess.Failure.died(how) {
            throw FileError(file: name, reason: "the HDF5 library \(how) reading it: a damaged or crafted file")
        }
        return try answer.withUnsafeBytes { raw in
            var found: [String: Dataset] = [:]
            var at = 0
            func need(_ n: Int) throws {
                guard n <= raw.count - at else { throw FileError(file: name, reason: "the reading process's answer was cut short") }
            }
            for path in paths {
                try need(1)
                at += 1
                if raw[at - 1] == 2 { throw FileError(file: name, reason: String(decoding: raw[at...], as: UTF8.self)) }
                guard raw[at - 1] == 1 else { continue }
                try need(1)
                let rank = Int(raw[at])
                at += 1
                try need(8 * rank)
                let shape = (0..<rank).map { Int(ByteOrder.readLittleEndian(raw, at: at + 8 * $0, as: UInt64.self)) }
                at += 8 * rank
                let count = shape.reduce(1, *)
                try need(4 * count)
                let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[at..<(at + 4 * count)]))
                    initialized = count
                }
                at += 4 * count
                found[path] = Dataset(shape: shape, values: values)
            }
            return found
        }
    }

    /// A new file in memory; closed when released.
    final class File {
        let id: hid_t
        let name: String
        let h5: chdf5_api

        init(name: String, h5: chdf5_api) throws {
            self.name = name
            self.h5 = h5
            let access = h5.H5Pcreate(chdf5_file_access())
            defer { _ = h5.H5Pclose(access) }
            guard access >= 0, h5.H5Pset_fapl_core(access, 1 << 20, false) >= 0 else {
                throw FileError(file: name, reason: "HDF5 could not start")
            }
            // The driver's own name for the in-memory file: unique, so that two never collide.
            let internalName = "mnist-mpi-\(UInt64.random(in: 0...UInt64.max))"
            id = h5.H5Fcreate(internalName, chdf5_truncate(), chdf5_default(), access)
            guard id >= 0 else { throw FileError(file: name, reason: "HDF5 could not create the file") }
        }

        deinit { _ = h5.H5Fclose(id) }

        func image() throws -> [UInt8] {
            guard h5.H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw fail("could not be flushed") }
            let size = h5.H5Fget_file_image(id, nil, 0)
            guard size > 0 else { throw fail("has no image") }
            var bytes = [UInt8](repeating: 0, count: size)
            let copied = bytes.withUnsafeMutableBytes { h5.H5Fget_file_image(id, $0.baseAddress, size) }
            guard copied == size else { throw fail("image could not be copied") }
            return bytes
        }

        func fail(_ reason: String) -> FileError { FileError(file: name, reason: reason) }
    }

    /// Writes groups, datasets and attributes by path ("layers/dense/vars/0").
    public struct Writer {
        let file: File
        private var h5: chdf5_api { file.h5 }

        /// Creates the group at `path` and any missing parents, with string `attributes`.
        public func group(_ path: String, attributes: [(String, String)] = []) throws {
            var prefix = ""
            for part in path.split(separator: "/") {
                prefix += (prefix.isEmpty ? "" : "/") + part
                if h5.H5Lexists(file.id, prefix, chdf5_default()) > 0 { continue }
                let group = h5.H5Gcreate2(file.id, prefix, chdf5_default(), chdf5_default(), chdf5_default())
                guard group >= 0 else { throw file.fail("could not create group \(prefix)") }
                _ = h5.H5Gclose(group)
            }
            for (key, value) in attributes { try attribute(path, key, value) }
        }

        /// A little-endian float32 dataset of `shape` (`[]` for a scalar).
        public func floats(_ path: String, shape: [Int], _ values: [Float]) throws {
            precondition(values.count == shape.reduce(1, *))
            try dataset(path, shape: shape, fileType: chdf5_f32le(), memoryType: chdf5_native_float(), values)
        }

        /// A little-endian int32 scalar dataset.
        public func int32(_ path: String, _ value: Int32) throws {
            try dataset(path, shape: [], fileType: chdf5_i32le(), memoryType: chdf5_native_int32(), [value])
        }

        private func dataset<T>(_ path: String, shape: [Int], fileType: hid_t, memoryType: hid_t, _ values: [T]) throws {
            let dims = shape.map { hsize_t($0) }
            let space = shape.isEmpty ? h5.H5Screate(H5S_SCALAR) : h5.H5Screate_simple(Int32(dims.count), dims, nil)
            defer { _ = h5.H5Sclose(space) }
            let set = h5.H5Dcreate2(file.id, path, fileType, space, chdf5_default(), chdf5_default(), chdf5_default())
            guard set >= 0 else { throw file.fail("could not create dataset \(path)") }
            defer { _ = h5.H5Dclose(set) }
            let written = values.withUnsafeBytes { h5.H5Dwrite(set, memoryType, chdf5_all(), chdf5_all(), chdf5_default(), $0.baseAddress) }
            guard written >= 0 else { throw file.fail("could not write dataset \(path)") }
        }

        /// A variable-length UTF-8 string attribute, as h5py writes a Python `str`.
        private func attribute(_ path: String, _ key: String, _ value: String) throws {
            let type = h5.H5Tcopy(chdf5_c_string())
            defer { _ = h5.H5Tclose(type) }
            _ = h5.H5Tset_size(type, chdf5_variable())
            _ = h5.H5Tset_cset(type, H5T_CSET_UTF8)
            let space = h5.H5Screate(H5S_SCALAR)
            defer { _ = h5.H5Sclose(space) }
            let attribute = h5.H5Acreate_by_name(file.id, path, key, type, space, chdf5_default(), chdf5_default(), chdf5_default())
            guard attribute >= 0 else { throw file.fail("could not create attribute \(key) of \(path)") }
            defer { _ = h5.H5Aclose(attribute) }
            let written = value.withCString { text in
                var pointer: UnsafePointer<CChar>? = text
                return h5.H5Awrite(attribute, type, &pointer)
            }
            guard written >= 0 else { throw file.fail("could not write attribute \(key) of \(path)") }
        }
    }
}

/// `body` with `strings` as an array of C strings.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
}
