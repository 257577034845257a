import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

struct CheckpointStoreTests {
    let architecture = Architecture(inputs: 4, hidden: 3, classes: 2)

    func checkpoint(step: Int, run: String) -> Checkpoint {
        var position = TrainingPosition()
        position.step = step
        return Checkpoint(
            architecture: architecture, parameters: architecture.glorotInitialization(seed: 1).array,
            velocity: [Float](repeating: 0, count: architecture.parameterCount), position: position,
            runID: run, settings: TrainingOptions().settings)
    }

    /// A run prunes its own checkpoints only: another run's, even at higher steps, stay.
    @Test func pruningKeepsOtherRunsCheckpoints() throws {
        let store = CheckpointStore(directory: Fixtures.temporaryDirectory(), keep: 1)
        let earlier = CheckpointStore(directory: store.directory, keep: 5)
        for step in [100, 200] { try earlier.save(checkpoint(step: step, run: "earlier")) }
        for step in [1, 2, 3] { try store.save(checkpoint(step: step, run: "this")) }
        let steps = try store.steps()
        #expect(steps == [200, 100, 3], "\(steps)")
        #expect(try store.runID(step: 3) == "this" && store.runID(step: 200) == "earlier")
    }

    /// Resuming takes the checkpoint written last, whatever its step.
    @Test func newestIsTheLastWritten() throws {
        let store = CheckpointStore(directory: Fixtures.temporaryDirectory(), keep: 5)
        try store.save(checkpoint(step: 200, run: "earlier"))
        usleep(10_000)
        try store.save(checkpoint(step: 3, run: "this"))
        let newest = try #require(try store.newest(architecture) { Issue.record("warning: \($0)") })
        #expect(newest.runID == "this" && newest.position.step == 3)
    }

    @Test func everySettingThatFixesTheMathIsCompared() throws {
        let saved = checkpoint(step: 1, run: "r")
        var options = TrainingOptions()
        try saved.checkResumable(with: options.settings)
        options.epochs = 9
        options.maxSteps = 3
        try saved.checkResumable(with: options.settings)  // may change on resume
        options.wirePrecision = .bfloat16
        try saved.checkResumable(with: options.settings)
        options.precision = .mixedBFloat16
        try saved.checkResumable(with: options.settings)
        // The dataset's name and its digest both change with --dataset: the first in name order is told.
        let changes: [(RunSettings.Name, (inout TrainingOptions) -> Void)] = [
            (.seed, { $0.seed = 1 }), (.batchSize, { $0.batchSize = 64 }), (.shuffle, { $0.shuffle = false }),
            (.learningRate, { $0.optimizer.learningRate = 0.01 }), (.rho, { $0.optimizer.rho = 0.8 }),
            (.reduction, { $0.deterministicMicroShards = 8 }), (.dataset, { $0.dataset = .fashionMNIST }),
            (.epsilon, { $0.optimizer.epsilon = 1e-6 }),
        ]
        for (setting, change) in changes {
            var other = TrainingOptions()
            change(&other)
            let expected = ResumeMismatch.differs(setting, checkpoint: saved.settings.values[setting], run: other.settings.values[setting])
            #expect(throws: expected) { try saved.checkResumable(with: other.settings) }
        }
        #expect(Set(changes.map(\.0)).union([.datasetSHA256, .wirePrecision, .precision]) == Set(RunSettings.Name.allCases))
    }

    /// Settings go through the file by their names; one missing (an older checkpoint) is a
    /// mismatch, and so is one this version does not know (a newer one).
    @Test func settingsRoundTripAndMissingOrUnknownOnesRefuse() throws {
        let bytes = checkpoint(step: 1, run: "r").encode()
        #expect(try Checkpoint.decode(bytes, name: "c", architecture: architecture).settings == TrainingOptions().settings)
        var file = try Safetensors.decode(bytes, name: "c")
        #expect(file.metadata["setting.batch_size"] == "128" && file.metadata["setting.wire_precision"] == "float32")
        func reload(_ change: (inout [String: String]) -> Void) throws -> Checkpoint {
            var metadata = file.metadata
            change(&metadata)
            metadata["checksum"] = Checkpoint.checksum(metadata: metadata, tensors: file.tensors)
            return try Checkpoint.decode(
                Safetensors.encode(.init(tensors: file.tensors, metadata: metadata)), name: "c", architecture: architecture)
        }
        let older = try reload { $0["setting.rho"] = nil }
        #expect(throws: ResumeMismatch.differs(.rho, checkpoint: nil, run: "0.9")) {
            try older.checkResumable(with: TrainingOptions().settings)
        }
        let newer = try reload { $0["setting.momentum"] = "0.5" }
        #expect(throws: ResumeMismatch.unknownSetting("momentum")) { try newer.checkResumable(with: TrainingOptions().settings) }
        // The summation order of every strategy but the tree, recorded as `allreduce` before it
        // was named for what it is: such a checkpoint still resumes, and is written anew by the new name.
        #expect(file.metadata["setting.reduction"] == "layout-dependent")
        let named = try reload { $0["setting.reduction"] = "allreduce" }
        try named.checkResumable(with: TrainingOptions().settings)
        #expect(named.settings.metadata["setting.reduction"] == "layout-dependent")
        file.metadata = newer.settings.metadata
        #expect(file.metadata["setting.momentum"] == "0.5", "unknown settings are kept when the checkpoint is written again")
    }

    @Test func checkpointsWithNegativeCountsAreRejected() throws {
        var bytes = checkpoint(step: 7, run: "r").encode()
        let decoded = try Checkpoint.decode(bytes, name: "c", architecture: architecture)
        #expect(decoded.position.step == 7 && decoded.runID == "r")
        var file = try Safetensors.decode(bytes, name: "c")
        file.metadata["batch_in_epoch"] = "-1"
        file.metadata["checksum"] = Checkpoint.checksum(metadata: file.metadata, tensors: file.tensors)
        bytes = Safetensors.encode(file)
        #expect(throws: Checkpoint.LoadError.bad(file: "c", field: "batch_in_epoch")) {
            try Checkpoint.decode(bytes, name: "c", architecture: architecture)
        }
    }
}
