import ArgumentParser

/// `--peer-timeout`, for the commands whose ranks work together (`train`, `plan`).
struct PeerTimeoutOption: ParsableArguments {
    @Option(
        help: ArgumentHelp("Seconds a rank waits for its peers in a collective before ending the job (0: forever).", valueName: "seconds"))
    var peerTimeout = 60.0

    func validate() throws {
        guard peerTimeout.isFinite, peerTimeout >= 0, peerTimeout <= 1e6 else {
            throw ValidationError("--peer-timeout must be 0 or a number of seconds up to 1000000 (got \(peerTimeout))")
        }
    }
}
