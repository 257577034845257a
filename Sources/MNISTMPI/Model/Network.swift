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
    /// logits = relu(x W1 + b1) W2 + b2 for the given rows of the workspace.
    public static func forward(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>) {
        let a = ws.architecture, p = params.pointer, first = rows.lowerBound
        let hidden = ws.hidden.pointer + first * a.hidden
        Dense.forward(x: ws.x.pointer + first * a.inputs, rows: rows.count, inputs: a.inputs, outputs: a.hidden,
                      weight: p + a.w1.offset, bias: p + a.b1.offset, y: hidden)
        ReLU.forward(hidden, count: rows.count * a.hidden)
        Dense.forward(x: hidden, rows: rows.count, inputs: a.hidden, outputs: a.classes,
                      weight: p + a.w2.offset, bias: p + a.b2.offset, y: ws.logits.pointer + first * a.classes)
    }

    /// After `forward`: writes the gradient of the loss SUM over the rows into `gradients`
    /// (laid out like the parameters) and returns the loss sum and the number of correct predictions.
    public static func backward(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>,
                                gradients: UnsafeMutablePointer<Float>) -> (loss: Float, correct: Int) {
        let result = outputGradient(ws, rows: rows)
        hiddenGradient(params, ws, rows: rows)
        weightGradients(ws, rows: rows, into: gradients)
        return result
    }

    // The three stages of `backward`, output layer to input layer.

    /// Loss and dL/dlogits of the given rows; returns their loss sum and correct count.
    public static func outputGradient(_ ws: Workspace, rows: Range<Int>) -> (loss: Float, correct: Int) {
        let c = ws.architecture.classes
        return SoftmaxCrossEntropy.forwardBackward(
            logits: ws.logits.pointer + rows.lowerBound * c, labels: ws.labels + rows.lowerBound, rows: rows.count,
            classes: c, dLogits: ws.dLogits.pointer + rows.lowerBound * c)
    }

    /// dL/dhidden of the given rows, through layer 2 and the ReLU.
    public static func hiddenGradient(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>) {
        let a = ws.architecture, first = rows.lowerBound
        Dense.inputGradient(dy: ws.dLogits.pointer + first * a.classes, rows: rows.count, inputs: a.hidden,
                            outputs: a.classes, weight: params.pointer + a.w2.offset,
                            dx: ws.dHidden.pointer + first * a.hidden)
        ReLU.backward(output: ws.hidden.pointer + first * a.hidden, gradient: ws.dHidden.pointer + first * a.hidden,
                      count: rows.count * a.hidden)
    }

    /// The gradients of all four tensors summed over the given rows, written into `gradients`.
    /// Layer 1's input is the data, so its gradient is never needed.
    public static func weightGradients(_ ws: Workspace, rows: Range<Int>, into gradients: UnsafeMutablePointer<Float>) {
        let a = ws.architecture, first = rows.lowerBound
        Dense.weightGradient(x: ws.hidden.pointer + first * a.hidden, dy: ws.dLogits.pointer + first * a.classes,
                             rows: rows.count, inputs: a.hidden, outputs: a.classes,
                             dWeight: gradients + a.w2.offset, dBias: gradients + a.b2.offset)
        Dense.weightGradient(x: ws.x.pointer + first * a.inputs, dy: ws.dHidden.pointer + first * a.hidden,
                             rows: rows.count, inputs: a.inputs, outputs: a.hidden,
                             dWeight: gradients + a.w1.offset, dBias: gradients + a.b1.offset)
    }
}
