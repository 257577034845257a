import MNISTMPI

#if canImport(Glibc)
    import Glibc
#endif

/// Keras-style progress lines on standard output:
///
///     Epoch 1/5
///     469/469 [==============================] - 1s 2ms/step - loss: 0.2651 - accuracy: 0.9239
///
/// On a terminal the bar is redrawn in place as steps complete; otherwise (a log file, a batch
/// job) only the finished line of each epoch is printed.
final class ProgressBar {
    let total: Int
    let live: Bool
    let start = monotonicSeconds()
    var lastDraw = 0.0

    init(total: Int, live: Bool = ProgressBar.stdoutIsTerminal) {
        self.total = total
        self.live = live
    }

    /// Whether a person is watching standard output. Under mpirun a rank's stdout is always a
    /// pseudo-terminal (open-mpi/ompi#7868), whatever mpirun's own output is, so there we ask
    /// where the launcher's stdout goes: the parent is mpirun itself for local ranks, and a
    /// remote daemon (never a terminal) otherwise.
    static var stdoutIsTerminal: Bool {
        guard isatty(STDOUT_FILENO) == 1 else { return false }
        guard Launcher.current.rank != nil else { return true }
        var target = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/\(getppid())/fd/1", &target, target.count - 1)
        guard n > 0 else { return false }
        let path = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.hasPrefix("/dev/pts/") || path.hasPrefix("/dev/tty")
    }

    /// Redraws the bar (at most 20 times a second) unless `current == total`, which `finish` draws.
    func update(_ current: Int, values: @autoclosure () -> [(String, Double)]) {
        guard live, current < total else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.05 else { return }
        lastDraw = now
        let elapsed = now - start
        let eta = elapsed / Double(max(current, 1)) * Double(total - current)
        emit("\r" + line(current, timing: "ETA: \(Int(eta.rounded()))s", values: values()), newline: false)
    }

    /// Prints the completed line with total time and time per step.
    func finish(values: [(String, Double)], steps: Int? = nil) {
        let elapsed = monotonicSeconds() - start
        let done = steps ?? total
        let timing = "\(Int(elapsed.rounded()))s \(ProgressBar.perStep(elapsed / Double(max(done, 1))))"
        emit((live ? "\r" : "") + line(done, timing: timing, values: values) + (live ? "\u{1B}[K" : ""), newline: true)
    }

    /// `2ms/step`, `850us/step` or `1s/step`, as Keras writes it.
    static func perStep(_ seconds: Double) -> String {
        if seconds >= 1 { return "\(Int(seconds.rounded()))s/step" }
        if seconds >= 1e-3 { return "\(Int((seconds * 1e3).rounded()))ms/step" }
        return "\(Int((seconds * 1e6).rounded()))us/step"
    }

    func line(_ current: Int, timing: String, values: [(String, Double)]) -> String {
        let width = 30
        let filled = total > 0 ? width * current / total : width
        var bar = String(repeating: "=", count: filled)
        if filled < width { bar += (current > 0 ? ">" : ".") + String(repeating: ".", count: width - filled - 1) }
        let digits = String(total).count
        let count = String(current).leftPadded(to: digits, with: " ")
        let metrics = values.map { " - \($0.0): \(format4($0.1))" }.joined()
        return "\(count)/\(total) [\(bar)] - \(timing)\(metrics)"
    }

    func emit(_ text: String, newline: Bool) {
        Terminal.write(text + (newline ? "\n" : ""))
    }
}
