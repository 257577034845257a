#if canImport(Glibc)
    import Glibc
#endif

/// The network as a Keras 3 model archive, the file `model.save("mnist.keras")` writes and
/// `keras.saving.load_model` opens: a stored zip of
///
///     metadata.json      {"keras_version": ..., "date_saved": ...}
///     config.json        Sequential([InputLayer((None, 784)), Dense(512, relu), Dense(10, softmax)]),
///                        compiled with RMSprop, sparse categorical cross-entropy and accuracy; in
///                        mixed bfloat16, the Dense layers under Keras's `mixed_bfloat16` policy and
///                        the softmax a float32 Activation layer of its own after a linear Dense(10),
///                        as Keras's mixed-precision guide builds the output
///     model.weights.h5   layers/dense/vars/{0: kernel (784, 512), 1: bias}, layers/dense_1/vars/...,
///                        optimizer/vars/{0: iterations, 1: learning rate, 2-5: RMSprop's velocities}
///
/// Keras keeps kernels (in, out) as we do, so the tensors go across unchanged.
public enum KerasFile {
    /// The Keras release whose layout this follows, recorded as the file's `keras_version`.
    public static let kerasVersion = "3.15.1"

    /// True when `bytes` start as a zip archive does (a safetensors file cannot: its first
    /// eight bytes are a header length far below 2^56).
    public static func isArchive(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x50, 0x4b, 0x03, 0x04]) }

    /// Keras's names for the two Dense layers, in order.
    public static let layerNames = ["dense", "dense_1"]

    /// The archive of `parameters`, compiled with `optimizer`; with RMSprop's `velocity` and
    /// step count when known (else a fresh optimizer's zeros), so that Keras can train on.
    /// `precision` is the dtype policy the layers name.
    public static func encode(
        _ parameters: FloatBuffer, _ architecture: Architecture, optimizer: RMSprop,
        velocity: FloatBuffer? = nil, iterations: Int = 0, precision: Precision = .float32
    ) throws -> [UInt8] {
        let a = architecture
        let weights = try HDF5.create(name: "model.weights.h5") { h5 in
            for (layer, kernel, bias) in [(layerNames[0], a.w1, a.b1), (layerNames[1], a.w2, a.b2)] {
                try h5.group("layers/\(layer)/vars", attributes: [("name", layer)])
                try h5.floats("layers/\(layer)/vars/0", shape: kernel.shape, values(parameters, kernel))
                try h5.floats("layers/\(layer)/vars/1", shape: bias.shape, values(parameters, bias))
            }
            try h5.group("optimizer/vars", attributes: [("name", "rmsprop")])
            try h5.int32("optimizer/vars/0", Int32(clamping: iterations))
            try h5.floats("optimizer/vars/1", shape: [], [optimizer.learningRate])
            let state = velocity ?? FloatBuffer(count: a.parameterCount)
            for (i, t) in a.tensors.enumerated() { try h5.floats("optimizer/vars/\(i + 2)", shape: t.shape, values(state, t)) }
            try h5.group("vars", attributes: [("name", "sequential")])
        }
        let metadata = JSON.object([("keras_version", .string(kerasVersion)), ("date_saved", .string(dateSaved()))])
        return Zip.archive([
            ("metadata.json", Array(metadata.text.utf8)),
            ("config.json", Array(config(a, optimizer: optimizer, precision: precision).text.utf8)),
            ("model.weights.h5", weights),
        ])
    }

    /// The weights of a Keras 3 archive of `architecture`'s model (ours, or one Keras saved),
    /// after checking its config describes that model. Optimizer state is not read.
    public static func decode(_ bytes: [UInt8], name: String, _ architecture: Architecture) throws -> FloatBuffer {
        let (archive, config) = try opened(bytes, name: name)
        func fail(_ reason: String) -> FileError { FileError(file: name, reason: reason) }
        guard let weights = try archive.contents(of: "model.weights.h5") else { throw fail(notAModel) }
        let layers = try denseLayers(of: config, architecture, fail: fail)
        let a = architecture
        let paths = layers.flatMap { layer in ["layers/\(layer)/vars/0", "layers/\(layer)/vars/1"] }
        let stored = try HDF5.readFloats(weights, name: "\(name): model.weights.h5", paths: paths)
        let parameters = FloatBuffer(count: a.parameterCount)
        for (path, t) in zip(paths, a.tensors) {
            guard let set = stored[path] else { throw fail("model.weights.h5 has no \(path)") }
            guard set.shape == t.shape else { throw fail("model.weights.h5: \(path) has shape \(set.shape), this model needs \(t.shape)") }
            set.values.withUnsafeBufferPointer { (parameters.pointer + t.offset).update(from: $0.baseAddress!, count: t.count) }
        }
        return parameters
    }

    /// The dtype policy the archive's first layer names (`Precision.kerasPolicy`), or nil for
    /// one this program does not compute in.
    public static func precision(_ bytes: [UInt8], name: String) throws -> Precision? {
        let layers = try opened(bytes, name: name).config["config"]?["layers"]?.array ?? []
        let first = layers.first { $0["class_name"]?.string == "Dense" }
        let policy = first?["config"]?["dtype"]?["config"]?["name"]?.string ?? "float32"
        return Precision.allCases.first { $0.kerasPolicy == policy }
    }

    private static let notAModel = "has no config.json or model.weights.h5: not a Keras 3 model archive"

    /// The archive and its parsed config.json.
    private static func opened(_ bytes: [UInt8], name: String) throws -> (archive: Zip.Archive, config: JSON) {
        let archive = try Zip.Archive(bytes, name: name)
        guard let configBytes = try archive.contents(of: "config.json", limit: 1 << 20) else {
            throw FileError(file: name, reason: notAModel)
        }
        guard let config = try? JSON.parse(configBytes), config.members != nil else {
            throw FileError(file: name, reason: "config.json is not a JSON object")
        }
        return (archive, config)
    }

    private static func values(_ buffer: FloatBuffer, _ t: Architecture.Tensor) -> [Float] {
        Array(UnsafeBufferPointer(start: buffer.pointer + t.offset, count: t.count))
    }

    /// The names of the two Dense layers of a Sequential config that is `architecture`'s
    /// model, or an error naming the first difference.
    private static func denseLayers(
        of config: JSON, _ a: Architecture,
        fail: (String) -> FileError
    ) throws -> [String] {
        let ours = "Sequential: \(a.inputs) inputs -> Dense(\(a.hidden), relu) -> Dense(\(a.classes), softmax)"
        let kind = config["class_name"]?.string ?? "unnamed"
        guard kind == "Sequential" else { throw fail("is a \(kind) model; mnist-mpi's model is \(ours)") }
        let layers = config["config"]?["layers"]?.array ?? []
        var inputs: Int?
        var dense: [(name: String, config: JSON)] = []
        var softmaxAfter: String?  // the Dense layer a separate softmax Activation follows
        for layer in layers {
            let kind = layer["class_name"]?.string ?? "unnamed"
            let settings = layer["config"] ?? .object([])
            let name = settings["name"]?.string ?? "?"
            switch kind {
            case "InputLayer":
                inputs = settings["batch_shape"]?.array?.last?.int
            case "Dense":
                if inputs == nil, dense.isEmpty {
                    inputs = layer["build_config"]?["input_shape"]?.array?.last?.int
                }
                dense.append((name, settings))
            case "Activation" where settings["activation"]?.string == "softmax" && dense.count == 2 && softmaxAfter == nil:
                softmaxAfter = dense[1].name
            default:
                throw fail("has a \(kind) layer (\(name)); mnist-mpi's model is \(ours)")
            }
        }
        guard dense.count == 2 else { throw fail("has \(dense.count) Dense layers; mnist-mpi's model is \(ours)") }
        if let inputs, inputs != a.inputs { throw fail("takes \(inputs) inputs; mnist-mpi's model is \(ours)") }
        for ((name, settings), (units, activation)) in zip(dense, [(a.hidden, "relu"), (a.classes, "softmax")]) {
            var found = (settings["units"]?.int, settings["activation"]?.string ?? "a custom activation")
            // Dense then Activation(softmax) is the same model when the Dense is linear.
            if name == softmaxAfter { found.1 = found.1 == "linear" ? "softmax" : "\(found.1), then softmax" }
            guard found.0 == units, found.1 == activation, settings["use_bias"]?.bool ?? true else {
                let bias = settings["use_bias"]?.bool ?? true ? "" : ", no bias"
                throw fail(
                    "layer \(name) is Dense(\(found.0.map(String.init) ?? "?"), \(found.1)\(bias)), mnist-mpi's model needs Dense(\(units), \(activation)) there"
                )
            }
        }
        return dense.map(\.name)
    }

    /// config.json: what Keras 3 writes for the tutorial's model, compiled as the tutorial does.
    private static func config(_ a: Architecture, optimizer: RMSprop, precision: Precision) -> JSON {
        let float32 = JSON.object(object("keras", "DTypePolicy", [("name", .string("float32"))]))
        let policy = JSON.object(object("keras", "DTypePolicy", [("name", .string(precision.kerasPolicy))]))
        func initializer(_ kind: String, _ config: [(String, JSON)]) -> JSON { .object(object("keras.initializers", kind, config)) }
        func dense(_ name: String, units: Int, activation: String, inputs: Int) -> JSON {
            var layer = object(
                "keras.layers", "Dense",
                [
                    ("name", .string(name)), ("trainable", .bool(true)), ("dtype", policy),
                    ("units", .integer(units)), ("activation", .string(activation)), ("use_bias", .bool(true)),
                    ("kernel_initializer", initializer("GlorotUniform", [("seed", .null)])),
                    ("bias_initializer", initializer("Zeros", [])),
                    ("kernel_regularizer", .null), ("bias_regularizer", .null), ("activity_regularizer", .null),
                    ("kernel_constraint", .null), ("bias_constraint", .null),
                ])
            layer.append(("build_config", .object([("input_shape", .array([.null, .integer(inputs)]))])))
            return .object(layer)
        }
        let input = JSON.object(
            object(
                "keras.layers", "InputLayer",
                [
                    ("batch_shape", .array([.null, .integer(a.inputs)])), ("dtype", .string("float32")),
                    ("sparse", .bool(false)), ("name", .string("input_layer")),
                ]))
        var model = object(
            "keras", "Sequential",
            [
                ("name", .string("sequential")), ("trainable", .bool(true)), ("dtype", float32),
                (
                    "layers",
                    .array(
                        [
                            input, dense(layerNames[0], units: a.hidden, activation: "relu", inputs: a.inputs),
                            dense(
                                layerNames[1], units: a.classes, activation: precision == .float32 ? "softmax" : "linear", inputs: a.hidden),
                        ] + (precision == .float32 ? [] : [softmax(float32, inputs: a.classes)]))
                ),
                ("build_input_shape", .array([.null, .integer(a.inputs)])),
            ])
        let rmsprop = object(
            "keras.optimizers", "RMSprop",
            [
                ("name", .string("rmsprop")),
                ("learning_rate", .number(Double(optimizer.learningRate))),
                ("rho", .number(optimizer.rho)),
                ("momentum", .number(0)),
                ("epsilon", .number(shortestDecimal(optimizer.epsilon))),
                ("centered", .bool(false)),
            ])
        model.append(("build_config", .object([("input_shape", .array([.null, .integer(a.inputs)]))])))
        model.append(
            (
                "compile_config",
                .object([
                    ("optimizer", .object(rmsprop)), ("loss", .string("sparse_categorical_crossentropy")),
                    ("loss_weights", .null), ("metrics", .array([.string("accuracy")])), ("weighted_metrics", .null),
                    ("run_eagerly", .bool(false)), ("steps_per_execution", .integer(1)), ("jit_compile", .bool(false)),
                ])
            ))
        return .object(model)
    }

    /// The float32 softmax after the output layer of a mixed-precision model.
    private static func softmax(_ float32: JSON, inputs: Int) -> JSON {
        var layer = object(
            "keras.layers", "Activation",
            [("name", .string("activation")), ("trainable", .bool(true)), ("dtype", float32), ("activation", .string("softmax"))])
        layer.append(("build_config", .object([("input_shape", .array([.null, .integer(inputs)]))])))
        return .object(layer)
    }

    /// Keras's serialized object: `{"module", "class_name", "config", "registered_name"}`.
    private static func object(_ module: String, _ kind: String, _ config: [(String, JSON)]) -> [(String, JSON)] {
        [("module", .string(module)), ("class_name", .string(kind)), ("config", .object(config)), ("registered_name", .null)]
    }

    /// Now, as Keras writes `date_saved` (local time).
    private static func dateSaved() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 32)
        let length = strftime(&text, text.count, "%Y-%m-%d@%H:%M:%S", &parts)
        return String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
