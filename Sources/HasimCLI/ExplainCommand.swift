import ArgumentParser
import HasimStrategies

/// `hasim explain NAME`: what a metric measures or what a strategy option does, with its
/// unit, default and source, without opening docs/metrics.md.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a metric (as in expect: and the results database) or a strategy option.",
        discussion: """
        NAME is a metric (write_downtime, lost_transactions, ...), a strategy option
        (deadtime, or heartbeat-mon.deadtime when several strategies have it) or a strategy.
        The full definitions are in docs/metrics.md; options are listed by hasim list.

        Examples:
          hasim explain lost_transactions
          hasim explain mha.ping_interval
        """)

    @Argument(help: "A metric, an option (strategy.option or option) or a strategy.")
    var name: String

    mutating func run() throws {
        let text = ExplainCommand.explain(name)
        guard let text else {
            let all = MetricGlossary.entries.map(\.name) + StrategyCatalog.all.flatMap { d in d.options.map { "\(d.name).\($0.name)" } }
            let near = all.filter { $0.contains(name.lowercased()) || name.lowercased().contains($0) }.prefix(5)
            let hint = near.isEmpty ? "hasim list shows the options; docs/metrics.md the metrics"
                : "names that contain it: " + near.joined(separator: ", ")
            throw ValidationFailure("hasim explain: no metric, option or strategy named '\(name)'\n  hint: \(hint)")
        }
        print(text)
    }

    static func explain(_ name: String) -> String? {
        var out: [String] = []
        if let m = MetricGlossary.entries.first(where: { $0.name == name }) {
            out.append("\(m.name) (metric, \(m.unit))\n  \(m.text)\n  definition: docs/metrics.md")
        }
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        for d in StrategyCatalog.all {
            if parts.count == 1 && d.name == name {
                out.append("\(d.name) (strategy)\n  \(d.summary)\n  options: " + (d.options.isEmpty ? "none" : d.options.map(\.name).joined(separator: ", ")))
            }
            for o in d.options where (parts.count == 2 && parts[0] == d.name && parts[1] == o.name) || (parts.count == 1 && o.name == name) {
                var s = "\(d.name).\(o.name) (option of \(d.name), \(o.kind.rawValue))\n  \(o.help)\n  default: \(o.defaultValue)\n  source: \(o.source)"
                if !o.choices.isEmpty { s += "\n  one of: \(o.choices.joined(separator: ", "))" }
                if o.range != .any { s += "\n  range: \(o.range)" }
                out.append(s)
            }
        }
        return out.isEmpty ? nil : out.joined(separator: "\n\n")
    }
}

/// One line per run-level metric (`expect:` keys, the `metrics` table): what it counts and
/// its unit. The full definitions are docs/metrics.md's.
enum MetricGlossary {
    struct Entry { let name: String; let unit: String; let text: String }

