@_exported import HasimStore
import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload
import HasimScenario
import HasimStrategies

/// Computes the metrics of docs/metrics.md from a run's outcome: the client-side ledger
/// and probes, the servers' final data, the periodic samples and the trace. Strategies
/// report nothing that is counted; what they announce is kept in separate columns.
public enum MetricsCalculator {
    /// How much of a report to compute. Whatever the scope, a metric it computes has the value
    /// the full report gives it (IncidentMetricsTests).
    public enum Scope: Sendable {
        /// Every metric, row and series: what `hasim run`/`compare` store.
        case full
        /// Every metric and row, but not what only charts draw (commit latency and throughput
        /// per sample bucket: the bucket percentiles were half of a fleet study's CPU, issue 15).
        case metrics
        /// Only what a fleet study composes from an incident window (IncidentLevel): write
        /// downtime, failovers, loss, replication crashes, split brain, divergence, errant
        /// transactions, the VIP's duplicate time, writes acknowledged and failed. No incident
        /// rows or RTO, commit latency, lag, per-group rows, timeline or probe rows: they were
        /// 45 % of the metrics' CPU in a fleet window of MHA, and the fleet reads none of them.
        case incidentWindow
    }

    public static func report(_ o: RunOutcome, scope: Scope = .full) -> RunReport {
        let withSeries = scope == .full, window = scope == .incidentWindow
        let s = o.scenario
        var metrics: [MetricValue] = []
        func add(_ name: String, _ value: Double, _ unit: String) { metrics.append(MetricValue(name: name, value: value, unit: unit)) }

        // Write downtime: the time covered by failed probe writes (each stands for its
        // interval), united over the application groups: down while any group is.
        add("write_downtime", Time.seconds(writeDowntime(o, groups: Array(o.probeGroups.indices))), "s")

        // Incidents and RTO: every incident; the headline is the largest.
        let groups = WriterGroups(trace: o.trace)
        let writers = addressWriters(o, groups: groups)
        let observed = writers.flatMap { w in w.failovers(groups).map { (w.address, $0) } }
            .sorted { ($0.1.time, $0.0) < ($1.1.time, $1.0) }
        let incidents = window ? [] : incidentRows(o, ledger: o.ledger, failures: o.failures, failoverTimes: observed.map(\.1.time))
        // An incident whose writes never came back has no RTO, and the run's largest is
        // then unknown ("never"), not the largest of the others.
        let rtos = incidents.compactMap(\.rto)
        if let m = rtos.max(), rtos.count == incidents.count {
            add("rto", Time.seconds(m), "s")
            add("max_rto", Time.seconds(m), "s")
        }
        if !rtos.isEmpty { add("mean_rto", Time.seconds(rtos.reduce(0, +)) / Double(rtos.count), "s") }
        if !window {
            add("incidents", Double(incidents.count), "count")
            add("unrecovered_incidents", Double(incidents.filter { $0.rto == nil }.count), "count")
        }

        // The final primary from the cluster's state, then loss against it.
        let firstAddress = o.groups.first?.address ?? ""
        let final = FinalPrimary.decide(o, writers: writers.first { $0.address == firstAddress }, groups: groups)
        add("final_primary_ambiguous", final.ambiguous ? 1 : 0, "count")
        let lost = lostTransactions(o, final: final)
        add("lost_transactions", Double(lost.count), "count")
        if let lo = lost.map(\.ackedAt).min(), let hi = lost.map(\.ackedAt).max() {
            add("lost_span", Time.seconds(hi - lo), "s")
        } else {
            add("lost_span", 0, "s")
        }

        // Replication crashes: threads stopped by an error.
        let crashes = o.servers.flatMap { srv in srv.replicationFailures.map { (srv.name, $0) } }
            .sorted { ($0.1.time, $0.0) < ($1.1.time, $1.0) }
        add("replication_crashes", Double(crashes.count), "count")

        // Reads other sessions made of commits that the final primary does not have
        // (AFTER_COMMIT semi-sync, async replication): visible, then lost.
        if !window, let name = final.resolved, let primary = o.server(name) {
            let seenLost = Set(o.reads.map(\.txid)).filter { !primary.storage.appliedTxids.contains($0) }
            add("lost_reads", Double(seenLost.count), "count")
        }

        // Split brain per application address, and the sides of an ambiguous end.
        var brainTime: SimTime = 0
        var sides: [SplitBrainSideRow] = []
        var brainWrites = 0
        for w in writers {
            let intervals = w.splitIntervals(groups)
            brainTime += intervals.reduce(0) { $0 + ($1.end - $1.start) }
            let winner = w.address == firstAddress && !final.ambiguous ? final.resolved.map(groups.finalGroup) : nil
            var perSide: [String: Int] = [:]
            for a in w.acks where intervals.contains(where: { a.time >= $0.start && a.time <= $0.end }) {
                perSide[a.group, default: 0] += 1
            }
            for side in perSide.keys.sorted() {
                let n = perSide[side]!
                if side != winner { brainWrites += n }
                sides.append(SplitBrainSideRow(address: w.address, side: side, writes: n, atRisk: 0))
            }
        }
        add("split_brain_time", Time.seconds(brainTime), "s")
        add("split_brain_writes", Double(brainWrites), "count")
        var atRiskTotal = 0
        if final.ambiguous {
            for (i, side) in final.sideGroups.enumerated() {
                let risk = atRisk(o, final: final, side: i, groups: groups)
                atRiskTotal += risk
                if let j = sides.firstIndex(where: { $0.address == firstAddress && $0.side == side }) {
                    sides[j].atRisk = risk
                } else {
                    sides.append(SplitBrainSideRow(address: firstAddress, side: side, writes: 0, atRisk: risk))
                }
            }
        }
        add("writes_at_risk", Double(atRiskTotal), "count")
        add("two_writable_primaries_time", Time.seconds(twoWritableTime(o, groups: groups)), "s")

        // Divergence and errant transactions.
        let pairs = divergence(o, final: final, groups: groups)
        add("divergence", Double(pairs.filter { $0.relation != "split_brain" }.reduce(0) { $0 + $1.rows }), "rows")
        add("split_brain_divergence", Double(pairs.filter { $0.relation == "split_brain" }.reduce(0) { $0 + $1.rows }), "rows")
        let errant = errantTransactions(o, final: final)
        add("errant_transactions", Double(errant.reduce(0) { $0 + $1.count }), "count")

        add("duplicate_vip_time", Time.seconds(duplicateVIPTime(o)), "s")
        add("acknowledged_writes", Double(o.ledger.count), "count")
        add("failed_writes", Double(o.abandonedWrites), "count")

        // Failovers as observed; the strategies' announcements separately.
        let failoverRows = observed.map { address, f in
            FailoverRow(time: f.time, address: address, from: f.from.servers.joined(separator: ","),
                        to: f.to.servers.joined(separator: ","),
                        isFalse: groups.members(f.from.group).contains { mysqldRunning(o, node: $0, at: f.time) }
                            && !plannedSwitchover(o, to: f.to.servers, at: f.time))
        }
        add("failovers", Double(failoverRows.count), "count")
        add("false_failovers", Double(failoverRows.filter(\.isFalse).count), "count")
        let announced = o.trace.filter { $0.kind == .failoverStart }
        add("announced_failovers", Double(announced.count), "count")

        var report = RunReport(scenarioName: s.name, scenarioFile: s.file, strategy: s.architecture.strategy, seed: o.seed,
                               duration: s.duration, parametersJSON: window ? "" : ScenarioParameters.json(s),
                               hasimVersion: HasimVersion.string, metrics: metrics, incidents: incidents, timeline: [],
                               lostTransactions: lost, replicationErrors: [], probes: [])
        if window { return report }

        // Commit latency, throughput and lag.
        let latency = LatencySeries.latencyRows(o, buckets: withSeries)
        if let all = latency.first(where: { $0.group == nil && $0.bucketStart == nil }) {
            add("commit_latency_p50", Time.seconds(all.p50), "s")
            add("commit_latency_p99", Time.seconds(all.p99), "s")
            add("commit_latency_p999", Time.seconds(all.p999), "s")
        }
        let series = (withSeries ? LatencySeries.throughput(o) : []) + LatencySeries.lag(o)
        let lagTx = series.filter { $0.name == "lag_transactions" }.map(\.value)
        let lagS = series.filter { $0.name == "lag_seconds" && !$0.value.isNaN }.map(\.value)
        add("max_lag_transactions", lagTx.max() ?? 0, "count")
        add("max_lag_seconds", lagS.max() ?? 0, "s")
        // UDP clients (`protocol: udp`): the longest stretch any of them heard no reply, over
        // its workload. Only in runs that have one, so other runs' metrics stay as they were.
        let udpStarts = s.workloads.filter { $0.udp != nil }.map(\.start)
        if !o.datagrams.isEmpty {
            let silence = zip(o.datagrams, udpStarts).map { $0.longestSilence(from: $1, to: s.duration) }.max() ?? 0
            add("udp_silence", Time.seconds(silence), "s")
        }

        let perGroup = groupRows(o, incidents: incidents)
        let timeline = o.trace.map { TimelineRow(time: $0.time, node: $0.node, kind: $0.kind.name, detail: $0.detail) }
        let errors = crashes.map { name, f in
            ReplicationErrorRow(time: f.time, node: name, thread: f.thread, code: f.error.code, message: f.error.message)
        }
        let probes = o.probeGroups.enumerated().flatMap { g, ps in
            ps.map { ProbeRow(time: $0.issuedAt, ok: $0.ok, latency: $0.latency, error: $0.error, group: g) }
        }
        report.metrics = metrics
        report.timeline = timeline
        report.replicationErrors = errors
        report.probes = probes
        report.scenarioYAML = ScenarioYAML.emit(s)
        report.groupMetrics = perGroup
        report.failedWrites = failedWrites(o)
        report.latency = latency
        report.series = series
        report.failovers = failoverRows
        report.splitBrainSides = sides
        report.divergence = pairs
        report.errantTransactions = errant
        WebMetrics.add(o, to: &report)
        return report
    }

