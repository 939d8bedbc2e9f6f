import HasimKernel
import HasimStore

/// The table `hasim run` prints: one row per run, the metrics a DBA compares.
public enum SummaryTable {
    public static let columns: [(title: String, metric: String?)] = [
        ("scenario", nil), ("strategy", nil), ("seed", nil),
        ("downtime", "write_downtime"), ("RTO (max)", "max_rto"), ("lost tx", "lost_transactions"),
        ("repl. crashes", "replication_crashes"), ("split brain", "split_brain_time"),
        ("divergent rows", "divergence"), ("failovers", "failovers"), ("false f/o", "false_failovers"),
        ("acked", "acknowledged_writes"), ("failed", "failed_writes"),
    ]

    public static func render(_ reports: [RunReport]) -> String {
        var rows: [[String]] = [columns.map(\.title)]
        for r in reports {
            var row = [r.scenarioName, r.strategy, String(r.seed)]
            for c in columns.dropFirst(3) {
                guard let name = c.metric, let m = r.metrics.first(where: { $0.name == name }) else { row.append("-"); continue }
                row.append(format(m))
            }
            rows.append(row)
        }
        return table(rows)
    }

    /// The web tier's columns, for the runs that have one (nil: none has).
    public static let webColumns: [(title: String, metric: String)] = [
        ("requests", "http_requests"), ("ok", "http_ok"), ("errors", "http_errors"), ("no answer", "http_no_answer"),
        ("p50", "http_latency_p50"), ("p99", "http_latency_p99"), ("sessions lost", "sessions_lost"),
        ("write errors", "http_write_errors"), ("vs ledger", "http_db_mismatch"), ("TPS", "http_tps"),
    ]

    public static func renderWeb(_ reports: [RunReport]) -> String? {
        let web = reports.filter { r in r.metrics.contains { $0.name == "http_requests" } }
        guard !web.isEmpty else { return nil }
        var rows: [[String]] = [["scenario", "strategy", "seed"] + webColumns.map(\.title)]
        for r in web {
            rows.append([r.scenarioName, r.strategy, String(r.seed)] + webColumns.map { c in
                r.metrics.first { $0.name == c.metric }.map(format) ?? "-"
            })
        }
        return table(rows)
    }

    /// The L4 director's load per run (table l4_load), for runs whose web tier has one.
    public static func renderL4(_ reports: [RunReport]) -> String? {
        let runs = reports.filter { !$0.l4Load.isEmpty }
        guard !runs.isEmpty else { return nil }
        var rows: [[String]] = [["scenario", "strategy", "seed", "mode", "bandwidth", "bytes in", "bytes out", "peak util.",
                                 "queue delay max", "drops"]]
        for r in runs {
            for l in r.l4Load {
                rows.append([r.scenarioName, r.strategy, String(r.seed), l.mode,
                             l.bandwidth > 0 ? Units.bitRate(l.bandwidth) : "unlimited", Units.bytes(l.bytesIn), Units.bytes(l.bytesOut),
                             l.peakUtilisation.map { Time.formatFixed($0, 2) } ?? "-", Time.text(seconds: Time.seconds(l.queueDelayMax)),
                             String(l.drops)])
            }
        }
        return table(rows)
    }

    public static func format(_ m: MetricValue) -> String {
        if m.unit == "s" { return Time.text(seconds: m.value) }
        if m.value == m.value.rounded() { return String(Int64(m.value)) }
        return Time.formatFixed(m.value, 2)
    }

    /// Plain aligned text: readable in a terminal and pasteable into a ticket. Columns
    /// from `numericFrom` on are right-aligned (numbers), the others left-aligned.
    public static func table(_ rows: [[String]], numericFrom: Int = 3) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i < numericFrom ? c + pad : pad + c
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.dropFirst().map(line)
        return out.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
