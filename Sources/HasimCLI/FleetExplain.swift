import Foundation
import HasimKernel
import HasimScenario
import HasimFleet

/// `hasim fleet --explain`: which fault class drives each yearly figure, and which library
/// windows behind it, with what `hasim run` needs to replay one window alone (its faults,
/// duration and seed). A figure nobody can trace to an incident cannot be judged.
enum FleetExplain {
    static let columns: [FleetMetric] = [.incidents, .databaseDowntime, .lostTransactions, .replicationCrashes,
                                         .splitBrains, .divergentIncidents, .pages, .dbaHours]

    /// Per architecture, its downtime split by the class of each incident's first failure,
    /// largest first: the one line a DBA needs to see why a design's figure is what it is (a lone
    /// proxy host, a site outage with nowhere to go) before trusting it.
    static func drivers(_ fleets: [ArchitectureFleet]) -> String {
        let down = FleetMetric.all.firstIndex(of: .databaseDowntime)!
        let names: [String: String] = ["manager": "manager, monitor or proxy host", "site_partition": "cut between sites",
                                       "nic": "NIC or switch port", "mysqld": "mysqld crash", "host": "database host",
                                       "disk": "disk", "site": "whole site", "maintenance": "planned maintenance",
                                       "compound": "several failures in one window"]
        var out = "\n### What drives the downtime\n\nWrite downtime per database-year by the fault class of each incident's "
            + "first failure, largest first (classes under 0.05 min left out; `hasim fleet --explain` lists the incident windows behind each).\n\n"
        out += "| architecture | downtime min/db-year | by class |\n|---|--:|---|\n"
        for f in fleets {
            let total = f.estimate(.databaseDowntime).mean
            let parts = f.byClass.map { ($0.name, $0.metrics[down]) }.filter { $0.1 >= 0.05 }.sorted { $0.1 > $1.1 }
            let text: String = parts.map { name, v -> String in
                let share = total > 0 ? String(format: " (%.0f %%)", 100 * v / total) : ""
                return "\(names[name] ?? name) \(String(format: "%.1f", v))\(share)"
            }.joined(separator: " · ")
            out += "| \(f.scenarioName) | \(String(format: "%.1f", total)) | \(text.isEmpty ? "—" : text) |\n"
        }
        return out
    }

    static func text(_ fleet: ArchitectureFleet, scenario: Scenario, config: FleetConfig) -> String {
        var out = "## \(fleet.scenarioName): yearly figures by the class of the incident's first failure\n\n"
        out += "| class | " + columns.map(\.rawValue).joined(separator: " | ") + " |\n"
        out += "|---|" + columns.map { _ in "---:" }.joined(separator: "|") + "|\n"
        for (name, m) in fleet.byClass {
            out += "| \(name) | " + columns.map { c in
                String(format: "%.2f", m[FleetMetric.all.firstIndex(of: c)!])
            }.joined(separator: " | ") + " |\n"
        }
        out += "\nLibrary windows (repair; downtime s, lost, crashes, split brain s, divergent rows, failovers, down at end; seed)\n\n"
        let targets = FaultTargets(scenario)
        for (key, entries) in fleet.library.all {
            for (i, e) in entries.enumerated() {
                let r = e.result
                let faults = targets.faults(e.failure, at: config.warmup).map { "\($0)" }.joined(separator: "; ")
                out += "- \(key.component.rawValue)[\(key.target)] #\(i): repair \(Time.format(e.failure.repair)); "
                out += String(format: "%.1f s, %.0f, %.0f, %.1f s, %.0f, %.0f, ", r.downtime, r.lostTransactions,
                              r.replicationCrashes, r.splitBrainTime, r.divergentRows, r.failovers)
                out += r.downAtEnd ? "down" : "up"
                out += "; seed \(e.seed)  [\(faults)]\n"
            }
        }
        return out
    }
}
