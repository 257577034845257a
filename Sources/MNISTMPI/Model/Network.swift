import CBLAS
import CKernels

/// The forward and backward passes of the whole network over the samples in a workspace, in
/// the workspace's `Precision` (the mixed-precision branch of each beside the float32 one).
public enum Network {
    /// Before a step's (or an evaluation's) passes with weights `params`: in mixed precision,
    /// their bfloat16 copies.
    public static func prepare(_ params: FloatBuffer, _ ws: Workspace) {
        guard let b = ws.bfloat16 else { return }
        let a = ws.architecture, p = params.pointer
        bf16_pair_rows(p + a.w1.offset, a.inputs, a.hidden, a.hidden, b.w1Pairs)
        bf16_round(p + a.w2.offset, b.w2.pointer, a.w2.count)
    }

    /// logits = relu(x W1 + b1) W2 + b2 for the given rows of the workspace.
    public static func forward(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>) {
        if let b = ws.bfloat16 { return forward(params, ws, rows: rows, bfloat16: b) }
        let a = ws.architecture, p = params.pointer, first = rows.lowerBound
        let hidden = ws.hidden.pointer + first * a.hidden
        firstLayerProduct(p + a.w1.offset, ws, rows: rows, into: hidden)
        Kernels.table.add_bias(hidden, p + a.b1.offset, rows.count, a.hidden, 1)
        Dense.forward(
            x: hidden, rows: rows.count, inputs: a.hidden, outputs: a.classes,
            weight: p + a.w2.offset, bias: p + a.b2.offset, y: ws.logits.pointer + first * a.classes)
    }

    /// x W1 for the given rows, over the inputs some row lights only (a third of MNIST's pixels
    /// are dark in a whole batch), W1's rows gathered a block at a time.
    private static func firstLayerProduct(
        _ w1: UnsafePointer<Float>, _ ws: Workspace, rows: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        let a = ws.architecture, x = ws.x.pointer + rows.lowerBound * a.inputs
        guard let lit = gatherLitColumns(x, rows: rows.count, columns: a.inputs, ld: a.inputs, ws) else {
            return BLAS.sgemm(
                CblasNoTrans, CblasNoTrans, m: rows.count, n: a.hidden, k: a.inputs,
                alpha: 1, a: x, lda: a.inputs, b: w1, ldb: a.hidden, beta: 0, c: y, ldc: a.hidden)
        }
        if lit == 0 { y.update(repeating: 0, count: rows.count * a.hidden) }
        for start in stride(from: 0, to: lit, by: Workspace.litBlock) {
            let k = min(Workspace.litBlock, lit - start)
            gather_rows(w1, a.hidden, ws.litInputs + start, k, ws.litW1.pointer)
            BLAS.sgemm(
                CblasNoTrans, CblasNoTrans, m: rows.count, n: a.hidden, k: k, alpha: 1, a: ws.litX.pointer + start,
                lda: lit, b: ws.litW1.pointer, ldb: a.hidden, beta: start == 0 ? 0 : 1, c: y, ldc: a.hidden)
        }
    }

    /// The columns of x (rows `ld` elements apart) that some row lights, packed into `ws.litX`
    /// (their indices in `ws.litInputs`), and how many; nil when less than an eighth are dark:
    /// the gathers would then cost about what skipping the others saves.
    private static func gatherLitColumns(_ x: UnsafeRawPointer, rows: Int, columns: Int, ld: Int, _ ws: Workspace) -> Int? {
        let lit = lit_columns(x, rows, columns, ld, ws.litInputs)
        guard lit <= columns - columns / 8 else { return nil }
        gather_columns(x, rows, ld, ws.litInputs, lit, ws.litX.pointer)
        return lit
    }

