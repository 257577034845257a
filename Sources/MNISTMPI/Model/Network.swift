/// The forward and backward passes of the whole network over the samples in a workspace.
public enum Network {
    /// logits = relu(x W1 + b1) W2 + b2 for the given rows of the workspace.
    public static func forward(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>) {
        let a = ws.architecture, p = params.pointer, first = rows.lowerBound
        let hidden = ws.hidden.pointer + first * a.hidden
        Dense.forward(
            x: ws.x.pointer + first * a.inputs, rows: rows.count, inputs: a.inputs, outputs: a.hidden,
            weight: p + a.w1.offset, bias: p + a.b1.offset, y: hidden)
        ReLU.forward(hidden, count: rows.count * a.hidden)
        Dense.forward(
            x: hidden, rows: rows.count, inputs: a.hidden, outputs: a.classes,
            weight: p + a.w2.offset, bias: p + a.b2.offset, y: ws.logits.pointer + first * a.classes)
    }

    /// After `forward`: writes the gradient of the loss SUM over the rows into `gradients`
    /// (laid out like the parameters) and returns the loss sum and the number of correct predictions.
    public static func backward(
        _ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>,
        gradients: UnsafeMutablePointer<Float>
    ) -> (loss: Float, correct: Int) {
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
        Dense.inputGradient(
            dy: ws.dLogits.pointer + first * a.classes, rows: rows.count, inputs: a.hidden,
            outputs: a.classes, weight: params.pointer + a.w2.offset,
            dx: ws.dHidden.pointer + first * a.hidden)
        ReLU.backward(
            output: ws.hidden.pointer + first * a.hidden, gradient: ws.dHidden.pointer + first * a.hidden,
            count: rows.count * a.hidden)
    }

    /// The gradients of all four tensors summed over the given rows, written into `gradients`.
    /// Layer 1's input is the data, so its gradient is never needed.
    public static func weightGradients(_ ws: Workspace, rows: Range<Int>, into gradients: UnsafeMutablePointer<Float>) {
        let a = ws.architecture, first = rows.lowerBound
        Dense.weightGradient(
            x: ws.hidden.pointer + first * a.hidden, dy: ws.dLogits.pointer + first * a.classes,
            rows: rows.count, inputs: a.hidden, outputs: a.classes,
            dWeight: gradients + a.w2.offset, dBias: gradients + a.b2.offset)
        Dense.weightGradient(
            x: ws.x.pointer + first * a.inputs, dy: ws.dHidden.pointer + first * a.hidden,
            rows: rows.count, inputs: a.inputs, outputs: a.hidden,
            dWeight: gradients + a.w1.offset, dBias: gradients + a.b1.offset)
    }
}