    // MARK: - writers

    /// The acknowledged writes of each application address (groups sharing an address
    /// together), in the order the addresses first appear in the workloads.
    static func addressWriters(_ o: RunOutcome, groups: WriterGroups) -> [AddressWriters] {
        var addresses: [String] = []
        for g in o.groups where !addresses.contains(g.address) { addresses.append(g.address) }
        if addresses.isEmpty { addresses = [""] }
        return addresses.map { address in
            // Read in place: one address (the usual run) takes the whole ledger.
            if o.groups.isEmpty || o.groups.allSatisfy({ $0.address == address }) {
                return AddressWriters(address: address, entries: o.ledger.lazy.filter { o.groups.isEmpty || $0.group < o.groups.count },
                                      room: o.ledger.count, groups: groups)
            }
            let members = o.groups.indices.map { o.groups[$0].address == address }
            return AddressWriters(address: address, entries: o.ledger.lazy.filter { $0.group < members.count && members[$0.group] },
                                  room: o.ledger.count, groups: groups)
        }
    }

    // MARK: - loss

    static func lostTransactions(_ o: RunOutcome, final: FinalPrimary) -> [LostTransactionRow] {
        let data = final.sides.compactMap { o.server($0)?.storage }
        guard !data.isEmpty else { return [] }
        // Ambiguous: only what no side holds is surely lost; the rest is at risk.
        return o.ledger.filter { e in !data.contains { $0.appliedTxids.contains(e.txid) } }.map {
            LostTransactionRow(txid: $0.txid, kind: $0.isInsert ? "insert" : "update", table: $0.table.description,
                               key: $0.key, ackedAt: $0.ackedAt, ackedBy: $0.ackedBy)
        }
    }

