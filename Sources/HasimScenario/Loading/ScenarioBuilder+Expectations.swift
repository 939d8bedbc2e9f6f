import HasimKernel
import HasimNetwork
import HasimStrategies
import Yams

// expect: the outcome ranges a regression scenario asserts.

extension ScenarioBuilder {
    // MARK: - Expectations

    /// The metrics `expect:` accepts: every run-level metric of docs/metrics.md.
    static let metrics = ["write_downtime", "rto", "max_rto", "mean_rto", "incidents", "unrecovered_incidents",
                          "lost_transactions", "lost_span", "final_primary_ambiguous", "writes_at_risk",
                          "replication_crashes", "divergence", "split_brain_divergence", "errant_transactions",
                          "lost_reads", "acknowledged_writes", "failed_writes", "split_brain_time", "split_brain_writes",
                          "two_writable_primaries_time", "false_failovers", "failovers", "announced_failovers",
                          "duplicate_vip_time", "commit_latency_p50", "commit_latency_p99", "commit_latency_p999",
                          "max_lag_transactions", "max_lag_seconds", "udp_silence",
                          // The web tier's (runs with `web:`).
                          "http_requests", "http_ok", "http_errors", "http_no_answer", "http_latency_p50", "http_latency_p99",
                          "sessions_lost", "http_write_errors", "http_db_mismatch", "http_tps", "http_tps_min", "session_replication_messages",
                          "l4_bytes_in", "l4_bytes_out", "l4_peak_utilisation", "l4_queue_delay_max", "l4_drops"]

    func readExpectations(_ node: Node) -> [Expectation]? {
        guard let m = r.mapping(node, path: "expect", allowed: nil) else { return nil }
        var result: [Expectation] = []
        var ok = true
        for entry in m.entries {
            guard Self.metrics.contains(entry.key) else {
                r.error(entry.keyNode, "unknown metric '\(entry.key)' in expect",
                        hint: Suggestions.hint(for: entry.key, in: Self.metrics, listing: "metrics"))
                ok = false
                continue
            }
            let path = "expect.\(entry.key)"
            var bound: Expectation.Bound?
            if case .mapping = entry.value {
                if let bm = r.mapping(entry.value, path: path, allowed: ["min", "max"]) {
                    var lo: Double?, hi: Double?, valid = true
                    if let n = bm.value("min") { lo = expectedNumber(n, path: bm.path("min")); valid = valid && lo != nil }
                    if let n = bm.value("max") { hi = expectedNumber(n, path: bm.path("max")); valid = valid && hi != nil }
                    if !bm.has("min") && !bm.has("max") {
                        r.error(entry.value, "\(path) has neither min nor max", hint: "e.g. {min: 10s, max: 2m} or {max: 0}")
                    } else if let lo, let hi, lo > hi {
                        r.error(bm.value("max"), "\(bm.path("max")) is smaller than \(bm.path("min"))", hint: "swap min and max")
                    } else if valid {
                        bound = .range(min: lo, max: hi)
                    }
                }
            } else if entry.value.isNull {
                r.error(entry.value, "'\(path)' has no value", hint: "e.g. \(entry.key): 0 or \(entry.key): {max: 10}")
            } else if let v = expectedNumber(entry.value, path: path) {
                bound = .equal(v)
            }
            guard let bound else { ok = false; continue }
            result.append(Expectation(metric: entry.key, bound: bound, mark: r.mark(entry.keyNode)))
        }
        return ok ? result : nil
    }

    /// A number, or a duration string converted to seconds.
    func expectedNumber(_ node: Node, path: String) -> Double? {
        if case .scalar(let s) = node, !node.isNull {
            switch node.tagName {
            case .int, .float:
                return r.number(node, path: path)
            default:
                if case .success(let t) = DurationParser.parse(s.string) { return Time.seconds(t) }
            }
        }
        r.error(node, "expected a number or a duration for \(path), found \(YAMLNodeReader.describe(node))",
                hint: "e.g. 0, 2.5 or 30s (durations are compared in seconds)")
        return nil
    }

}
