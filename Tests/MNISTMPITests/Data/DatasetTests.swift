import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

@Suite struct DatasetTests {
    /// The real files, from data/ (scripts/get-data.sh) or $MNIST_DATA_DIR: official checksums,
    /// shapes, and known facts of MNIST (training image #4 is a 9; the first test label is 7).
    @Test func loadsRealMNISTWithOfficialChecksums() throws {
        let data = try Dataset.load(.mnist, from: Fixtures.dataDirectory)
        #expect(data.train.count == 60_000 && data.test.count == 10_000)
        #expect(data.train.images.count == 60_000 * 784)
        #expect(data.train.labels[4] == 9)
        #expect(Array(data.test.labels.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        // Class counts of the training set are well known: 5923 zeros ... 5949 nines.
        var counts = [Int](repeating: 0, count: 10)
        for l in data.train.labels { counts[Int(l)] += 1 }
        #expect(counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    }

    /// data/SHA256SUMS (for sha256sum -c and scripts/get-data.sh) agrees with the built-in table.
    @Test func committedChecksumFileMatchesBuiltInTable() throws {
        let text = try String(contentsOfFile: "\(Fixtures.repo)/data/SHA256SUMS", encoding: .utf8)
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            table[String(parts[1])] = String(parts[0])
        }
        #expect(table == DatasetSpec.mnist.sha256)
    }

    /// A small dataset built here, gzip and raw, with its own checksums.
    func writeFixture(in dir: String, labels trainLabels: [UInt8] = [1, 2, 3], gzip: Bool = true) throws -> DatasetSpec {
        let n = trainLabels.count
        let contents: [[UInt8]] = [
            Fixtures.idx(shape: [n, 28, 28], payload: (0..<(n * 784)).map { UInt8($0 % 256) }),
            Fixtures.idx(shape: [n], payload: trainLabels),
            Fixtures.idx(shape: [2, 28, 28], payload: Array(repeating: 255, count: 2 * 784)),
            Fixtures.idx(shape: [2], payload: [0, 9]),
        ]
        var sums: [String: String] = [:]
        for (name, bytes) in zip(DatasetSpec.standardFiles, contents) {
            sums[name] = sha256Hex(bytes)
            let stored = gzip ? try Fixtures.gzip(bytes) : bytes
            try Data(stored).write(to: URL(fileURLWithPath: "\(dir)/\(name)\(gzip ? ".gz" : "")"))
        }
        return DatasetSpec(name: "fixture", classNames: (0...9).map(String.init), files: DatasetSpec.standardFiles, sha256: sums)
    }

    @Test(arguments: [true, false])
    func loadsGzipAndRawFiles(gzip: Bool) throws {
        let dir = Fixtures.temporaryDirectory()
        let spec = try writeFixture(in: dir, gzip: gzip)
        let data = try Dataset.load(spec, from: dir)
        #expect(data.train.labels == [1, 2, 3] && data.test.labels == [0, 9])
        #expect(data.train.images[785] == UInt8(785 % 256))
    }

    /// Read straight into held memory (a node's shared memory, in a job), the training images
    /// are the same bytes, and the same checks apply to them.
    @Test(arguments: [true, false])
    func readsTheTrainingImagesIntoHeldMemory(gzip: Bool) throws {
        let dir = Fixtures.temporaryDirectory()
        let spec = try writeFixture(in: dir, gzip: gzip)
        var asked: [Int] = []
        let data = try Dataset.load(spec, from: dir) { count in
            asked.append(count)
            return HeldBytes(count: count)
        }
        #expect(asked == [16 + 3 * 784], "the whole inflated file, header included")
        #expect(data.train.images.heldIn?.offset == 16)
        #expect(Array(data.train.images) == Array(try Dataset.load(spec, from: dir).train.images))

        let tampered = Fixtures.idx(shape: [3, 28, 28], payload: Array(repeating: 7, count: 3 * 784))
        let stored = gzip ? try Fixtures.gzip(tampered) : tampered
        try Data(stored).write(to: URL(fileURLWithPath: "\(dir)/train-images-idx3-ubyte\(gzip ? ".gz" : "")"))
        #expect(throws: DatasetError.self) { try Dataset.load(spec, from: dir, holdTrainImages: HeldBytes.init) }
    }

    @Test func rejectsChecksumMismatch() throws {
        let dir = Fixtures.temporaryDirectory()
        let spec = try writeFixture(in: dir)
        // Same structure, different pixels: only the checksum can tell.
        let tampered = Fixtures.idx(shape: [2, 28, 28], payload: Array(repeating: 254, count: 2 * 784))
        try Data(Fixtures.gzip(tampered)).write(to: URL(fileURLWithPath: "\(dir)/t10k-images-idx3-ubyte.gz"))
        #expect(
            throws: DatasetError.checksumMismatch(
                file: "t10k-images-idx3-ubyte",
                expected: spec.sha256["t10k-images-idx3-ubyte"]!,
                actual: sha256Hex(tampered))
        ) {
            try Dataset.load(spec, from: dir)
        }
    }

    @Test func rejectsMissingFileAndDirectory() throws {
        let dir = Fixtures.temporaryDirectory()
        let spec = try writeFixture(in: dir)
        try FileManager.default.removeItem(atPath: "\(dir)/t10k-labels-idx1-ubyte.gz")
        #expect(throws: DatasetError.missing(file: "t10k-labels-idx1-ubyte", directory: dir)) {
            try Dataset.load(spec, from: dir)
        }
        #expect(throws: DatasetError.noDirectory(dir + "/nope")) { try Dataset.load(spec, from: dir + "/nope") }
        #expect(throws: DatasetError.notADirectory(dir + "/train-images-idx3-ubyte.gz")) {
            try Dataset.load(spec, from: dir + "/train-images-idx3-ubyte.gz")
        }
    }

    @Test func rejectsLabelOutOfRangeInFiles() throws {
        let dir = Fixtures.temporaryDirectory()
        var spec = try writeFixture(in: dir, labels: [1, 12, 3])
        spec = DatasetSpec(name: spec.name, classNames: spec.classNames, files: spec.files, sha256: spec.sha256)
        #expect(throws: IDXError.labelOutOfRange(file: "train-labels-idx1-ubyte", index: 1, value: 12, classes: 10)) {
            try Dataset.load(spec, from: dir)
        }
    }
}