    /// Writes side `i` acknowledged that another side's data lacks.
    static func atRisk(_ o: RunOutcome, final: FinalPrimary, side i: Int, groups: WriterGroups) -> Int {
        let others = final.sides.indices.filter { $0 != i }.compactMap { o.server(final.sides[$0])?.storage }
        let group = final.sideGroups[i]
        return o.ledger.filter { e in
            groups.group(of: e.ackedBy, at: e.ackedAt) == group && others.contains { !$0.appliedTxids.contains(e.txid) }
        }.count
    }

    // MARK: - state metrics

    /// Time during which two or more servers of distinct writer groups were writable
    /// (running, read_only OFF) and reachable from the application, from the samples:
    /// each sample stands for its interval.
    static func twoWritableTime(_ o: RunOutcome, groups: WriterGroups) -> SimTime {
        var total: SimTime = 0
        var i = 0
        while i < o.samples.count {
            let t = o.samples[i].time
            var open: [String] = []
            while i < o.samples.count && o.samples[i].time == t {
                let sm = o.samples[i]
                if sm.writable && sm.reachable { open.append(groups.group(of: sm.server, at: t)) }
                i += 1
            }
            let two = open.indices.contains { a in open[(a + 1)...].contains { groups.distinct(open[a], $0) } }
            if two { total += o.sampleInterval }
        }
        return total
    }

    // MARK: - divergence

