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
        return out.joined(separator: "\n") + "\n"
    }

    static func format(_ x: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", x)
    }
}
