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
        let targets = FaultTargets(scenario)
        let procs = processes(for: scenario, targets: targets, config: config)
        guard !procs.isEmpty else {
            throw FleetError.noProcesses("\(scenario.file): no fault process has a component in this topology")
        }
        let root = SeedTree(seed: config.seed)
        let libraryPlan = IncidentLibrary.plan(processes: procs, targets: targets, config: config,
                                               seeds: SeedTree(seed: root.childSeed("library")))
        // Infrastructure level for every replication first (cheap), then every window at
        // transaction level — the compound incidents' and the library's — in one parallel map
        // (no core waits at a barrier between them), then the composition.
        let ids = config.replicationIDs
        let years = ids.map { r in
            InfrastructureLevel.incidents(targets: targets, processes: procs, clusters: config.clusters,
                                          horizon: config.horizon, window: config.window,
                                          seeds: SeedTree(seed: root.childSeed("replication.\(r)")))
        }
        var compound: [(rep: Int, index: Int)] = []
        for (k, incidents) in years.enumerated() {
            for (i, inc) in incidents.enumerated() where inc.isCompound { compound.append((k, i)) }
        }
        let planned = compound
        // Compound windows first: they are the longest (a second failure after the first), and
        // a long window started last would leave the other core idle at the end.
        let windows = try ParallelMap.run(planned.count + libraryPlan.jobs.count, parallel: parallel) { j in
            if j < planned.count {
                let (k, i) = planned[j]
                return try WindowCut.simulate(scenario, failures: years[k][i].failures, targets: targets, config: config,
                                              seed: root.childSeed("replication.\(ids[k]).incident.\(i)"))
            }
            let job = libraryPlan.jobs[j - planned.count]
            return try WindowCut.simulate(scenario, failures: [job.failure], targets: targets, config: config,
                                          seed: job.seed)
        }
        let compoundResults = Array(windows[..<planned.count])
        let library = IncidentLibrary.assemble(libraryPlan, results: windows[planned.count...])
        var compoundIndex = 0
        var perReplication: [[Double]] = []
        let composer = Composer(config: config, targets: targets, processes: procs)
        let classNames = procs.map(\.component.rawValue) + ["compound"]
        var classSums = Array(repeating: Array(repeating: 0.0, count: FleetMetric.all.count), count: classNames.count)
        for (r, incidents) in zip(ids, years) {
            var totals = Totals()
            var perClass = Array(repeating: Totals(), count: classNames.count)
            var pick = root.stream("replication.\(r).draw")
            // With --library-bootstrap: this replication's resample of every key's entries.
            var boot = root.stream("replication.\(r).library")
            let resample: [[Int]] = library.keys.map { k in
                let n = library.entries(k).count
                return (0..<n).map { i in config.libraryBootstrap ? boot.below(n) : i }
            }
            for inc in incidents {
                let result: IncidentResult
                var failures = inc.failures
                if inc.isCompound {
                    result = compoundResults[compoundIndex]
                    compoundIndex += 1
                } else {
                    let key = IncidentLibrary.Key(component: inc.failures[0].component, target: inc.failures[0].target)
                    let entries = library.entries(key)
                    let slot = library.keys.firstIndex(of: key)!
                    let e = entries[resample[slot][pick.below(entries.count)]]
                    result = e.result
                    failures = [e.failure]
                }
                composer.add(inc, failures: failures, result: result, to: &totals)
                let c = inc.isCompound ? classNames.count - 1
                                       : procs.firstIndex { $0.component == inc.failures[0].component } ?? 0
                composer.add(inc, failures: failures, result: result, to: &perClass[c])
            }
            perReplication.append(composer.metrics(totals, clusters: config.clusters,
                                                   serversPerCluster: serversPerCluster(targets)))
            for c in classNames.indices {
                let m = composer.metrics(perClass[c], clusters: config.clusters, serversPerCluster: serversPerCluster(targets))
                for i in m.indices { classSums[c][i] += m[i] / Double(ids.count) }
            }
        }
        return ArchitectureFleet(scenarioName: scenario.name, scenarioFile: scenario.file,
                                 strategy: scenario.architecture.strategy, clusters: config.clusters,
                                 serversPerCluster: serversPerCluster(targets), replications: perReplication,
                                 replicationIDs: ids,
                                 libraryRuns: library.runs, compoundIncidents: compound.count,
                                 library: library, byClass: Array(zip(classNames, classSums)).map { ($0.0, $0.1) })
    }

    /// Database hosts plus the hosts that run managers, monitors or proxies.
    static func serversPerCluster(_ t: FaultTargets) -> Int { t.databases.count + t.managers.count }
}
