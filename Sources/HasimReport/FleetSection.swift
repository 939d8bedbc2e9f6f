import Foundation
import HasimStore

/// The fleet view (hasim fleet, docs/fleet.md): each architecture's yearly figures side by
/// side, mean and 95 % confidence interval over replications. Self-contained: it reads only
/// the stored `fleet_*` rows, so `hasim report` and `hasim fleet` render the same text.
public enum FleetSection {
    /// The figures shown, in order, with their column titles.
    static let columns: [(metric: String, title: String, digits: Int)] = [
        ("write_downtime_minutes_per_database_year", "downtime min/db-year", 1),
        ("availability_nines", "nines", 2),
        ("fleet_write_downtime_hours_per_year", "fleet downtime h/year", 1),
        ("lost_transactions_per_year", "lost tx/year", 0),
        ("replication_crashes_per_year", "repl. crashes/year", 1),
        ("split_brains_per_year", "split brains/year", 2),
        ("divergent_incidents_per_year", "divergent/year", 2),
        ("pages_per_year", "pages/year", 1),
        ("night_pages_per_year", "night pages/year", 1),
        ("dba_hours_per_year", "DBA h/year", 0),
        ("dba_capacity_percent", "% of DBAs' time", 1),
        ("servers", "servers", 0),
    ]

    public static func markdown(_ studies: [FleetStudyRow]) -> String {
        guard let first = studies.first else { return "" }
        var out: [String] = []
        let years = Double(first.horizon) / (365 * 24 * 3600 * 1e9)
        out.append("## Fleet: \(first.clusters) databases per architecture, \(format(years, 2)) simulated year(s), \(first.replications) replications")
        out.append("")
        out.append("Mean [95 % confidence interval] over replications; yearly figures. Settings: `\(first.configJSON)`.")
        out.append("")
        out.append("| architecture | strategy | " + columns.map(\.title).joined(separator: " | ") + " |")
        out.append("|---|---|" + columns.map { _ in "---:" }.joined(separator: "|") + "|")
        for s in studies {
            let cells = columns.map { c -> String in
                guard let m = s.metric(c.metric) else { return "—" }
                if m.high - m.low < pow(10, Double(-c.digits)) { return format(m.mean, c.digits) }
                return "\(format(m.mean, c.digits)) [\(format(m.low, c.digits))–\(format(m.high, c.digits))]"
            }
            out.append("| \(s.scenarioName) | \(s.strategy) | " + cells.joined(separator: " | ") + " |")
        }
        out.append("")
        out.append("Incident windows simulated at transaction level: "
                   + studies.map { "\($0.strategy) \($0.libraryRuns) library + \($0.compoundIncidents) compound" }.joined(separator: ", ") + ".")
        out += SweepSection.fleetMarkdown(studies)
        return out.joined(separator: "\n") + "\n"
    }

    /// The same table for report.html, in the style of a group's comparison table: each cell
    /// the mean, and under it the 95 % confidence interval over replications.
    public static func html(_ studies: [FleetStudyRow]) -> String {
        guard let first = studies.first else { return "" }
        func e(_ s: String) -> String { HTMLText.escape(s) }
        let years = Double(first.horizon) / (365 * 24 * 3600 * 1e9)
        var s = "<section class=\"group\" id=\"fleet\">"
        s += "<h2>Fleet: \(first.clusters) databases per architecture <span class=\"muted\">— \(format(years, 2)) simulated "
            + "year\(years == 1 ? "" : "s"), \(first.replications) replications</span></h2>"
        s += "<table class=\"cmp\"><thead><tr><th>Architecture</th><th>Strategy</th>"
        for c in columns { s += "<th class=\"num\">\(e(c.title))</th>" }
        s += "</tr></thead><tbody>"
        for (i, st) in studies.enumerated() {
            s += "<tr><td><span class=\"dot c\(i % 8)\"></span>\(e(st.scenarioName))<br><span class=\"small muted\">\(e(st.scenarioFile))</span></td>"
            s += "<td class=\"nowrap\">\(e(st.strategy))</td>"
            for c in columns {
                guard let m = st.metric(c.metric) else {
                    s += "<td class=\"num na\" data-metric=\"\(c.metric)\" title=\"not measured\">—</td>"
                    continue
                }
                s += "<td class=\"num\" data-metric=\"\(c.metric)\" data-mean=\"\(HTMLText.number(m.mean))\" "
                    + "data-low=\"\(HTMLText.number(m.low))\" data-high=\"\(HTMLText.number(m.high))\">"
                    + "<span class=\"mean\">\(format(m.mean, c.digits))</span>"
                if m.high - m.low >= pow(10, Double(-c.digits)) {
                    s += "<span class=\"spread\">\(format(m.low, c.digits))–\(format(m.high, c.digits))</span>"
                }
                s += "</td>"
            }
            s += "</tr>"
        }
        s += "</tbody></table>"
        s += "<p class=\"note\">Mean over replications; below it the 95 % confidence interval. Yearly figures of "
            + "<code>hasim fleet</code> (docs/fleet.md): random faults from the fault processes, each incident simulated "
            + "at transaction level. Incident windows: "
            + e(studies.map { "\($0.strategy) \($0.libraryRuns) library + \($0.compoundIncidents) compound" }.joined(separator: ", "))
            + ". Settings: <code class=\"wrap\">\(e(first.configJSON))</code>.</p>"
        s += SweepSection.fleetHTML(studies)
        return s + "</section>"
    }

    static func format(_ x: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", x)
    }
}
