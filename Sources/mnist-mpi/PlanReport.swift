import ArgumentParser
import MNISTMPI

/// The words and tables of `mnist-mpi plan`.
enum PlanReport {
    static func milliseconds(_ seconds: Double) -> String { format(seconds * 1e3, decimals: 2) }

    static func rate(_ path: StepModel.Path) -> String {
        path.secondsPerByte > 0 ? "\(format(8 / path.secondsPerByte / 1e9, decimals: 2)) Gb/s" : "unmeasured"
    }

    /// The name a user knows a modelled strategy by on `hosts` hosts.
    static func name(_ strategy: ReductionStrategy, hosts: Int) -> String {
        strategy == .hierarchical && hosts == 1 ? "shared-memory" : strategy.rawValue
    }

    /// `layout` with `reduction`, or with what `auto` takes (`AutomaticReduction.pick`).
    static func choose(_ model: StepModel, _ layout: StepModel.Layout, _ reduction: ReductionStrategy) -> StepModel.Layout {
        var chosen = layout
        chosen.strategy = reduction == .auto ? AutomaticReduction.pick(model, layout).taken.0 : reduction
        return chosen
    }

    /// The predicted step of `auto` on one host of `layout`'s ranks and cores a host, over
    /// this layout's `auto` step: above 1, the hosts beyond the first pay.
    static func speedupOverOneHost(_ model: StepModel, _ layout: StepModel.Layout) -> Double {
        var one = layout
        one.hosts = 1
        return AutomaticReduction.pick(model, one).taken.1.total / AutomaticReduction.pick(model, layout).taken.1.total
    }

