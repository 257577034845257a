import Foundation

/// A directory of checkpoints named `checkpoint-<step>.safetensors`, newest = highest step.
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
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw FileError(path: directory, reason: "cannot list the checkpoint directory")
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
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FileError(path: directory, reason: "cannot create the checkpoint directory")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw FileError(path: directory, reason: "checkpoint directory is not writable")
        }
    }

    /// Writes `checkpoint` atomically, then deletes all but the newest `keep`.
    public func save(_ checkpoint: Checkpoint) throws {
        try FileIO.writeAtomically(checkpoint.encode(), to: path(step: checkpoint.position.step))
        for step in try steps().dropFirst(keep) { unlink(path(step: step)) }
    }

    /// The newest checkpoint that loads and verifies; `warn` hears about each one skipped.
    /// Nil when the directory holds no checkpoint at all.
    public func newest(_ architecture: Architecture, warn: (String) -> Void) throws -> Checkpoint? {
        guard FileIO.exists(directory) else { return nil }
        let candidates = try steps()
        for step in candidates {
            let file = path(step: step)
            do {
                return try Checkpoint.decode(FileIO.read(file), name: file, architecture: architecture)
            } catch {
                warn("skipping \(error)")
            }
        }
        if !candidates.isEmpty {
            throw FileError(path: directory, reason: "none of its \(candidates.count) checkpoint(s) is valid")
        }
        return nil
    }
}
