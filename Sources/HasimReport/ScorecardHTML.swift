import HasimKernel
import Foundation

/// The scorecard as HTML and Markdown: one row per architecture, one column per fault,
/// each cell coloured by its worst finding against the user's thresholds.
extension Scorecard {
    /// Write downtimes span 0.1 s to hours: the cell's bar is on a log scale over this range.
    static let barRange: (lo: Double, hi: Double) = (0.1, 3600)

    static func barPercent(_ seconds: Double) -> Double {
        guard seconds > barRange.lo else { return seconds > 0 ? 1 : 0 }
        let f = log10(seconds / barRange.lo) / log10(barRange.hi / barRange.lo)
        return (min(1, f) * 100 * 10).rounded() / 10
    }

    /// The cell's headline: the worst write downtime over its seeds, or that writes never came back.
    static func headline(_ c: Cell) -> (text: String, detail: String?) {
        let d = c.downtime
        if c.neverRecovered > 0 {
            // The downtime of such a run is "until the end of the run": a bound, not a measurement.
            return ("never back", d.map { "down ≥ \(Time.text(seconds: $0.max)) (until the run ended)" })
        }
        guard let d else { return ("—", nil) }
        let rto = c.rto.map { "RTO " + Time.text(seconds: $0.max) }
        return (d.max == 0 ? "0 s" : Time.text(seconds: d.max), c.hasIncident ? rto : nil)
    }

    public func html() -> String {
        func e(_ s: String) -> String { HTMLText.escape(s) }
        var s = "<section class=\"scorecard\" id=\"scorecard\"><h2>Scorecard: what each design survives</h2>"
        s += "<p>Each architecture (row) against each fault of the suite (column), the same timeline for all. "
            + "A cell shows the <b>worst</b> over its seeds: write downtime (bar: log scale, 0.1 s to 1 h), then what went wrong. "
            + "Colour against your thresholds (\(e(thresholds.text)); set with <code>--rpo</code>, <code>--rto</code>): "
            + "<span class=\"sev sev-bad\">data lost, two writers, divergence or writes never back</span> "
            + "<span class=\"sev sev-warn\">replication stopped, RTO over the threshold or a false failover</span> "
            + "<span class=\"sev sev-ok\">within the thresholds</span>.</p>"
        s += "<div class=\"sc-wrap\"><table class=\"sc\"><thead><tr><th>Architecture · what breaks it</th>"
        s += "<th class=\"num\" title=\"hosts that run a database or one of the design's tools (the application's hosts not counted)\">servers</th>"
        s += "<th class=\"num\" title=\"commit latency p50 / p99 in normal operation (the fault-free run)\">commit p50 / p99</th>"
        for (i, f) in faults.enumerated() { s += "<th><a href=\"#group-\(i + 1)\">\(e(f))</a></th>" }
        s += "</tr></thead><tbody>"
        for r in rows {
            s += "<tr><td class=\"arch\"><b>\(e(r.name))</b> <span class=\"muted small\">\(e(r.strategy))</span>"
            s += "<span class=\"verdict\">\(e(r.verdict(faults: faults)))</span></td>"
            s += "<td class=\"num\">\(r.servers.map(String.init) ?? "—")</td>"
            if let p99 = r.normalLatencyP99, let p50 = r.normalLatencyP50 {
                // Two lines (p50 over p99): the column stays narrow enough for eight faults at 1280 px.
                s += "<td class=\"num nowrap\">\(e(Time.text(seconds: p50.mean)))<br>\(e(Time.text(seconds: p99.mean)))</td>"
            } else {
                s += "<td class=\"num na\" title=\"not measured: no fault-free run in this database\">—</td>"
            }
            for c in r.cells {
                guard let c else { s += "<td class=\"na\" title=\"not run\">not run</td>"; continue }
                let (head, detail) = Scorecard.headline(c)
                let worstDown = c.downtime?.max ?? 0
                s += "<td class=\"cell sev-\(c.severity.name)\" data-severity=\"\(c.severity.name)\" data-downtime-max=\"\(HTMLText.number(worstDown))\">"
                s += "<span class=\"head\">\(e(head))</span>"
                if c.neverRecovered == 0 && worstDown > 0 {
                    s += "<span class=\"logbar\"><i style=\"width:\(HTMLText.number(Scorecard.barPercent(worstDown)))%\"></i></span>"
                }
                if let detail { s += "<span class=\"sub\">\(e(detail))</span>" }
                for f in c.findings.prefix(3) where !(f.rank == 4) {
                    s += "<span class=\"find sev-\(f.severity.name)\">\(e(f.short))</span>"
                }
                s += "</td>"
            }
            s += "</tr>"
        }
        s += "</tbody></table></div>"
        if normalGroup == nil {
            s += "<p class=\"note\">Commit latency in normal operation is not shown: no group of this database ran without faults.</p>"
        }
        return s + "</section>"
    }

    public func markdown() -> String {
        var s = "## Scorecard\n\nWorst over seeds; thresholds: \(thresholds.text). ✗ data lost, two writers, divergence or writes never back; ! replication stopped, RTO over the threshold or a false failover; ✓ within the thresholds.\n\n"
        s += "| Architecture | servers | commit p50 / p99 | " + faults.joined(separator: " | ") + " |\n"
        s += "|---|---:|---:|" + faults.map { _ in "---|" }.joined() + "\n"
        for r in rows {
            s += "| \(r.name) | \(r.servers.map(String.init) ?? "—") | "
            if let p99 = r.normalLatencyP99, let p50 = r.normalLatencyP50 {
                s += "\(Time.text(seconds: p50.mean)) / \(Time.text(seconds: p99.mean))"
            } else { s += "—" }
            for c in r.cells {
                guard let c else { s += " | not run"; continue }
                let mark = ["✓", "!", "✗"][c.severity.rawValue]
                let (head, _) = Scorecard.headline(c)
                let finds = c.findings.filter { $0.rank != 4 }.prefix(2).map(\.short)
                s += " | \(mark) \(head)" + (finds.isEmpty ? "" : "; " + finds.joined(separator: "; "))
            }
            s += " |\n"
        }
        s += "\nWhat breaks each design (its worst measured outcome):\n\n"
        for r in rows { s += "- **\(r.name)**: \(r.verdict(faults: faults))\n" }
        return s + "\n"
    }

    static let css = """
    .sc-wrap{overflow-x:auto}table.sc{font-size:12.5px;width:100%}table.sc th{font-size:12px}table.sc td{padding:5px 6px}
    table.sc td.arch{min-width:150px;max-width:200px}.verdict{display:block;font-size:11.5px;color:#4a5263;margin-top:2px}
    td.cell{min-width:72px}td.cell .head{display:block;font-weight:600;white-space:nowrap}td.cell .sub{display:block;font-size:11px;color:#4a5263}
    td.cell.sev-ok{background:#ebfbee}td.cell.sev-warn{background:#fff4e0}td.cell.sev-bad{background:#ffe8e8}
    .find{display:block;font-size:11px}.find.sev-bad{color:#b02525;font-weight:600}.find.sev-warn{color:#9a5b00}
    .logbar{display:block;height:5px;background:#e3e7ee;border-radius:2px;margin:2px 0}.logbar i{display:block;height:5px;background:#495057;border-radius:2px}
    .sev{padding:1px 6px;border-radius:3px;white-space:nowrap}.sev.sev-ok{background:#ebfbee}.sev.sev-warn{background:#fff4e0}.sev.sev-bad{background:#ffe8e8}
    """
}
