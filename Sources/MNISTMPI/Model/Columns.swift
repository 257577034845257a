import CBLAS
import Dispatch

/// Splits the first layer's products (`kernels_t.product`, `bf16_pair_product`, our own) over
/// the threads OpenBLAS was given for the others (`--threads`): each thread a block of the
/// output's columns. Every entry is still one chain over the inner index, so the bits do not
/// depend on the number of threads.
enum Columns {
    /// Calls `block(first, count)` for blocks of columns that cover 0..<n, a multiple of 32
    /// wide each but the last, at most one per thread, at once on `threads` threads.
    static func split(_ n: Int, threads: Int = Int(openblas_get_num_threads()), _ block: (Int, Int) -> Void) {
        let strips = (n + 31) / 32, blocks = min(max(threads, 1), strips)
        guard blocks > 1 else { return block(0, n) }
        let width = (strips + blocks - 1) / blocks * 32
        withoutActuallyEscaping(block) { block in
            let block = UnsafeTransfer(block)  // each call writes its own columns
            DispatchQueue.concurrentPerform(iterations: blocks) { i in
                let first = i * width
                if first < n { block.value(first, min(width, n - first)) }
            }
        }
    }
}