    /// `forward` in mixed precision (`Precision.mixedBFloat16`), after `prepare`.
    private static func forward(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>, bfloat16 b: BFloat16Operands) {
        let a = ws.architecture, p = params.pointer, first = rows.lowerBound
        let hidden = ws.hidden.pointer + first * a.hidden, logits = ws.logits.pointer + first * a.classes
        let x = b.x + first * a.inputs
        bf16_convert(ws.x.pointer + first * a.inputs, x, rows.count * a.inputs)
        x.withMemoryRebound(to: UInt32.self, capacity: rows.count * a.inputs / 2) { pairs in
            // Only the pairs of inputs some row lights: a pair of zeros adds exactly +0 to each
            // sum, which starts at +0, so these are the bits of the whole product.
            let n = a.inputs / 2, lit = lit_columns(pairs, rows.count, n, n, ws.litInputs)
            bf16_pair_product(rows.count, a.hidden, lit, pairs, n, 1, b.w1Pairs, a.hidden, hidden, a.hidden, nil, ws.litInputs)
        }
        bf16_bias_round(hidden, p + a.b1.offset, rows.count, a.hidden, 1)
        BLAS.sgemm(
            CblasNoTrans, CblasNoTrans, m: rows.count, n: a.classes, k: a.hidden,
            alpha: 1, a: hidden, lda: a.hidden, b: b.w2.pointer, ldb: a.classes, beta: 0, c: logits, ldc: a.classes)
        bf16_bias_round(logits, p + a.b2.offset, rows.count, a.classes, 0)
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
        let c = ws.architecture.classes, dLogits = ws.dLogits.pointer + rows.lowerBound * c
        let result = SoftmaxCrossEntropy.forwardBackward(
            logits: ws.logits.pointer + rows.lowerBound * c, labels: ws.labels + rows.lowerBound, rows: rows.count,
            classes: c, dLogits: dLogits)
        if ws.bfloat16 != nil { bf16_round(dLogits, dLogits, rows.count * c) }
        return result
    }

    /// dL/dhidden of the given rows, through layer 2 and the ReLU.
    public static func hiddenGradient(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>) {
        let a = ws.architecture, first = rows.lowerBound
        let dHidden = ws.dHidden.pointer + first * a.hidden
        Dense.inputGradient(
            dy: ws.dLogits.pointer + first * a.classes, rows: rows.count, inputs: a.hidden,
            outputs: a.classes, weight: ws.bfloat16?.w2.pointer ?? params.pointer + a.w2.offset, dx: dHidden)
        if ws.bfloat16 != nil { bf16_round(dHidden, dHidden, rows.count * a.hidden) }
        ReLU.backward(output: ws.hidden.pointer + first * a.hidden, gradient: dHidden, count: rows.count * a.hidden)
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
        let dHidden = ws.dHidden.pointer + first * a.hidden
        let x = ws.x.pointer + first * a.inputs + inputs.lowerBound
        if let b = ws.bfloat16 {
            // dW = xᵀ dy over pairs of samples (x's rows paired column by column, dy's likewise),
            // for the inputs some row lights: the kernel's rows of the others are +0.
            let lit = lit_columns(x, rows.count, inputs.count, a.inputs, ws.litInputs)
            bf16_pair_rows(x, rows.count, inputs.count, a.inputs, b.xPairs)
            bf16_pair_rows(dHidden, rows.count, a.hidden, a.hidden, b.dHiddenPairs)
            clear_dark_rows(kernel, a.hidden, ws.litInputs, lit, inputs.count)
            bf16_pair_product(
                lit, a.hidden, (rows.count + 1) / 2, b.xPairs, 1, inputs.count, b.dHiddenPairs, a.hidden, kernel, a.hidden,
                ws.litInputs, nil)
            return Kernels.table.column_sums(dHidden, rows.count, a.hidden, bias)
        }
        // Only the inputs some row lights (as `firstLayerProduct`): the kernel's rows of the
        // others are exactly +0.
        guard let lit = gatherLitColumns(x, rows: rows.count, columns: inputs.count, ld: a.inputs, ws) else {
            return Dense.weightGradient(
                x: x, xStride: a.inputs, dy: dHidden, rows: rows.count, inputs: inputs.count, outputs: a.hidden,
                dWeight: kernel, dBias: bias)
        }
        Dense.weightGradient(
            x: ws.litX.pointer, xStride: max(lit, 1), dy: dHidden, rows: rows.count, inputs: lit, outputs: a.hidden,
            dWeight: kernel, dBias: bias)
        spread_rows(kernel, a.hidden, ws.litInputs, lit, inputs.count)
    }
}
