import CBLAS
import CKernels

/// The forward and backward passes of the whole network over the samples in a workspace, in
/// the workspace's `Precision` (the mixed-precision branch of each beside the float32 one).
public enum Network {
    /// Before a step's (or an evaluation's) passes with weights `params`: W2 transposed for the
    /// backward, and in mixed precision the bfloat16 copies (W1's, pair by pair as the forward
    /// passes need them).
    public static func prepare(_ params: FloatBuffer, _ ws: Workspace) {
        let a = ws.architecture
        var w2 = UnsafePointer(params.pointer + a.w2.offset)
        if let b = ws.bfloat16 {
            b.weightsVersion &+= 1
            bf16_round(w2, b.w2.pointer, a.w2.count)
            w2 = UnsafePointer(b.w2.pointer)
        }
        for k in 0..<a.hidden {
            for c in 0..<a.classes { ws.w2Transposed[c * a.hidden + k] = w2[k * a.classes + c] }
        }
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

    /// x W1 for the given rows (the product skips the inputs no row of its tiles lights: their
    /// products add nothing).
    private static func firstLayerProduct(
        _ w1: UnsafePointer<Float>, _ ws: Workspace, rows: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        let a = ws.architecture, x = ws.x.pointer + rows.lowerBound * a.inputs
        Columns.split(a.hidden) { j, n in
            Kernels.table.product(rows.count, n, a.inputs, x, a.inputs, 1, w1 + j, a.hidden, y + j, a.hidden, nil, nil)
        }
    }

    /// `forward` in mixed precision (`Precision.mixedBFloat16`), after `prepare`.
    private static func forward(_ params: FloatBuffer, _ ws: Workspace, rows: Range<Int>, bfloat16 b: BFloat16Operands) {
        let a = ws.architecture, p = params.pointer, first = rows.lowerBound
        let hidden = ws.hidden.pointer + first * a.hidden, logits = ws.logits.pointer + first * a.classes
        let x = b.x + first * a.inputs
        bf16_convert(ws.x.pointer + first * a.inputs, x, rows.count * a.inputs)
        x.withMemoryRebound(to: UInt32.self, capacity: rows.count * a.inputs / 2) { pairs in
            // The product reads only the pairs of inputs some row lights (`bf16_pair_product`
            // skips the others, four rows at a time), so only those need packing.
            let n = a.inputs / 2
            if !b.packedBySteps {
                let lit = lit_columns(pairs, rows.count, n, n, ws.litInputs)
                b.packW1(p + a.w1.offset, rows: a.inputs, columns: a.hidden, pairs: ws.litInputs, count: lit)
            }
            Columns.split(a.hidden) { j, width in
                bf16_pair_product(rows.count, width, n, pairs, n, 1, b.w1Pairs + j, a.hidden, hidden + j, a.hidden, nil, nil)
            }
        }
        bf16_bias_round(hidden, p + a.b1.offset, rows.count, a.hidden, 1)
        BLAS.sgemm(
            CblasNoTrans, CblasNoTrans, m: rows.count, n: a.classes, k: a.hidden,
            alpha: 1, a: hidden, lda: a.hidden, b: b.w2.pointer, ldb: a.classes, beta: 0, c: logits, ldc: a.classes)
        bf16_bias_round(logits, p + a.b2.offset, rows.count, a.classes, 0)
    }

    /// After `forward` (whose weights `prepare` readied): writes the gradient of the loss SUM
    /// over the rows into `gradients` (laid out like the parameters) and returns the loss sum
    /// and the number of correct predictions.
    public static func backward(
        _ ws: Workspace, rows: Range<Int>, gradients: UnsafeMutablePointer<Float>
    ) -> (loss: Float, correct: Int) {
        let result = backwardToHidden(ws, rows: rows)
        secondLayerGradients(ws, rows: rows, into: gradients)
        firstLayerGradients(ws, rows: rows, into: gradients)
        return result
    }

    /// After `forward`: dL/dlogits and dL/dhidden of the rows (the hidden layer's gradient d,
    /// what the factored reduction exchanges); returns their loss sum and correct count.
    public static func backwardToHidden(_ ws: Workspace, rows: Range<Int>) -> (loss: Float, correct: Int) {
        let result = outputGradient(ws, rows: rows)
        hiddenGradient(ws, rows: rows)
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

    /// dL/dhidden of the given rows, through layer 2 (as `prepare` transposed it) and the ReLU.
    public static func hiddenGradient(_ ws: Workspace, rows: Range<Int>) {
        let a = ws.architecture, first = rows.lowerBound
        let dHidden = ws.dHidden.pointer + first * a.hidden
        Dense.inputGradient(
            dy: ws.dLogits.pointer + first * a.classes, rows: rows.count, inputs: a.hidden,
            outputs: a.classes, weightTransposed: ws.w2Transposed.pointer, dx: dHidden)
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
        // dW = xᵀ dy over the inputs some row lights: the kernel's rows of the others are +0.
        let lit = lit_columns(x, rows.count, inputs.count, a.inputs, ws.litInputs)
        clear_dark_rows(kernel, a.hidden, ws.litInputs, lit, inputs.count)
        if let b = ws.bfloat16 {
            // Over pairs of samples: x's rows paired column by column, dy's likewise.
            bf16_pair_rows(x, rows.count, inputs.count, a.inputs, b.xPairs)
            bf16_pair_rows(dHidden, rows.count, a.hidden, a.hidden, b.dHiddenPairs)
            Columns.split(a.hidden) { j, n in
                bf16_pair_product(
                    lit, n, (rows.count + 1) / 2, b.xPairs, 1, inputs.count, b.dHiddenPairs + j, a.hidden, kernel + j,
                    a.hidden, ws.litInputs, nil)
            }
        } else {
            Columns.split(a.hidden) { j, n in
                Kernels.table.product(
                    lit, n, rows.count, x, 1, a.inputs, dHidden + j, a.hidden, kernel + j, a.hidden, ws.litInputs, nil)
            }
        }
        Kernels.table.column_sums(dHidden, rows.count, a.hidden, bias)
    }
}