    /// Rows that differ, after quiescence, between every pair of servers that should hold
    /// the same data: the final primary and each server replicating from it (directly or
    /// down a chain); members of its writer group (Galera); the sides of an ambiguous end.
    static func divergence(_ o: RunOutcome, final: FinalPrimary, groups: WriterGroups) -> [DivergenceRow] {
        var out: [DivergenceRow] = []
        func rows(_ a: ServerSnapshot, _ b: ServerSnapshot) -> Int {
            var total = 0
            for table in Table.allCases {
                // Both key lists are ascending and without repeats (Storage.keys): walk them
                // together, each key of either once.
                let ka = a.storage.keys(table), kb = b.storage.keys(table)
                var i = 0, j = 0
                while i < ka.count || j < kb.count {
                    let k: Int64
                    if j == kb.count || (i < ka.count && ka[i] < kb[j]) { k = ka[i]; i += 1 }
                    else if i == ka.count || kb[j] < ka[i] { k = kb[j]; j += 1 }
                    else { k = ka[i]; i += 1; j += 1 }
                    if a.storage.row(table, k) != b.storage.row(table, k) { total += 1 }
                }
            }
            return total
        }
        if final.ambiguous {
            for i in final.sides.indices {
                for j in final.sides.indices where j > i {
                    if let a = o.server(final.sides[i]), let b = o.server(final.sides[j]) {
                        out.append(DivergenceRow(serverA: a.name, serverB: b.name, relation: "split_brain", rows: rows(a, b)))
                    }
                }
            }
        }
        for primaryName in final.sides {
            guard let primary = o.server(primaryName) else { continue }
            let group = groups.finalGroup(of: primaryName)
            // A server that is down at the end cannot be compared after quiescence.
            for srv in o.servers where srv.name != primary.name && srv.isUp {
                if groups.finalGroup(of: srv.name) == group && group != srv.name {
                    out.append(DivergenceRow(serverA: primary.name, serverB: srv.name, relation: "writer_group", rows: rows(primary, srv)))
                } else if replicatesFrom(o, srv, primary.name) {
                    out.append(DivergenceRow(serverA: primary.name, serverB: srv.name, relation: "replica", rows: rows(primary, srv)))
                }
            }
        }
        return out
    }

    private static func replicatesFrom(_ o: RunOutcome, _ srv: ServerSnapshot, _ root: String) -> Bool {
        var seen: Set<String> = [srv.name]
        var cur = srv
        while let src = cur.source, let next = o.server(src) {
            if src == root { return true }
            if !seen.insert(src).inserted { return false }
            cur = next
        }
        return false
    }

    /// Per server, the transactions (GTIDs) it executed that the final primary lacks; when
    /// the end is ambiguous, each side against the others. Servers with none are left out.
    static func errantTransactions(_ o: RunOutcome, final: FinalPrimary) -> [ErrantRow] {
        var out: [ErrantRow] = []
        for ref in final.sides {
            guard let p = o.server(ref) else { continue }
            let have = p.storage.gtidExecuted
            for srv in o.servers where srv.name != ref {
                if final.ambiguous && !final.sides.contains(srv.name) { continue }
                let extra = srv.storage.gtidExecuted.union(have).count - have.count
                if extra > 0 { out.append(ErrantRow(server: srv.name, reference: ref, count: Int(extra))) }
            }
        }
        return out
    }

    // MARK: - time and incidents

    /// A change of writer that an operator's `switchover:` to one of `servers` asked for, at or
    /// before `t`: the old writer was healthy on purpose, so it is not a false failover.
    static func plannedSwitchover(_ o: RunOutcome, to servers: [String], at t: SimTime) -> Bool {
        o.faults.contains { $0.kind == FaultKind.Name.switchover.rawValue && $0.at <= t && servers.contains($0.target) }
    }

    /// Whether mysqld on `node` was running at time t, from the trace.
    static func mysqldRunning(_ o: RunOutcome, node: String, at t: SimTime) -> Bool {
        var up = true
        for r in o.trace where r.node == node && r.time <= t {
            switch r.kind {
            case .hostCrash, .processCrash: up = false
            case .mysqlReady: up = true
            default: break
            }
        }
        return up
    }

    /// Failed probes (each standing for its interval) of the given groups, united.
    static func writeDowntime(_ o: RunOutcome, groups: [Int]) -> SimTime {
        var spans: [(SimTime, SimTime)] = []
        for g in groups where g < o.probeGroups.count && g < o.scenario.workloads.count {
            let interval = o.scenario.workloads[g].probeInterval
            for p in o.probeGroups[g] where !p.ok { spans.append((p.issuedAt, p.issuedAt + interval)) }
        }
        spans.sort { $0 < $1 }
        var total: SimTime = 0
        var current: (SimTime, SimTime)?
        for sp in spans {
            if let c = current, sp.0 <= c.1 {
                current = (c.0, max(c.1, sp.1))
            } else {
                if let c = current { total += c.1 - c.0 }
                current = sp
            }
        }
        if let c = current { total += c.1 - c.0 }
        return total
    }

