import Foundation
import HasimKernel
import HasimScenario

/// One architecture's fleet over the replications: per-replication totals and their
/// estimates. Yearly figures are scaled from the horizon (a 1-year horizon: as counted).
public struct ArchitectureFleet: Sendable {
    public var scenarioName: String
    public var scenarioFile: String
    public var strategy: String
    public var clusters: Int
    public var serversPerCluster: Int
    /// Per replication, per metric (in `FleetMetric.all` order).
    public var replications: [[Double]]
    /// The study-wide index of each replication (all of them unless sharded).
    public var replicationIDs: [Int]
    public var libraryRuns: Int
    public var compoundIncidents: Int
    /// The incident library the composition drew from (`hasim fleet --explain`).
    public var library: IncidentLibrary
    /// Mean yearly figures (`FleetMetric.all` order) of the incidents whose first failure is of
    /// each class ("compound" for incidents of several failures), so a total can be traced to
    /// the fault class that drives it. The classes' figures add up to the total but for
    /// `servers` and the ratios (availability, nines).
    public var byClass: [(name: String, metrics: [Double])]

    public func estimate(_ m: FleetMetric) -> Estimate {
        FleetMetric.estimates(FleetMetric.all.map(\.rawValue), replications)[FleetMetric.all.firstIndex(of: m)!]
    }
}

/// The figures a fleet study reports, per architecture, each with its 95 % CI.
public enum FleetMetric: String, CaseIterable, Sendable {
    case incidents = "incidents_per_year"
    case fleetDowntime = "fleet_write_downtime_hours_per_year"
    case databaseDowntime = "write_downtime_minutes_per_database_year"
    case availability = "availability_percent"
    case nines = "availability_nines"
    case lostTransactions = "lost_transactions_per_year"
    case replicationCrashes = "replication_crashes_per_year"
    case splitBrains = "split_brains_per_year"
    case divergentIncidents = "divergent_incidents_per_year"
    case pages = "pages_per_year"
    case nightPages = "night_pages_per_year"
    case dbaHours = "dba_hours_per_year"
    case dbaCapacity = "dba_capacity_percent"
    case servers = "servers"

    public static let all = allCases

    /// Estimates of every column over replications. Nines are the nines of the estimated
    /// availability, not a mean of per-replication nines: a log averages the heavy tail
    /// away (a year with no outage is "9 nines" and would hide a year with a day down).
    public static func estimates(_ names: [String], _ rows: [[Double]]) -> [Estimate] {
        var out = names.indices.map { i in Estimate(rows.map { $0[i] }) }
        if let n = names.firstIndex(of: FleetMetric.nines.rawValue),
           let a = names.firstIndex(of: FleetMetric.availability.rawValue) {
            func nines(_ percent: Double) -> Double { percent >= 100 ? 9 : min(9, -log10(1 - percent / 100)) }
            out[n].mean = nines(out[a].mean)
            out[n].low = nines(out[a].low)
            out[n].high = nines(out[a].high)
        }
        return out
    }

    public var unit: String {
        switch self {
        case .fleetDowntime, .dbaHours: return "h"
        case .databaseDowntime: return "min"
        case .availability, .dbaCapacity: return "%"
        case .nines: return "nines"
        case .servers: return "servers"
        default: return "per year"
        }
    }
}

public enum FleetSimulator {
    /// The fault processes a fleet of this scenario faces: the scenario's own when it has
    /// `fault_processes:`, else every published default whose component exists in it.
    /// With `--maintenance`, planned maintenance joins them (unless the scenario sets its own).
    public static func processes(for scenario: Scenario, targets: FaultTargets, config: FleetConfig = FleetConfig()) -> [FaultProcessSpec] {
        var chosen = scenario.faultProcesses.isEmpty ? FaultProcessSpec.defaults : scenario.faultProcesses
        if config.maintenancePerYear > 0 && !chosen.contains(where: { $0.component == .maintenance }) {
            var m = FaultProcessSpec.maintenance
            m.afr = config.maintenancePerYear
            chosen.append(m)
        }
        return chosen.filter { targets.count($0.component) > 0 }
    }

    public static func run(_ scenario: Scenario, config: FleetConfig, parallel: Bool = true) throws -> ArchitectureFleet {
        let plan = try FleetPlan(scenario, config: config)
        let windows = try ParallelMap.run(plan.jobCount, parallel: parallel) { j in try plan.window(j) }
        return plan.compose(windows[...])
    }

    /// Database hosts plus the hosts that run managers, monitors or proxies.
    static func serversPerCluster(_ t: FaultTargets) -> Int { t.databases.count + t.managers.count }
}
