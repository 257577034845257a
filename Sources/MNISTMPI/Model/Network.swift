/// Activations and their gradients for up to `capacity` samples, allocated once and reused by
/// every step so that the training loop never allocates.
public final class Workspace {
    public let architecture: Architecture
    public let capacity: Int
    /// Inputs, scaled to [0, 1]: capacity x inputs.
    public let x: FloatBuffer
    public let labels: UnsafeMutablePointer<Int32>
    /// ReLU outputs: capacity x hidden.
    public let hidden: FloatBuffer
    /// capacity x classes.
    public let logits: FloatBuffer
    public let dLogits: FloatBuffer
    public let dHidden: FloatBuffer

    public init(_ architecture: Architecture, capacity: Int) {
        self.architecture = architecture
        self.capacity = capacity
        x = FloatBuffer(count: capacity * architecture.inputs)
        labels = .allocate(capacity: max(capacity, 1))
        labels.initialize(repeating: 0, count: max(capacity, 1))
        hidden = FloatBuffer(count: capacity * architecture.hidden)
        logits = FloatBuffer(count: capacity * architecture.classes)
        dLogits = FloatBuffer(count: capacity * architecture.classes)
        dHidden = FloatBuffer(count: capacity * architecture.hidden)
    }

    deinit { labels.deallocate() }

    /// Copies samples `indices` of `split` into `x` (as `pixel / 255`) and `labels`.
    public func load<C: Collection>(_ split: Split, indices: C) where C.Element == Int32 {
        precondition(indices.count <= capacity)
        let size = architecture.inputs
        split.images.withUnsafeBufferPointer { images in
            for (row, index) in indices.enumerated() {
                let source = images.baseAddress! + Int(index) * size
                let target = x.pointer + row * size
                for k in 0..<size { target[k] = Float(source[k]) / 255 }
                labels[row] = Int32(split.labels[Int(index)])
            }
        }
    }
}

/// The forward and backward passes of the whole network over the samples in a workspace.
public enum Network {
    /// logits = relu(x W1 + b1) W2 + b2 for the first `rows` samples.
    public static func forward(_ params: FloatBuffer, _ ws: Workspace, rows: Int) {
        let a = ws.architecture, p = params.pointer
        Dense.forward(x: ws.x.pointer, rows: rows, inputs: a.inputs, outputs: a.hidden,
                      weight: p + a.w1.offset, bias: p + a.b1.offset, y: ws.hidden.pointer)
        ReLU.forward(ws.hidden.pointer, count: rows * a.hidden)
        Dense.forward(x: ws.hidden.pointer, rows: rows, inputs: a.hidden, outputs: a.classes,
                      weight: p + a.w2.offset, bias: p + a.b2.offset, y: ws.logits.pointer)
    }

    /// After `forward`: writes the gradient of the loss SUM over the rows into `gradients`
    /// (laid out like the parameters) and returns the loss sum and the number of correct predictions.
    public static func backward(_ params: FloatBuffer, _ ws: Workspace, rows: Int,
                                gradients: UnsafeMutablePointer<Float>) -> (loss: Float, correct: Int) {
        let a = ws.architecture, p = params.pointer
        let result = SoftmaxCrossEntropy.forwardBackward(
            logits: ws.logits.pointer, labels: ws.labels, rows: rows, classes: a.classes, dLogits: ws.dLogits.pointer)
        Dense.backward(x: ws.hidden.pointer, dy: ws.dLogits.pointer, rows: rows, inputs: a.hidden, outputs: a.classes,
                       weight: p + a.w2.offset, dWeight: gradients + a.w2.offset, dBias: gradients + a.b2.offset,
                       dx: ws.dHidden.pointer)
        ReLU.backward(output: ws.hidden.pointer, gradient: ws.dHidden.pointer, count: rows * a.hidden)
        // Layer 1's input is the data: its gradient is never needed.
        Dense.backward(x: ws.x.pointer, dy: ws.dHidden.pointer, rows: rows, inputs: a.inputs, outputs: a.hidden,
                       weight: p + a.w1.offset, dWeight: gradients + a.w1.offset, dBias: gradients + a.b1.offset,
                       dx: nil)
        return result
    }
}