    /// Time during which some VIP was up on two or more live hosts at once, from the
    /// trace: vip_acquire / vip_release per host, and a host crash drops its addresses.
    static func duplicateVIPTime(_ o: RunOutcome) -> SimTime {
        var holders: [String: Set<String>] = [:]  // vip -> hosts
        var total: SimTime = 0
        var since: SimTime?
        func duplicated() -> Bool { holders.values.contains { $0.count >= 2 } }
        for r in o.trace {
            let before = duplicated()
            switch r.kind {
            case .vipAcquire: holders[r.detail, default: []].insert(r.node)
            case .vipRelease: holders[r.detail]?.remove(r.node)
            case .hostCrash: for k in holders.keys.sorted() { holders[k]?.remove(r.node) }
            default: continue
            }
            let after = duplicated()
            if !before && after { since = r.time }
            if before && !after, let s = since { total += r.time - s; since = nil }
        }
        if let s = since { total += o.endTime - s }
        return total
    }

    /// One row per fault: the first failed write and the first good write issued at or
    /// after it (RTO), the first alert, the strategy's announced failover span and the
    /// first observed writer change.
    static func incidentRows(_ o: RunOutcome, ledger: some Collection<LedgerEntry>, failures: some Collection<FailedAttempt>,
                             failoverTimes: [SimTime]) -> [IncidentRow] {
        o.faults.map { f in
            let firstFailure = failures.first { $0.failedAt >= f.at }?.failedAt
            var recovered: SimTime? = nil
            for e in ledger where e.issuedAt >= f.at && (recovered == nil || e.ackedAt < recovered!) { recovered = e.ackedAt }
            var row = IncidentRow(faultIndex: f.index, kind: f.kind, target: f.target, start: f.at,
                                  firstFailure: firstFailure, recovered: recovered, rto: recovered.map { $0 - f.at })
            row.detected = o.trace.first { $0.kind == .alert && $0.time >= f.at }?.time
            row.failoverStart = o.trace.first { $0.kind == .failoverStart && $0.time >= f.at }?.time
            row.failoverEnd = o.trace.first { $0.kind == .failoverComplete && $0.time >= f.at }?.time
            row.writerChanged = failoverTimes.first { $0 >= f.at }
            return row
        }
    }

    // MARK: - per application group

    static func groupRows(_ o: RunOutcome, incidents: [IncidentRow]) -> [GroupMetricRow] {
        var out: [GroupMetricRow] = []
        for (g, info) in o.groups.enumerated() {
            func add(_ name: String, _ value: Double, _ unit: String) {
                out.append(GroupMetricRow(group: g, client: info.name, name: name, value: value, unit: unit))
            }
            let probes = g < o.probeGroups.count ? o.probeGroups[g] : []
            add("write_downtime", Time.seconds(writeDowntime(o, groups: [g])), "s")
            let ledger = o.ledger.lazy.filter { $0.group == g }
            // Lazily: a copy of an outage's failed attempts as structs was the peak of a whole run (31 MB).
            let failures = o.failures.lazy.filter { $0.group == g }
            let rows = incidentRows(o, ledger: ledger, failures: failures, failoverTimes: [])
            let rtos = rows.compactMap(\.rto)
            if let m = rtos.max(), rtos.count == rows.count { add("rto", Time.seconds(m), "s") }
            if !rtos.isEmpty { add("mean_rto", Time.seconds(rtos.reduce(0, +)) / Double(rtos.count), "s") }
            add("probes", Double(probes.count), "count")
            add("probes_failed", Double(probes.filter { !$0.ok }.count), "count")
            add("acknowledged_writes", Double(ledger.count), "count")
        }
        return out
    }

    static func failedWrites(_ o: RunOutcome) -> [FailedWritesRow] {
        var counts: [Int: [Int: (Int, Int)]] = [:]
        for f in o.failures {
            let c = counts[f.group]?[f.code] ?? (0, 0)
            counts[f.group, default: [:]][f.code] = (c.0 + 1, c.1 + (f.isProbe ? 1 : 0))
        }
        return counts.keys.sorted().flatMap { g in
            counts[g]!.keys.sorted().map { code in
                let c = counts[g]![code]!
                return FailedWritesRow(group: g, code: code, attempts: c.0, probes: c.1)
            }
        }
    }
}
