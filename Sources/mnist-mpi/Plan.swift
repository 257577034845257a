import ArgumentParser
import MNISTMPI

/// `mnist-mpi plan`: measures what a step costs here (compute, optimizer, the links between the
/// job's hosts) and predicts the step of a layout the user names, with its scaling.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure this machine and its links, and predict the training step of a cluster layout.",
        discussion: """
            Run it under mpirun across two hosts, two ranks on each (`mpirun -np 4 --map-by \
            ppr:2:node mnist-mpi plan`), to measure the link between them and the path between \
            the ranks of a host (with one rank a host, that path is taken to be a memory copy), \
            or alone with --link-gbps and --link-latency-us to ask about a network you describe. \
            The prediction is compute + on-host reduction + network + optimizer per step (an \
            alpha-beta model of the strategy's messages); see docs/performance.md.
            """)

    @Option(help: "Hosts in the layout (default: this job's).")
    var hosts: Int?

    @Option(help: "Ranks on each host (default: this job's).")
    var ranksPerHost: Int?

    @Option(
        help:
            "Cores of each host the ranks run on (default: the cores this job's ranks may use on their host; with --ranks-per-host, the machine's)."
    )
    var coresPerHost: Double?

    @Flag(help: "Ranks placed round-robin over the hosts (mpirun --map-by node) instead of consecutively.")
    var mapByNode = false

    @Option(
        help: ArgumentHelp(
            "Strategy to predict: hierarchical, factored, allreduce (flat), or auto: the fastest of them for the layout.",
            valueName: "strategy"))
    var reduction: ReductionStrategy = .auto

    @Option(help: ArgumentHelp("Number format between hosts: float32 or bfloat16.", valueName: "format"))
    var wirePrecision: WirePrecision = .float32

    @Option(
        help: ArgumentHelp(
            "How the layers compute, as `train --precision`: float32 or mixed-bfloat16 (its products measured on AVX512_BF16).",
            valueName: "policy"))
    var precision: Precision = .float32

    @Option(help: ArgumentHelp("Link rate between hosts in Gb/s (instead of the measured one).", valueName: "gbps"))
    var linkGbps: Double?

    @Option(help: ArgumentHelp("Link latency between hosts in microseconds (instead of the measured one).", valueName: "us"))
    var linkLatencyUs: Double?

    @Option(
        help: ArgumentHelp(
            "What the link lets through at once after it was idle, in KiB: a token bucket's depth (tc tbf's burst; 0 for a link that only has a rate).",
            valueName: "kib"))
    var linkBurstKib: Double = 0

    @Option(help: ArgumentHelp("Read the measured costs from this file instead of measuring.", valueName: "file"))
    var costs: String?

    @Option(help: ArgumentHelp("Write the measured costs to this file (JSON).", valueName: "file"))
    var saveCosts: String?

    @OptionGroup var peers: PeerTimeoutOption

    func validate() throws {
        guard reduction == .auto || StepModel.Layout.modelled.contains(reduction) else {
            throw ValidationError(
                "--reduction \(reduction.rawValue): plan predicts \(StepModel.Layout.modelled.map(\.rawValue).joined(separator: ", ")) and auto"
            )
        }
        let largest = StepModel.Layout.largest
        if let hosts, !(1...largest.hosts).contains(hosts) {
            throw ValidationError("--hosts must be 1 to \(largest.hosts) (got \(hosts))")
        }
        if let ranksPerHost, !(1...largest.ranksPerHost).contains(ranksPerHost) {
            throw ValidationError("--ranks-per-host must be 1 to \(largest.ranksPerHost) (got \(ranksPerHost))")
        }
        if let coresPerHost, !(coresPerHost > 0 && coresPerHost.isFinite) {
            throw ValidationError("--cores-per-host must be a positive number (got \(coresPerHost))")
        }
        if let linkGbps, !(linkGbps > 0 && linkGbps.isFinite) { throw ValidationError("--link-gbps must be positive (got \(linkGbps))") }
        if let linkLatencyUs, !(linkLatencyUs >= 0 && linkLatencyUs.isFinite) {
            throw ValidationError("--link-latency-us must be 0 or more (got \(linkLatencyUs))")
        }
        if !(linkBurstKib >= 0 && linkBurstKib.isFinite) {
            throw ValidationError("--link-burst-kib must be 0 or more (got \(linkBurstKib))")
        }
        if !precision.runsHere {
            throw ValidationError(Messages.unavailable(precision))
        }
        if precision != .float32 && costs != nil {
            throw ValidationError("--precision is what the measured compute runs in; --costs measures nothing")
        }
    }

    func run() throws {
        try runUnderMPI(peerTimeout: peers.peerTimeout) { comm in
            Phase.enter("measuring", watchdog: comm.watchdog, rank: comm.rank)
            let hostOf = comm.hostOfEachRank()
            let hostCores = Calibration.hostCores(comm)
            let measured: StepModel.Costs? = try costs == nil ? measure(comm, hostOf: hostOf, cores: hostCores) : nil
            Phase.enter("predicting", watchdog: comm.watchdog, rank: comm.rank)
            try comm.onRoot {
                var costs = try measured ?? PlanReport.loadCosts(self.costs!)
                if let saveCosts { try FileIO.writeAtomically(Array(PlanReport.json(costs).text.utf8) + [0x0A], to: saveCosts) }
                if let linkGbps { costs.link.secondsPerByte = 8 / (linkGbps * 1e9) }
                if let linkLatencyUs { costs.link.latency = linkLatencyUs * 1e-6 }
                costs.link.burstBytes = linkBurstKib * 1024
                // The model follows hosts with equal rank counts: an uneven job is taken at its busiest host's.
                let jobRanks = ranksOnEachHost(hostOf)
                if ranksPerHost == nil, jobRanks.min() != jobRanks.max() {
                    Terminal.error(
                        "mnist-mpi: note: this job's hosts run \(jobRanks.min()!) to \(jobRanks.max()!) ranks; the prediction is for \(jobRanks.max()!) on each (--ranks-per-host to choose)"
                    )
                }
                let layout = StepModel.Layout(
                    hosts: hosts ?? jobRanks.count, ranksPerHost: ranksPerHost ?? jobRanks.max()!,
                    // The job's own ranks a host run on the cores they may use (a cpuset, a binding, taskset).
                    coresPerHost: coresPerHost ?? Double(ranksPerHost == nil ? hostCores : Launcher.onlineCores), byNode: mapByNode,
                    wire: wirePrecision)
                let model = StepModel(costs: costs)
                let sharing = (layout.sharing * 10).rounded() / 10
                if sharing > 2 {
                    Terminal.error(
                        "mnist-mpi: note: \(format(sharing, decimals: sharing == sharing.rounded() ? 0 : 1)) ranks take turns on each core: the model leaves out the time slicing between them, which made such layouts run slower than predicted (docs/performance.md, \"Where the model misses\")"
                    )
                }
                print(PlanReport.describe(model, layout, reduction: reduction))
            }
        }
    }

    /// Every rank takes part in the exchanges; rank 0 also times compute and the optimizer.
    private func measure(_ comm: MPICommunicator, hostOf: [Int], cores: Int) throws -> StepModel.Costs? {
        let remote = hostOf.firstIndex { $0 != hostOf[0] }
        guard remote != nil || (linkGbps != nil && linkLatencyUs != nil) || costs != nil else {
            throw ValidationError(
                "no second host to measure a link to: run under mpirun across hosts, or give --link-gbps and --link-latency-us")
        }
        if comm.isRoot, !hostOf.indices.contains(where: { $0 != 0 && hostOf[$0] == hostOf[0] }) {
            Terminal.error(
                "mnist-mpi: note: no second rank on this host: the path between a host's ranks is taken to be a memory copy (run two ranks a host to measure it)"
            )
        }
        return Calibration.costs(comm, hostOf: hostOf, cores: cores, precision: precision)
    }
}
