import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

// The three building blocks of the network. Each forward sits next to its backward; all
// matrices are row-major, `rows` samples at a time, and every product is one `BLAS.sgemm`.

/// Fully connected layer `y = x W + b` with W of shape (in, out).
public enum Dense {
    /// y (rows x out) = x (rows x in) W (in x out) + b.
    public static func forward(
        x: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>
    ) {
        BLAS.sgemm(
            CblasNoTrans, CblasNoTrans, m: rows, n: outputs, k: inputs,
            alpha: 1, a: x, lda: inputs, b: weight, ldb: outputs, beta: 0, c: y, ldc: outputs)
        Kernels.table.add_bias(y, bias, rows, outputs, 0)
    }

    /// Given dL/dy, writes dL/dW = xᵀ dy and dL/db = column sums of dy, both summed over the
    /// rows and overwriting what was there.
    public static func weightGradient(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, rows: Int,
        inputs: Int, outputs: Int,
        dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>
    ) {
        BLAS.sgemm(
            CblasTrans, CblasNoTrans, m: inputs, n: outputs, k: rows,
            alpha: 1, a: x, lda: inputs, b: dy, ldb: outputs, beta: 0, c: dWeight, ldc: outputs)
        Kernels.table.column_sums(dy, rows, outputs, dBias)
    }

    /// Given dL/dy, writes dL/dx = dy Wᵀ, from Wᵀ (out x in) laid out as such: OpenBLAS's
    /// small-matrix kernel takes it in about half the time it takes W transposed on the fly
    /// (64 x 512 x 10: 9-12 us against 18-21), to the same bits.
    public static func inputGradient(
        dy: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
        weightTransposed: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
    ) {
        BLAS.sgemm(
            CblasNoTrans, CblasNoTrans, m: rows, n: inputs, k: outputs,
            alpha: 1, a: dy, lda: outputs, b: weightTransposed, ldb: inputs, beta: 0, c: dx, ldc: inputs)
    }
}

/// Rectified linear unit: max(h, 0), applied with the first layer's bias in one pass over its
/// product, while that is still in cache (`Network.forward`).
public enum ReLU {
    /// Zeroes the gradient where the unit was inactive (`h` is the forward output).
    public static func backward(output h: UnsafePointer<Float>, gradient dh: UnsafeMutablePointer<Float>, count: Int) {
        Kernels.table.relu_backward(h, dh, count)
    }
}

/// Softmax followed by sparse categorical cross-entropy, computed from the logits as
/// `logsumexp(z) - z[y]` (what Keras's TensorFlow backend does for a softmax output).
public enum SoftmaxCrossEntropy {
    /// Sums of the loss and of correct argmax predictions over `rows` samples, and the gradient
    /// of the loss SUM with respect to the logits, `softmax(z) - onehot(y)`, written to `dLogits`.
    public static func forwardBackward(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int,
        classes: Int, dLogits: UnsafeMutablePointer<Float>
    ) -> (loss: Float, correct: Int) {
        var lossSum: Float = 0
        var correct = 0
        for r in 0..<rows {
            let z = logits + r * classes
            let g = dLogits + r * classes
            let y = Int(labels[r])
            let (best, logSumExp) = softmax(z, into: g, classes: classes)
            lossSum += logSumExp - z[y]
            g[y] -= 1
            if best == y { correct += 1 }
        }
        return (lossSum, correct)
    }

    /// Class probabilities of `rows` samples, for evaluation and prediction.
    public static func probabilities(
        logits: UnsafePointer<Float>, rows: Int, classes: Int,
        into p: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows { _ = softmax(logits + r * classes, into: p + r * classes, classes: classes) }
    }

    /// Writes softmax(z) of one row to `p`, shifted by the largest logit so `exp` cannot
    /// overflow; returns that logit's index and `logsumexp(z)`.
    static func softmax(_ z: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, classes: Int) -> (best: Int, logSumExp: Float) {
        let best = argmax(z, count: classes)
        let top = z[best]
        var total: Float = 0
        for j in 0..<classes {
            p[j] = expf(z[j] - top)
            total += p[j]
        }
        for j in 0..<classes { p[j] /= total }
        return (best, top + logf(total))
    }
}

/// Index of the largest of `count` values (the first one on ties, as NumPy's argmax).
public func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for j in 1..<count where values[j] > values[best] { best = j }
    return best
}

public func argmax(_ values: [Float]) -> Int {
    values.withUnsafeBufferPointer { argmax($0.baseAddress!, count: $0.count) }
}
