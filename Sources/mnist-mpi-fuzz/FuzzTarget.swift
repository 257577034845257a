import MNISTMPI

/// The parsers of outside bytes, each as a fuzz target: any input must end in a value or a
/// thrown error, never a trap, a crash or an allocation the input's size does not justify.
enum FuzzTarget: String, CaseIterable {
    case idx, gzip, safetensors, checkpoint, png, pgm, zip, keras, hdf5

    /// A small model for the checkpoint target, so that valid inputs stay small.
    static let architecture = Architecture(inputs: 4, hidden: 3, classes: 2)

    func run(_ bytes: [UInt8]) {
        do {
            switch self {
            case .idx:
                _ = try IDX.parse(bytes, dimensions: bytes.first.map { Int($0 % 3) + 1 } ?? 1, name: "fuzz")
            case .gzip:
                // Into memory of the size the trailer declares, as the training images are read,
                // then into a growing array.
                let declared = try? Gzip.declaredSize(bytes, name: "fuzz", limit: 64 << 20)
                if let declared {
                    let target = UnsafeMutableRawBufferPointer.allocate(byteCount: declared, alignment: 1)
                    defer { target.deallocate() }
                    try? Gzip.inflate(bytes, name: "fuzz", into: target)
                }
                let inflated = try Gzip.inflate(bytes, name: "fuzz", limit: 64 << 20)
                _ = try IDX.parse(inflated, dimensions: 3, name: "fuzz")
            case .safetensors:
                let file = try Safetensors.decode(bytes, name: "fuzz")
                _ = try ModelFile.parameters(from: file, FuzzTarget.architecture, name: "fuzz")
            case .checkpoint:
                _ = try Checkpoint.decode(bytes, name: "fuzz", architecture: FuzzTarget.architecture)
            case .png:
                _ = try PNG.decode(bytes, name: "fuzz").mnistStyle()
            case .pgm:
                _ = try PGM.decode(bytes, name: "fuzz").mnistStyle()
            case .zip:
                let archive = try Zip.Archive(bytes, name: "fuzz")
                for entry in archive.entries { _ = try archive.contents(of: entry.name, limit: 64 << 20) }
            case .keras:
                _ = try KerasFile.decode(bytes, name: "fuzz", FuzzTarget.architecture)
            case .hdf5:
                // The weights file inside a .keras archive (whose CRC keeps mutations away from it
                // above). HDF5 itself parses in a child process: this checks what comes back.
                _ = try HDF5.readFloats(bytes, name: "fuzz", paths: ["layers/dense/vars/0", "layers/dense/vars/1", "optimizer/vars/1"])
            }
        } catch {
            // A clear error is the right answer to a bad file.
        }
    }

    /// Small valid inputs to start from (the gzip target's come from scripts/fuzz.sh).
    var seeds: [[UInt8]] {
        let image = GrayImage(width: 5, height: 4, pixels: (0..<20).map { UInt8($0 * 12) })
        let idx: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + [1, 2, 3, 4, 5, 6, 7, 8]
        let parameters = FuzzTarget.architecture.glorotInitialization(seed: 1)
        switch self {
        case .idx: return [idx, [0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]]
        case .gzip: return []
        case .safetensors:
            return [
                Safetensors.encode(
                    .init(tensors: ModelFile.tensors(parameters, FuzzTarget.architecture), metadata: ["format": "mnist-mpi"]))
            ]
        case .checkpoint:
            var position = TrainingPosition()
            position.step = 3
            position.history = [EpochMetrics(loss: 0.5, accuracy: 0.9, seconds: 1, steps: 3)]
            return [
                Checkpoint(
                    architecture: FuzzTarget.architecture, parameters: parameters.array, velocity: parameters.array,
                    position: position, runID: "seed", settings: TrainingOptions().settings
                ).encode()
            ]
        case .png: return [PNG.encode(image)]
        case .pgm: return [PGM.encode(image), Array("P2\n2 2\n255\n0 64\n128 255\n".utf8)]
        case .zip: return [Zip.archive([("a", [1, 2, 3]), ("b.json", Array("{}".utf8))])]
        case .keras: return [try! KerasFile.encode(parameters, FuzzTarget.architecture, optimizer: RMSprop())]
        case .hdf5:
            let keras = try! Zip.Archive(FuzzTarget.keras.seeds[0], name: "seed")
            return [try! keras.contents(of: "model.weights.h5")!]
        }
    }
}