    static func describe(_ model: StepModel, _ asked: StepModel.Layout, reduction: ReductionStrategy) -> String {
        let c = model.costs
        let rows = divideRoundingUp(model.batchSize, asked.ranks)
        var lines = [
            "Costs:",
            "  compute    \(format(c.secondsPerSample(rows: rows) * 1e6, decimals: 1)) us a sample at \(rows) rows a rank (1 thread), of which the first layer's kernel gradient \(format(c.firstLayerSecondsPerSample(rows: rows) * 1e6, decimals: 1)) us (\(format(c.firstLayerSecondsPerSample(rows: model.batchSize) * 1e6, decimals: 1)) at \(model.batchSize) rows)",
            "  optimizer  \(format(c.optimizerSecondsPerParameter * 1e9, decimals: 3)) ns a parameter",
            "  link       \(rate(c.link)), latency \(format(c.link.latency * 1e6, decimals: 1)) us\(c.link.burstBytes > 0 ? ", bursts of \(format(c.link.burstBytes / 1024, decimals: 0)) KiB" : "")",
            "  on a host  \(rate(c.memory)), latency \(format(c.memory.latency * 1e6, decimals: 1)) us",
            "  wire format \(WirePrecision.allCases.map { "\($0.rawValue) \(format((c.wireSecondsPerValue[$0] ?? 0) * 1e9, decimals: 3)) ns" }.joined(separator: ", ")) a value passed along a ring",
            "  network stack \(c.networkCoreSecondsPerByte > 0 ? format(c.networkCoreSecondsPerByte * 1e9, decimals: 3) + " ns" : "unmeasured") of a core a byte exchanged",
            "",
            "Layout: \(asked.hosts) host(s) x \(asked.ranksPerHost) rank(s)\(asked.byNode ? " mapped by node" : ""), \(format(asked.coresPerHost, decimals: 2)) core(s) a host, \(asked.wire.rawValue) between hosts",
            "Every strategy:     step ms  compute  on-host  network  optimizer  link MB each way",
        ]
        for strategy in StepModel.Layout.modelled {
            var candidate = asked
            candidate.strategy = strategy
            let p = model.predict(candidate)
            let columns = [
                (milliseconds(p.total), 7), (milliseconds(p.compute), 7), (milliseconds(p.onHost), 7), (milliseconds(p.network), 7),
                (milliseconds(p.optimizer), 9), (format(p.linkBytes / 1e6, decimals: 3), 16),
            ]
            lines.append(
                "  " + { $0 + String(repeating: " ", count: max(0, 16 - $0.count)) }(name(strategy, hosts: asked.hosts))
                    + columns.map { $0.0.leftPadded(to: $0.1, with: " ") }.joined(separator: "  "))
        }
        let layout = choose(model, asked, reduction)
        let p = model.predict(layout)
        let (taken, runnerUp) = AutomaticReduction.pick(model, asked)
        let why =
            reduction == .auto
            ? "auto's choice; the runner-up, \(name(runnerUp.0, hosts: asked.hosts)), \(milliseconds(runnerUp.1.total)) ms"
            : "asked for; auto would take \(name(taken.0, hosts: asked.hosts))"
        lines.append("")
        lines.append("Strategy: \(name(layout.strategy, hosts: layout.hosts)) (\(why))")
        lines.append(
            "Predicted step: \(milliseconds(p.total)) ms = compute \(milliseconds(p.compute)) + on-host reduction \(milliseconds(p.onHost)) + network \(milliseconds(p.network)) + optimizer \(milliseconds(p.optimizer))"
        )
        lines.append("Each host's link carries \(format(p.linkBytes / 1e6, decimals: 2)) MB each way a step")
        lines.append(
            "speedup over one host: \(format(speedupOverOneHost(model, asked), decimals: 2))x (auto's step on one host of \(asked.ranksPerHost) rank(s) and the same cores, over this layout's)"
        )
        // Strong: the same global batch on one rank. Weak: one host's batch on each host.
        let one = model.predict(StepModel.Layout(hosts: 1, ranksPerHost: 1, coresPerHost: layout.coresPerHost, strategy: layout.strategy))
        let strong = one.total / (Double(layout.ranks) * p.total)
        let host = StepModel.Layout(
            hosts: 1, ranksPerHost: layout.ranksPerHost, coresPerHost: layout.coresPerHost,
            strategy: layout.strategy, wire: layout.wire)
        let weakModel = StepModel(costs: c, architecture: model.architecture, batchSize: model.batchSize * layout.hosts)
        let weak = model.predict(host).total / weakModel.predict(layout).total
        lines.append(
            "Scaling: strong \(format(strong * 100, decimals: 1))% (batch \(model.batchSize) over \(layout.ranks) rank(s) against 1), weak \(format(weak * 100, decimals: 1))% (batch \(model.batchSize) a host over \(layout.hosts) host(s) against 1)"
        )
        lines.append("")
        lines.append("The same layout on other links (latency as above):")
        lines.append("   Gb/s  step ms  network ms  strong  weak    speedup over one host  strategy")
        for gbps in [1.0, 10, 25, 100] {
            var costs = c
            costs.link.secondsPerByte = 8 / (gbps * 1e9)
            let m = StepModel(costs: costs, architecture: model.architecture, batchSize: model.batchSize)
            let chosen = choose(m, asked, reduction)
            let q = m.predict(chosen)
            let w = StepModel(costs: costs, architecture: model.architecture, batchSize: model.batchSize * layout.hosts)
            let strong = format(one.total / (Double(layout.ranks) * q.total) * 100, decimals: 1) + "%"
            let weak = format(m.predict(host).total / w.predict(chosen).total * 100, decimals: 1) + "%"
            let speedup = format(speedupOverOneHost(m, asked), decimals: 2) + "x"
            let columns = [
                (format(gbps, decimals: 0), 5), (milliseconds(q.total), 7), (milliseconds(q.network), 10), (strong, 6), (weak, 6),
                (speedup, 21),
            ]
            lines.append(
                "  " + columns.map { $0.0.leftPadded(to: $0.1, with: " ") }.joined(separator: "  ") + "  "
                    + name(chosen.strategy, hosts: asked.hosts))
        }
        return lines.joined(separator: "\n")
    }

