import TestSupport
import Testing

@testable import MNISTMPI

@Suite struct HDF5Tests {
    @Test func writesAndReadsDatasets() throws {
        let image = try HDF5.create(name: "t.h5") { h5 in
            try h5.group("a/b/vars", attributes: [("name", "b")])
            try h5.floats("a/b/vars/0", shape: [2, 3], [1, 2, 3, 4, 5, -6.5])
            try h5.floats("a/b/vars/1", shape: [], [0.25])
            try h5.int32("a/b/vars/2", 7)
        }
        #expect(Array(image.prefix(8)) == [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])  // the HDF5 signature
        let found = try HDF5.readFloats(image, name: "t.h5", paths: ["a/b/vars/0", "a/b/vars/1", "a/x/vars/0"])
        #expect(found["a/b/vars/0"] == HDF5.Dataset(shape: [2, 3], values: [1, 2, 3, 4, 5, -6.5]))
        #expect(found["a/b/vars/1"] == HDF5.Dataset(shape: [], values: [0.25]))
        #expect(found.count == 2)
        let integers = try #require(throws: FileError.self) { try HDF5.readFloats(image, name: "t.h5", paths: ["a/b/vars/2"]) }
        #expect(integers.description == "t.h5: a/b/vars/2 does not hold floating-point numbers")
        #expect(throws: FileError.self) { try HDF5.readFloats(image, name: "t.h5", paths: ["a/b"]) }  // a group
    }

    @Test func rejectsBytesThatAreNotHDF5() {
        #expect(throws: FileError.self) { try HDF5.readFloats([UInt8](repeating: 0, count: 4096), name: "x.h5", paths: ["a"]) }
        #expect(throws: FileError.self) { try HDF5.readFloats([], name: "x.h5", paths: ["a"]) }
    }

    /// A file that makes HDF5 1.10 itself crash (found by scripts/fuzz.sh hdf5): the crash
    /// stays in the child process and comes back as an error.
    @Test func aCrashInTheLibraryIsAnError() throws {
        let crafted = try FileIO.read("\(Fixtures.repo)/Tests/fuzz/hdf5/segv-in-accum-read")
        let error = try #require(throws: FileError.self) {
            try HDF5.readFloats(crafted, name: "w.h5", paths: ["layers/dense/vars/0", "layers/dense/vars/1", "optimizer/vars/1"])
        }
        #expect(error.description == "w.h5: the HDF5 library crashed (signal 11) reading it: a damaged or crafted file")
    }
}
