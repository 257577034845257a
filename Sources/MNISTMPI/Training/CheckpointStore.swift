#if canImport(Glibc)
    import Glibc
#endif

/// A directory of checkpoints named `checkpoint-<step>.safetensors`. Each file records the run
/// that wrote it; a run prunes only its own files.
public struct CheckpointStore: Sendable, Equatable {
    public let directory: String
    /// How many checkpoints to keep; older ones are deleted after a new one is safely written.
    public let keep: Int

    public init(directory: String, keep: Int = 2) {
        self.directory = directory
        self.keep = keep
    }

    public func path(step: Int) -> String {
        "\(directory)/checkpoint-\(String(step).leftPadded(to: 8)).safetensors"
    }

    /// Steps of the checkpoint files present, newest first.
    public func steps() throws -> [Int] {
        let names: [String]
        do {
            names = try FileIO.names(in: directory)
        } catch {
            throw FileError(file: directory, reason: "cannot list the checkpoint directory")
        }
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("checkpoint-"), name.hasSuffix(".safetensors") else { return nil }
            return Int(name.dropFirst("checkpoint-".count).dropLast(".safetensors".count))
        }.sorted(by: >)
    }

    /// Creates the directory if needed and checks that we may write there, so that a bad
    /// checkpoint directory fails before training rather than after the first epoch.
    public func prepare() throws {
        do {
            try FileIO.createDirectories(directory)
        } catch {
            throw FileError(file: directory, reason: "cannot create the checkpoint directory")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw FileError(file: directory, reason: "checkpoint directory is not writable")
        }
    }

    /// Writes `checkpoint` atomically, then deletes all but the newest `keep` of its run's
    /// checkpoints. Files of other runs, and files it cannot read, are left alone.
    public func save(_ checkpoint: Checkpoint) throws {
        try FileIO.writeAtomically(checkpoint.encode(), to: path(step: checkpoint.position.step))
        let ours = try steps().filter { (try? runID(step: $0)) == checkpoint.runID }
        for step in ours.dropFirst(keep) { unlink(path(step: step)) }
    }

    /// The run that wrote the checkpoint at `step`, read from its header only.
    public func runID(step: Int) throws -> String? {
        try Safetensors.metadata(ofFile: path(step: step))["run_id"]
    }

    /// Deletes every checkpoint file in the directory.
    public func removeAll() throws {
        for step in try steps() where unlink(path(step: step)) != 0 {
            throw FileError(file: path(step: step), reason: "cannot delete")
        }
    }

    /// The newest checkpoint that loads and verifies (the last written, and of those the
    /// highest step); `warn` hears about each one skipped. Nil when there is none at all.
    public func newest(_ architecture: Architecture, warn: (String) -> Void) throws -> Checkpoint? {
        guard FileIO.exists(directory) else { return nil }
        let candidates = try steps().map { (step: $0, written: modificationTime(path(step: $0))) }
            .sorted { ($0.written, $0.step) > ($1.written, $1.step) }
        for (step, _) in candidates {
            let file = path(step: step)
            do {
                return try Checkpoint.decode(FileIO.read(file), name: file, architecture: architecture)
            } catch {
                warn("skipping \(error)")
            }
        }
        if !candidates.isEmpty {
            throw FileError(file: directory, reason: "none of its \(candidates.count) checkpoint(s) is valid")
        }
        return nil
    }

    /// Nanoseconds since the epoch of the file's last change (0 if unknown).
    private func modificationTime(_ path: String) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        return st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec
    }
}
