import Foundation
import Testing

@testable import MNISTMPI

@Suite struct KerasFileTests {
    let architecture = Architecture()
    var weights: FloatBuffer { architecture.glorotInitialization(seed: 3) }

    @Test func roundTripsTheWeightsBitForBit() throws {
        let bytes = try KerasFile.encode(weights, architecture, optimizer: RMSprop())
        #expect(KerasFile.isArchive(bytes))
        #expect(try KerasFile.decode(bytes, name: "m.keras", architecture).array == weights.array)
    }

    /// The archive holds what Keras's loader opens: three stored entries, the weights and the
    /// optimizer state at Keras's HDF5 paths, and the compile settings.
    @Test func holdsKerasLayout() throws {
        let velocity = FloatBuffer((0..<architecture.parameterCount).map { Float($0 % 7) })
        let bytes = try KerasFile.encode(
            weights, architecture, optimizer: RMSprop(learningRate: 0.01, rho: 0.8),
            velocity: velocity, iterations: 938)
        let archive = try Zip.Archive(bytes, name: "m.keras")
        #expect(archive.entries.map(\.name) == ["metadata.json", "config.json", "model.weights.h5"])
        let config = String(decoding: try archive.contents(of: "config.json")!, as: UTF8.self)
        for piece in [
            #""class_name":"Sequential""#, #""units":512,"activation":"relu""#, #""units":10,"activation":"softmax""#,
            #""learning_rate":0.009999999776482582"#, #""rho":0.8"#, #""loss":"sparse_categorical_crossentropy""#,
            #""metrics":["accuracy"]"#,
        ] {
            #expect(config.contains(piece), "\(piece)")
        }
        let h5 = try HDF5.readFloats(
            try archive.contents(of: "model.weights.h5")!, name: "h5",
            paths: [
                "layers/dense/vars/0", "layers/dense_1/vars/1", "optimizer/vars/1", "optimizer/vars/5", "layers/dense/vars/9",
            ])
        #expect(h5["layers/dense/vars/0"] == HDF5.Dataset(shape: [784, 512], values: Array(weights.array[0..<(784 * 512)])))
        #expect(h5["layers/dense_1/vars/1"]?.shape == [10])
        #expect(h5["optimizer/vars/1"] == HDF5.Dataset(shape: [], values: [0.01]))
        #expect(h5["optimizer/vars/5"] == HDF5.Dataset(shape: [10], values: Array(velocity.array.suffix(10))))
        #expect(h5["layers/dense/vars/9"] == nil)
    }

    /// In mixed bfloat16 the layers name Keras's policy, the softmax is a float32 Activation
    /// after a linear Dense(10), and the file reads back as the same network; a softmax on top of
    /// a softmax is another network.
    @Test func mixedPrecisionNamesItsPolicy() throws {
        let bytes = try KerasFile.encode(weights, architecture, optimizer: RMSprop(), precision: .mixedBFloat16)
        let archive = try Zip.Archive(bytes, name: "m.keras")
        let config = String(decoding: try archive.contents(of: "config.json")!, as: UTF8.self)
        let mixed = #""dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"mixed_bfloat16"},"registered_name":null}"#
        #expect(config.components(separatedBy: mixed).count == 3, "both Dense layers: \(config)")
        for piece in [#""units":10,"activation":"linear""#, #""class_name":"Activation""#, #""activation":"softmax"}"#] {
            #expect(config.contains(piece), "\(piece)")
        }
        #expect(try KerasFile.decode(bytes, name: "m.keras", architecture).array == weights.array)
        let doubled = Zip.archive(
            try archive.entries.map { e in
                let linear = config.replacingOccurrences(
                    of: #""units":10,"activation":"linear""#, with: #""units":10,"activation":"softmax""#)
                return (e.name, e.name == "config.json" ? Array(linear.utf8) : try archive.contents(of: e.name)!)
            })
        let error = try #require(throws: FileError.self) { try KerasFile.decode(doubled, name: "m.keras", architecture) }
        #expect(error.description.contains("layer dense_1 is Dense(10, softmax, then softmax)"), "\(error)")
    }

    /// A Keras file of another model names what differs.
    @Test(arguments: [
        (#""units":512"#, #""units":256"#, "layer dense is Dense(256, relu), mnist-mpi's model needs Dense(512, relu) there"),
        (#""activation":"softmax""#, #""activation":"linear""#, "layer dense_1 is Dense(10, linear)"),
        (#""batch_shape":[null,784]"#, #""batch_shape":[null,100]"#, "takes 100 inputs"),
        (#""class_name":"Sequential""#, #""class_name":"Functional""#, "is a Functional model"),
        (#""class_name":"InputLayer""#, #""class_name":"Dropout""#, "has a Dropout layer (input_layer)"),
    ])
    func rejectsOtherArchitectures(from: String, to: String, message: String) throws {
        let good = try Zip.Archive(KerasFile.encode(weights, architecture, optimizer: RMSprop()), name: "m")
        let config = String(decoding: try good.contents(of: "config.json")!, as: UTF8.self)
        #expect(config.contains(from))
        let bytes = Zip.archive(
            try good.entries.map { e in
                (
                    e.name,
                    e.name == "config.json" ? Array(config.replacingOccurrences(of: from, with: to).utf8) : try good.contents(of: e.name)!
                )
            })
        let error = try #require(throws: FileError.self) { try KerasFile.decode(bytes, name: "m.keras", architecture) }
        #expect(error.description.contains(message), "\(error)")
    }

    @Test func rejectsDamagedFiles() throws {
        let good = try KerasFile.encode(weights, architecture, optimizer: RMSprop())
        let archive = try Zip.Archive(good, name: "m")
        let h5 = try archive.contents(of: "model.weights.h5")!
        let cases: [[UInt8]] = [
            Zip.archive([("config.json", try archive.contents(of: "config.json")!)]),  // no weights
            Zip.archive([("config.json", Array("[1]".utf8)), ("model.weights.h5", h5)]),  // config not an object
            Zip.archive([("config.json", try archive.contents(of: "config.json")!), ("model.weights.h5", Array(h5.prefix(4000)))]),
            Zip.archive([
                ("config.json", try archive.contents(of: "config.json")!), ("model.weights.h5", [UInt8](repeating: 1, count: 5000)),
            ]),
        ]
        for bytes in cases {
            #expect(throws: (any Error).self) { try KerasFile.decode(bytes, name: "m.keras", architecture) }
        }
    }
}
