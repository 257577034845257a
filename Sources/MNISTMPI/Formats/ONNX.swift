/// The trained network as an ONNX model (opset 13) that onnxruntime and friends run:
///
///     input float[N, 784] in [0, 1]
///       -> Gemm(dense.kernel, dense.bias) -> Relu
///       -> Gemm(dense_1.kernel, dense_1.bias) -> Softmax(axis -1)
///     output "probabilities" float[N, 10]
///
/// Kernels are stored (in, out), as in Keras, so Gemm needs no transpose. Field numbers are
/// those of onnx/onnx.proto (IR version 7, the one that goes with opset 13).
public enum ONNX {
    public static let opset = 13
    public static let irVersion = 7
    public static let inputName = "input"
    public static let outputName = "probabilities"

    // onnx.proto enum values.
    private static let float32 = 1  // TensorProto.DataType.FLOAT
    private static let attributeInt = 2  // AttributeProto.AttributeType.INT

    /// The serialized ModelProto. Its metadata_props name the dataset and its classes, and the
    /// test accuracy when known.
    public static func model(
        _ parameters: FloatBuffer, _ architecture: Architecture,
        dataset: DatasetSpec, testAccuracy: String?
    ) -> [UInt8] {
        var metadata = [("dataset", dataset.name), ("classes", dataset.classNames.joined(separator: ","))]
        if let testAccuracy { metadata.append(("test_accuracy", testAccuracy)) }
        let a = architecture
        let graph = ProtobufMessage.build { g in
            g.message(1, node("Gemm", inputs: [inputName, a.w1.name, a.b1.name], output: "dense"))
            g.message(1, node("Relu", inputs: ["dense"], output: "dense.relu"))
            g.message(1, node("Gemm", inputs: ["dense.relu", a.w2.name, a.b2.name], output: "dense_1"))
            g.message(1, node("Softmax", inputs: ["dense_1"], output: outputName, attributes: [("axis", -1)]))
            g.string(2, "mnist_mpi")
            for t in a.tensors { g.message(5, initializer(t, parameters)) }
            g.message(11, valueInfo(inputName, columns: a.inputs))
            g.message(12, valueInfo(outputName, columns: a.classes))
        }
        return ProtobufMessage.build { m in
            m.int(1, irVersion)
            m.string(2, "mnist-mpi")
            m.string(3, "1.0")
            m.message(7, graph)
            m.message(
                8,
                .build {
                    $0.string(1, ""); $0.int(2, opset)
                })
            for (key, value) in metadata {
                m.message(
                    14,
                    .build {
                        $0.string(1, key); $0.string(2, value)
                    })
            }
        }.bytes
    }

    /// NodeProto: inputs (1), output (2), name (3), op_type (4), int attributes (5).
    private static func node(
        _ op: String, inputs: [String], output: String,
        attributes: [(String, Int)] = []
    ) -> ProtobufMessage {
        .build { n in
            for i in inputs { n.string(1, i) }
            n.string(2, output)
            n.string(3, output)
            n.string(4, op)
            for (name, value) in attributes {
                n.message(
                    5,
                    .build {
                        $0.string(1, name); $0.int(3, value); $0.int(20, attributeInt)
                    })
            }
        }
    }

    /// TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian float32).
    private static func initializer(_ t: Architecture.Tensor, _ parameters: FloatBuffer) -> ProtobufMessage {
        var raw = [UInt8]()
        raw.reserveCapacity(t.count * 4)
        for i in 0..<t.count {
            ByteOrder.appendLittleEndian(parameters.pointer[t.offset + i], to: &raw)
        }
        return .build { p in
            p.packedInts(1, t.shape)
            p.int(2, float32)
            p.string(8, t.name)
            p.bytes(9, raw)
        }
    }

    /// ValueInfoProto of a float[N, columns] tensor, N symbolic ("batch").
    private static func valueInfo(_ name: String, columns: Int) -> ProtobufMessage {
        let shape = ProtobufMessage.build { s in
            s.message(1, .build { $0.string(2, "batch") })  // Dimension.dim_param
            s.message(1, .build { $0.int(1, columns) })  // Dimension.dim_value
        }
        let tensorType = ProtobufMessage.build {
            $0.int(1, float32); $0.message(2, shape)
        }
        return .build { v in
            v.string(1, name)
            v.message(2, .build { $0.message(1, tensorType) })  // TypeProto.tensor_type
        }
    }
}
