import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload
import HasimScenario

/// Computes the metrics of DESIGN.md from a run's outcome: the client-side
/// ledger and probes, the servers' final data and the trace. Strategies report
/// nothing; everything here is measured.
public enum MetricsCalculator {
    public static func report(_ o: RunOutcome) -> RunReport {
        let s = o.scenario
        var metrics: [MetricValue] = []
        func add(_ name: String, _ value: Double, _ unit: String) { metrics.append(MetricValue(name: name, value: value, unit: unit)) }

        // Write downtime: the time covered by failed probe writes (each stands for its
        // interval), united over the application groups: down while any group is.
        add("write_downtime", Time.seconds(writeDowntime(o)), "s")

        // Incidents and RTO.
        let incidents = incidentRows(o)
        if let first = incidents.first, let rto = first.rto { add("rto", Time.seconds(rto), "s") }
        let rtos = incidents.compactMap(\.rto)
        if let m = rtos.max() { add("max_rto", Time.seconds(m), "s") }

        // Lost transactions: acknowledged commits whose effect is absent from the
        // final primary's data.
        let lost = lostTransactions(o)
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
        if let primary = finalPrimary(o) {
            let seenLost = Set(o.reads.map(\.txid)).filter { !primary.storage.appliedTxids.contains($0) }
            add("lost_reads", Double(seenLost.count), "count")
        }

        let brain = splitBrain(o)
        add("split_brain_time", Time.seconds(brain.time), "s")
        add("split_brain_writes", Double(brain.losingWrites), "count")

        add("divergence", Double(divergentRows(o)), "rows")
        add("duplicate_vip_time", Time.seconds(duplicateVIPTime(o)), "s")
        add("acknowledged_writes", Double(o.ledger.count), "count")
        add("failed_writes", Double(o.abandonedWrites), "count")

        let starts = o.trace.filter { $0.kind == .failoverStart }
        add("failovers", Double(starts.count), "count")
        add("false_failovers", Double(starts.filter { mysqldRunning(o, node: $0.node, at: $0.time) }.count), "count")

        let timeline = o.trace.map { TimelineRow(time: $0.time, node: $0.node, kind: $0.kind.name, detail: $0.detail) }
        let errors = crashes.map { name, f in
            ReplicationErrorRow(time: f.time, node: name, thread: f.thread, code: f.error.code, message: f.error.message)
        }
        let probes = o.probes.map { ProbeRow(time: $0.issuedAt, ok: $0.ok, latency: $0.latency, error: $0.error) }
        return RunReport(scenarioName: s.name, scenarioFile: s.file, strategy: s.architecture.strategy, seed: o.seed,
                         duration: s.duration, parametersJSON: ScenarioParameters.json(s), hasimVersion: HasimVersion.string,
                         metrics: metrics, incidents: incidents, timeline: timeline, lostTransactions: lost,
                         replicationErrors: errors, probes: probes)
    }

    /// The final primary: where the application's address leads at the end. If it
    /// leads nowhere, the server that acknowledged the last write.
    static func finalPrimary(_ o: RunOutcome) -> ServerSnapshot? {
        if let name = o.finalPrimary, let srv = o.server(name) { return srv }
        return o.ledger.last.flatMap { o.server($0.ackedBy) }
    }

    static func lostTransactions(_ o: RunOutcome) -> [LostTransactionRow] {
        guard let primary = finalPrimary(o) else { return [] }
        let applied = primary.storage.appliedTxids
        return o.ledger.filter { !applied.contains($0.txid) }.map {
            LostTransactionRow(txid: $0.txid, kind: $0.isInsert ? "insert" : "update", table: $0.table.description,
                               key: $0.key, ackedAt: $0.ackedAt, ackedBy: $0.ackedBy)
        }
    }

    /// Rows that differ between the final primary and each server replicating
    /// from it (directly or down a chain), after quiescence.
    static func divergentRows(_ o: RunOutcome) -> Int {
        guard let primary = finalPrimary(o) else { return 0 }
        var total = 0
        // A server that is down at the end cannot be compared after quiescence.
        for srv in o.servers where srv.name != primary.name && srv.isUp && replicatesFrom(o, srv, primary.name) {
            for table in Table.allCases {
                let keys = Set(primary.storage.keys(table)).union(srv.storage.keys(table)).sorted()
                for k in keys where primary.storage.row(table, k) != srv.storage.row(table, k) { total += 1 }
            }
        }
        return total
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

    static func writeDowntime(_ o: RunOutcome) -> SimTime {
        var spans: [(SimTime, SimTime)] = []
        for (w, probes) in zip(o.scenario.workloads, o.probeGroups) {
            for p in probes where !p.ok { spans.append((p.issuedAt, p.issuedAt + w.probeInterval)) }
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

    /// Two acknowledgements by one server less than this apart belong to one period
    /// in which it accepted writes as primary.
    static let writingGap: SimTime = Time.s(1)

    /// Split brain: time during which two or more servers accepted client writes
    /// as primary, and the writes accepted then by servers other than the final primary.
    static func splitBrain(_ o: RunOutcome) -> (time: SimTime, losingWrites: Int) {
        var byServer: [String: [SimTime]] = [:]
        for e in o.ledger { byServer[e.ackedBy, default: []].append(e.ackedAt) }
        // Periods of acceptance per server, as (start, +1) / (end, -1) edges.
        var edges: [(SimTime, Int)] = []
        for name in byServer.keys.sorted() {
            let times = byServer[name]!.sorted()
            var start = times[0], last = times[0]
            for t in times.dropFirst() {
                if t - last > writingGap { edges.append((start, 1)); edges.append((last, -1)); start = t }
                last = t
            }
            edges.append((start, 1)); edges.append((last, -1))
        }
        edges.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 > $1.1) }
        var intervals: [(SimTime, SimTime)] = []
        var active = 0
        var openedAt: SimTime = 0
        for (t, d) in edges {
            let before = active
            active += d
            if before < 2 && active >= 2 { openedAt = t }
            if before >= 2 && active < 2 && t > openedAt { intervals.append((openedAt, t)) }
        }
        let time = intervals.reduce(0) { $0 + ($1.1 - $1.0) }
        let primary = finalPrimary(o)?.name
        let losing = o.ledger.filter { e in
            e.ackedBy != primary && intervals.contains { e.ackedAt >= $0.0 && e.ackedAt <= $0.1 }
        }.count
        return (time, losing)
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

    static func incidentRows(_ o: RunOutcome) -> [IncidentRow] {
        o.faults.map { f in
            let firstFailure = o.failures.first { $0.failedAt >= f.at }?.failedAt
            let recovered = o.ledger.filter { $0.issuedAt >= f.at }.map(\.ackedAt).min()
            return IncidentRow(faultIndex: f.index, kind: f.kind, target: f.target, start: f.at,
                               firstFailure: firstFailure, recovered: recovered, rto: recovered.map { $0 - f.at })
        }
    }
}