    /// The costs in a file `plan --save-costs` wrote; with `precision`, only if its compute was
    /// measured in that precision (a step of the other runs at another speed).
    static func loadCosts(_ path: String, precision: Precision? = nil) throws -> StepModel.Costs {
        let json = try JSON.parse(FileIO.read(path))
        guard let costs = costs(json) else {
            let missing = costsKeys.filter { json[$0] == nil }
            if json["seconds_per_sample"] != nil, !missing.isEmpty {
                throw ValidationError(
                    "\(path): written by an older mnist-mpi (no \(missing.joined(separator: ", "))); measure again with plan --save-costs")
            }
            throw ValidationError("\(path): not a costs file written by mnist-mpi plan --save-costs")
        }
        if let precision, costs.precision != precision {
            throw ValidationError(
                "\(path): its compute was measured in \(costs.precision.rawValue) and this run computes in \(precision.rawValue); "
                    + "measure again with plan --precision \(precision.rawValue) --save-costs")
        }
        return costs
    }

    /// The keys of a costs file, as `json` writes them.
    static let costsKeys: [String] = {
        let none = StepModel.Path(latency: 0, secondsPerByte: 0)
        let empty = StepModel.Costs(
            secondsPerSample: [], firstLayerSecondsPerSample: [], optimizerSecondsPerParameter: 0, link: none, memory: none,
            networkCoreSecondsPerByte: 0,
            wireSecondsPerValue: [:])
        return json(empty).members!.map(\.0)
    }()

    static func json(_ c: StepModel.Costs) -> JSON {
        .object([
            ("seconds_per_sample", .array(c.secondsPerSample.map { .number($0) })),
            ("first_layer_seconds_per_sample", .array(c.firstLayerSecondsPerSample.map { .number($0) })),
            ("sample_rows", .array(Calibration.rows.map { .integer($0) })),
            ("optimizer_seconds_per_parameter", .number(c.optimizerSecondsPerParameter)),
            ("link", .object([("latency", .number(c.link.latency)), ("seconds_per_byte", .number(c.link.secondsPerByte))])),
            ("memory", .object([("latency", .number(c.memory.latency)), ("seconds_per_byte", .number(c.memory.secondsPerByte))])),
            ("network_core_seconds_per_byte", .number(c.networkCoreSecondsPerByte)),
            ("wire_seconds_per_value", .object(WirePrecision.allCases.map { ($0.rawValue, .number(c.wireSecondsPerValue[$0] ?? 0)) })),
            ("precision", .string(c.precision.rawValue)),
        ])
    }

    static func costs(_ j: JSON) -> StepModel.Costs? {
        func path(_ p: JSON?) -> StepModel.Path? {
            guard let l = p?["latency"]?.double, let b = p?["seconds_per_byte"]?.double else { return nil }
            return StepModel.Path(latency: l, secondsPerByte: b)
        }
        var conversions: [WirePrecision: Double] = [:]
        for wire in WirePrecision.allCases { conversions[wire] = j["wire_seconds_per_value"]?[wire.rawValue]?.double }
        guard let samples = j["seconds_per_sample"]?.array?.compactMap(\.double), samples.count == Calibration.rows.count,
            let firstLayer = j["first_layer_seconds_per_sample"]?.array?.compactMap(\.double), firstLayer.count == samples.count,
            let o = j["optimizer_seconds_per_parameter"]?.double, let link = path(j["link"]), let memory = path(j["memory"]),
            let core = j["network_core_seconds_per_byte"]?.double, conversions.count == WirePrecision.allCases.count,
            let precision = j["precision"]?.string.flatMap(Precision.init(rawValue:))
        else { return nil }
        return StepModel.Costs(
            secondsPerSample: samples, firstLayerSecondsPerSample: firstLayer, optimizerSecondsPerParameter: o, link: link, memory: memory,
            networkCoreSecondsPerByte: core,
            wireSecondsPerValue: conversions, precision: precision)
    }
}
