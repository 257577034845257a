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
        let result = backwardToHidden(params, ws, rows: rows)
        secondLayerGradients(ws, rows: rows, into: gradients)
        firstLayerGradients(ws, rows: rows, into: gradients)
        return result
    }

    /// After `forward`: dL/dlogits and dL/dhidden of the rows (the hidden layer's gradient d,
    /// what the factored reduction exchanges); returns their loss sum and correct count.
    public static func backwardToHidden(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>) -> (loss: Float, correct: Int) {
        let result = outputGradient(ws, rows: rows)
        hiddenGradient(params, ws, rows: rows)
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

    /// The second layer's kernel and bias gradients summed over the given rows, into
    /// `gradients` (laid out like the parameters).
    public static func secondLayerGradients(_ ws: Workspace, rows: Range<Int>, into gradients: UnsafeMutablePointer<Float>) {
        let a = ws.architecture, first = rows.lowerBound
        Dense.weightGradient(
            x: ws.hidden.pointer + first * a.hidden, dy: ws.dLogits.pointer + first * a.classes,
            rows: rows.count, inputs: a.hidden, outputs: a.classes,
            dWeight: gradients + a.w2.offset, dBias: gradients + a.b2.offset)
    }

    /// The first layer's kernel and bias gradients summed over the given rows, into
    /// `gradients`. Layer 1's input is the data, so its input gradient is never needed.
    public static func firstLayerGradients(_ ws: Workspace, rows: Range<Int>, into gradients: UnsafeMutablePointer<Float>) {
        let a = ws.architecture
        firstLayerGradients(ws, rows: rows, inputs: 0..<a.inputs, kernel: gradients + a.w1.offset, bias: gradients + a.b1.offset)
    }

    /// Rows `inputs` of the first layer's kernel gradient (`inputs.count` x hidden, into
    /// `kernel`) and the bias gradient, summed over the given rows.
    public static func firstLayerGradients(
        _ ws: Workspace, rows: Range<Int>, inputs: Range<Int>, kernel: UnsafeMutablePointer<Float>,
        bias: UnsafeMutablePointer<Float>
    ) {
        let a = ws.architecture, first = rows.lowerBound
        Dense.weightGradient(
            x: ws.x.pointer + first * a.inputs + inputs.lowerBound, xStride: a.inputs,
            dy: ws.dHidden.pointer + first * a.hidden, rows: rows.count, inputs: inputs.count, outputs: a.hidden,
            dWeight: kernel, dBias: bias)
    }
}
