#if canImport(Glibc)
    import Glibc
#endif

/// Writing to the standard streams without touching C's global `stdout`/`stderr` variables
/// (which Swift 6 rejects as shared mutable state).
enum Terminal {
    /// Writes `text` to standard output and flushes it, so progress shows at once.
    static func write(_ text: String) {
        print(text, terminator: "")
        fflush(nil)
    }

    /// Writes one line to standard error, after flushing whatever standard output holds.
    static func error(_ line: String) {
        fflush(nil)
        var text = line + "\n"
        text.withUTF8 { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + done, buffer.count - done)
                if n <= 0 { return }
                done += n
            }
        }
    }
}
