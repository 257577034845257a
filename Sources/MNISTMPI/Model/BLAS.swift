import CBLAS
import Synchronization

/// Every matrix product goes through here, to OpenBLAS. OpenBLAS stops its worker threads when
/// the process forks (a `pthread_atfork` handler) and starts them again on the next threaded
/// product; a fork while another thread's product waits on those workers leaves that thread
/// waiting forever (OpenBLAS #3111; it hung our unit tests, where one test forks while others
/// train). So a product that uses OpenBLAS's threads and a fork never overlap: both hold `lock`.
public enum BLAS {
    private static let lock = Mutex(())

    /// The kernels OpenBLAS picked for this CPU (`openblas_get_corename`), e.g. `SkylakeX`.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Kernels to ask OpenBLAS for through `OPENBLAS_CORETYPE` (which it reads as it loads),
    /// when it fell back to its SSE3 ones (`Prescott`) on a CPU it does not know: Debian 12's
    /// 0.3.21 does so on Sapphire Rapids under KVM ("Intel Xeon Processor"), where its AVX-512
    /// products are 3.3x faster. Nil when it chose for itself.
    public static var betterCoreType: String? {
        guard coreName == "Prescott" else { return nil }
        switch Kernels.widest {
        case "avx512": return "SkylakeX"
        case "avx2": return "Haswell"
        default: return nil
        }
    }

    /// C (m x n) = alpha op(A) op(B) + beta C, row-major, op(A) m x k: `cblas_sgemm`.
    static func sgemm(
        _ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        func product() {
            cblas_sgemm(
                CblasRowMajor, transA, transB, Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
        if openblas_get_num_threads() > 1 {
            lock.withLock { _ in product() }
        } else {
            product()
        }
    }

    /// Runs `fork`, a call that forks the process, while no product is using OpenBLAS's threads.
    /// The child must end inside `fork` (`_exit`), never return through here: the lock it
    /// would release is held by a thread of the parent.
    public static func forking<T: Sendable>(_ fork: () throws -> T) rethrows -> T {
        try lock.withLock { _ in try fork() }
    }
}