    static let entries: [Entry] = [
        Entry(name: "write_downtime", unit: "seconds", text: "time the application's probe writes (every probe_interval, 100 ms) were not acknowledged within probe_timeout (1 s); a probe pending at the end counts from its issue"),
        Entry(name: "rto", unit: "seconds", text: "the largest incident's RTO: from the fault to the acknowledgement of the first write issued at or after it"),
        Entry(name: "max_rto", unit: "seconds", text: "the same as rto: the largest RTO over incidents"),
        Entry(name: "mean_rto", unit: "seconds", text: "mean RTO over the incidents whose writes came back"),
        Entry(name: "incidents", unit: "count", text: "faults injected (each is an incident with its own RTO)"),
        Entry(name: "unrecovered_incidents", unit: "count", text: "incidents after which no write succeeded before the run ended"),
        Entry(name: "lost_transactions", unit: "count", text: "acknowledged commits (the client's ledger) absent from the final primary's data; with an ambiguous end, absent from every side (RPO)"),
        Entry(name: "lost_span", unit: "seconds", text: "time from the first to the last lost transaction's acknowledgement"),
        Entry(name: "final_primary_ambiguous", unit: "0 or 1", text: "1 when two or more writer groups still held the application's address or acknowledged its writes at the end"),
        Entry(name: "writes_at_risk", unit: "count", text: "with an ambiguous end: writes one side acknowledged that another side lacks"),
        Entry(name: "replication_crashes", unit: "count", text: "replication threads stopped by an error (1062 duplicate key, 1032 row not found, 1236 binlog gone, ...)"),
        Entry(name: "divergence", unit: "rows", text: "after quiescence, rows that differ between the final primary and every server that should hold its data"),
        Entry(name: "split_brain_divergence", unit: "rows", text: "rows that differ between the sides of an ambiguous end"),
        Entry(name: "errant_transactions", unit: "count", text: "GTIDs a server executed that the final primary lacks"),
        Entry(name: "lost_reads", unit: "count", text: "rows other sessions read whose transaction the final primary lacks (only when the end is resolved)"),
        Entry(name: "acknowledged_writes", unit: "count", text: "commits the application saw acknowledged (the ledger's size)"),
        Entry(name: "failed_writes", unit: "count", text: "writes the application gave up on after its retries; each failed attempt by error code is in the failed_writes table, where code 0 is not a MySQL error: the application had no free thread (app_threads) and rejected the write"),
        Entry(name: "split_brain_time", unit: "seconds", text: "time two distinct writer groups both accepted writes through one application address"),
        Entry(name: "split_brain_writes", unit: "count", text: "writes acknowledged during split brain by sides other than the final primary's"),
        Entry(name: "two_writable_primaries_time", unit: "seconds", text: "time servers of two writer groups were up with read_only=OFF and reachable from the application's host (a state, sampled)"),
        Entry(name: "false_failovers", unit: "count", text: "observed writer changes while a member of the old writer group still had mysqld running"),
        Entry(name: "failovers", unit: "count", text: "observed changes of the writer group acknowledging an address's writes (a failback is a second one)"),
        Entry(name: "announced_failovers", unit: "count", text: "failovers the strategy announced (failover_start records), next to what was observed"),
        Entry(name: "duplicate_vip_time", unit: "seconds", text: "time two hosts held the same VIP at once (nobody ran ip addr del on the old holder)"),
        Entry(name: "commit_latency_p50", unit: "seconds", text: "median time from issuing the attempt that committed to its acknowledgement, every acknowledged write (HDR histogram)"),
        Entry(name: "commit_latency_p99", unit: "seconds", text: "99th percentile of the commit latency"),
        Entry(name: "commit_latency_p999", unit: "seconds", text: "99.9th percentile of the commit latency"),
        Entry(name: "max_lag_transactions", unit: "count", text: "largest relay-log backlog (received, not applied) a replica had, sampled as SHOW REPLICA STATUS gives it"),
        Entry(name: "max_lag_seconds", unit: "seconds", text: "largest Seconds_Behind_Source sampled on a replica"),
        Entry(name: "udp_silence", unit: "seconds", text: "longest stretch a `protocol: udp` client heard no reply to its datagrams, from its start to the end of the workload (only in runs with one)"),
        // The web tier's, from the virtual users' own ledger (runs with `web:` only).
        Entry(name: "http_requests", unit: "count", text: "requests the web tier's virtual users sent and saw end (answered, refused, reset or timed out)"),
        Entry(name: "http_ok", unit: "count", text: "requests answered 200"),
        Entry(name: "http_errors", unit: "count", text: "requests not answered 200: 500 (the page's statement failed), 503 (no thread, no mod_jk member), or no HTTP answer; by kind and status in the http_status table"),
        Entry(name: "http_no_answer", unit: "count", text: "requests with no HTTP answer (status 0): connection refused or reset, or the users' timeout"),
        Entry(name: "http_latency_p50", unit: "seconds", text: "median time from a user's request to its answer, answered requests (error pages too)"),
        Entry(name: "http_latency_p99", unit: "seconds", text: "99th percentile of the users' response time"),
        Entry(name: "sessions_lost", unit: "count", text: "users logged out: an answer carried a new session although the user sent one (the Tomcat that answered did not hold it)"),
        Entry(name: "http_write_errors", unit: "count", text: "write pages not answered 200"),
        Entry(name: "http_db_mismatch", unit: "count", text: "write pages whose answer disagrees with the database ledger: a 200 whose transaction the JDBC pools never saw acknowledged, or an error page for one they did (0: users saw errors for exactly the writes that failed)"),
        Entry(name: "http_tps", unit: "per second", text: "requests answered 200 per second of workload; per sample interval in the series table (http_ok_per_s, http_errors_per_s)"),
        Entry(name: "session_replication_messages", unit: "count", text: "session changes Tomcat's cluster sent to other members (DeltaManager: every member; BackupManager: one backup)"),
        Entry(name: "http_tps_min", unit: "per second", text: "the lowest rate of 200 answers over one sample interval, from the first fault to the end (without faults: from the second interval): the TPS dip users saw"),
        Entry(name: "l4_bytes_in", unit: "bytes", text: "bytes the L4 balancer's NIC received (web.l4): the users' requests, and in nat/lbaas mode the Apaches' responses too; headers included (66 B per 1448-byte segment)"),
        Entry(name: "l4_bytes_out", unit: "bytes", text: "bytes the L4 balancer's NIC sent: the requests on to the Apaches, and in nat/lbaas mode the responses to the users (dsr: only the requests)"),
        Entry(name: "l4_peak_utilisation", unit: "fraction", text: "the L4 balancer's busiest second (either direction) over its bandwidth; 1 is a saturated NIC"),
        Entry(name: "l4_queue_delay_max", unit: "seconds", text: "the longest a packet waited in the L4 balancer's NIC queue"),
        Entry(name: "l4_drops", unit: "count", text: "messages the L4 balancer dropped at the tail of its full transmit queue (web.l4.txqueuelen, 1000 frames); their senders' TCP retransmits them after the RTO. With the other l4_ figures in the run database's l4_load table"),
    ]
}
