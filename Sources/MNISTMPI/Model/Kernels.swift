import CKernels
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The element-wise loops of the step (RMSprop, ReLU, bias sums, input scaling), compiled in
/// C for AVX-512, AVX2 and SSE2 on x86 (one portable variant elsewhere) and picked once per
/// process: the widest this CPU runs, or the one `MNIST_MPI_ISA` names (`avx512`, `avx2`,
/// `sse2`, `portable`). All compute the same bits.
public enum Kernels {
    private static let names = ["avx512", "avx2", "sse2", "portable"]
    /// The variants this CPU runs (nil for the others), by `names`. Immutable once made.
    nonisolated(unsafe) private static let variants: [kernels_t?] = names.map { kernels_select($0)?.pointee }
    /// Index in `variants` of the one in use.
    private static let selected = Atomic<Int>(
        {
            let wanted = getenv("MNIST_MPI_ISA").map { String(cString: $0) } ?? ""
            return index(of: wanted) ?? index(of: "")!
        }())

    /// The variant `name` picks ("" for the widest), if this CPU runs it.
    private static func index(of name: String) -> Int? {
        guard let chosen = kernels_select(name) else { return nil }
        return names.firstIndex(of: String(cString: chosen.pointee.name))
    }

    /// The widest variant this CPU runs.
    public static var widest: String { names[index(of: "")!] }

    /// The variant in use: `avx512`, `avx2`, `sse2` or `portable`.
    public static var name: String { names[selected.load(ordering: .relaxed)] }

    /// Uses the variant `name` (or with "", the widest) from now on; false, and no change, if
    /// this CPU cannot run it.
    @discardableResult
    public static func use(_ name: String) -> Bool {
        guard let i = index(of: name) else { return false }
        selected.store(i, ordering: .relaxed)
        return true
    }

    static var table: kernels_t { variants[selected.load(ordering: .relaxed)]! }
}
