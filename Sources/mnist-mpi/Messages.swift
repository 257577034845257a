import MNISTMPI

/// The words for every error a user can meet: the library's errors carry data (which file,
/// which setting, which limit); here they become one line that names the flag to change.
enum Messages {
    static func describe(_ error: Error) -> String {
        switch error {
        case let error as DatasetError: return describe(error)
        case let error as TrainingError: return describe(error)
        case let error as ResumeMismatch: return describe(error)
        case let MicroShards.ConfigurationError.ranks(ranks, m):
            return "--deterministic needs a power-of-two number of ranks that divides the \(m) micro-shards of a batch (got \(ranks) ranks)"
        case is SharedMemoryReduction.Unavailable:
            return
                "--reduction shared-memory needs every rank on one node, and these ranks span several: use --reduction hierarchical, factored, allreduce or sharded"
        case let error as UnevenNodes:
            return
                "--reduction \(error.strategy) needs the same number of ranks on every node: give every host in the hostfile the same slots (or use mpirun --npernode N), or use --reduction allreduce"
        case let LaunchError.slurmWithoutPMI(tasks):
            return
                "Slurm started \(tasks) tasks that each see an MPI world of 1 (srun without PMI support): run mpirun inside the allocation, or srun --mpi=pmix (see srun --mpi=list)"
        default: return String(describing: error)
        }
    }

    static func describe(_ error: DatasetError) -> String {
        switch error {
        case let .missing(file, directory):
            return "\(directory)/\(file)(.gz): no such file; run scripts/get-data.sh or pass --data-dir"
        case let .noDirectory(path):
            return "\(path): data directory does not exist; run scripts/get-data.sh or pass --data-dir"
        case let .notADirectory(path):
            return "\(path): not a directory (--data-dir wants the directory holding the IDX files)"
        case .checksumMismatch:
            return error.description
        }
    }

    static func describe(_ error: TrainingError) -> String {
        switch error {
        case let .nonFiniteLoss(epoch, step, value):
            return
                "loss became \(value.isNaN ? "NaN" : "\(value)") at epoch \(epoch), step \(step): training diverged (learning rate too high?)"
        case let .ranksDisagree(epoch, ranks):
            return
                "after epoch \(epoch) the weights of \(ranks) rank(s) differ from rank 0's: their hosts compute different bits (mixed CPUs or BLAS builds?); run on one kind of host, or use --reduction allreduce"
        case let .stopped(step, checkpoint):
            let saved =
                checkpoint.map { "; checkpoint \($0) written, continue with --resume" } ?? "; no --checkpoint-dir, progress not saved"
            return "stopped by a signal after step \(step)\(saved)"
        }
    }

    /// `the checkpoint was made with --seed 1, this run has 2: resume with the same value`.
    static func describe(_ error: ResumeMismatch) -> String {
        switch error {
        case let .differs(name, checkpoint, run):
            let show = { (value: String?) in value.map { describe(name, $0) } ?? "(not recorded)" }
            return "the checkpoint was made with \(flag(name)) \(show(checkpoint)), this run has \(show(run)): resume with the same value"
        case let .unknownSetting(name):
            return "the checkpoint records a setting this version does not know (\(name)): resume it with the mnist-mpi that made it"
        }
    }

    /// `--precision` naming a policy this process's CPU cannot compute in.
    static func unavailable(_ precision: Precision) -> String {
        "--precision \(precision.rawValue) needs AVX512_BF16, which this CPU lacks (kernels \(Kernels.name))"
    }

    /// What a user changes to change a recorded setting.
    static func flag(_ name: RunSettings.Name) -> String {
        switch name {
        case .batchSize: "--batch-size"
        case .dataset: "--dataset"
        case .datasetSHA256: "data files with SHA-256 digest"
        case .epsilon: "RMSprop epsilon"
        case .learningRate: "--learning-rate"
        case .precision: "--precision"
        case .reduction: "--deterministic"
        case .rho: "RMSprop rho"
        case .seed: "--seed"
        case .shuffle: "--no-shuffle"
        case .wirePrecision: "--wire-precision"
        }
    }

    /// A recorded value in the flag's terms: shuffle `false` is `--no-shuffle true`, the
    /// summation order `deterministic-tree/8` is `--deterministic on (--micro-shards 8)`.
    static func describe(_ name: RunSettings.Name, _ value: String) -> String {
        switch name {
        case .shuffle: ["true": "false", "false": "true"][value] ?? value
        case .reduction:
            value == RunSettings.layoutDependentOrder
                ? "off" : "on (\(value.replacing("deterministic-tree/", with: "--micro-shards ")))"
        default: value
        }
    }
}

/// A failure of the job itself, already in the user's words.
struct JobError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
