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
