import Foundation
import HasimKernel
import HasimScenario

/// One architecture's fleet study split in its three parts: the plan (the infrastructure level
/// of every replication and the incident windows it calls for), the windows themselves (each an
/// independent transaction-level simulation with a seed of its own, so they may run in any order
/// and on any core), and the composition of their results into the yearly figures.
/// `FleetSimulator.run` does the three for one architecture; `FleetPool` runs the windows of
/// several architectures in one pool of workers.
struct FleetPlan: Sendable {
    let scenario: Scenario
    let config: FleetConfig
    let targets: FaultTargets
    let processes: [FaultProcessSpec]
    let root: SeedTree
    let library: IncidentLibrary.Plan
    /// Per replication, its year at the infrastructure level.
    let years: [[FleetIncident]]
    /// The compound incidents (replication index, incident index): each needs a window of its own.
    let compound: [(rep: Int, index: Int)]

    init(_ scenario: Scenario, config: FleetConfig) throws {
        let targets = FaultTargets(scenario)
        let procs = FleetSimulator.processes(for: scenario, targets: targets, config: config)
        guard !procs.isEmpty else {
            throw FleetError.noProcesses("\(scenario.file): no fault process has a component in this topology")
        }
        let root = SeedTree(seed: config.seed)
        self.scenario = scenario
        self.config = config
        self.targets = targets
        self.processes = procs
        self.root = root
        library = IncidentLibrary.plan(processes: procs, targets: targets, config: config,
                                       seeds: SeedTree(seed: root.childSeed("library")))
        // The infrastructure level of every replication first (cheap); the windows at
        // transaction level after, in one parallel map.
        years = config.replicationIDs.map { r in
            InfrastructureLevel.incidents(targets: targets, processes: procs, clusters: config.clusters,
                                          horizon: config.horizon, window: config.window,
                                          seeds: SeedTree(seed: root.childSeed("replication.\(r)")))
        }
        var compound: [(rep: Int, index: Int)] = []
        for (k, incidents) in years.enumerated() {
            for (i, inc) in incidents.enumerated() where inc.isCompound { compound.append((k, i)) }
        }
        self.compound = compound
    }

    /// Windows to simulate: the compound incidents' first — they are the longest (a second
    /// failure after the first), and a long window started last would leave the other core idle
    /// at the end — then the library's.
    var jobCount: Int { compound.count + library.jobs.count }

    /// Simulates window j at transaction level.
    func window(_ j: Int) throws -> IncidentResult {
        if j < compound.count {
            let (k, i) = compound[j]
            return try WindowCut.simulate(scenario, failures: years[k][i].failures, targets: targets, config: config,
                                          seed: root.childSeed("replication.\(config.replicationIDs[k]).incident.\(i)"))
        }
        let job = library.jobs[j - compound.count]
        return try WindowCut.simulate(scenario, failures: [job.failure], targets: targets, config: config, seed: job.seed)
    }

    /// The yearly figures, from every window's result in job order.
    func compose(_ windows: ArraySlice<IncidentResult>) -> ArchitectureFleet {
        let first = windows.startIndex
        let compoundResults = Array(windows[first..<(first + compound.count)])
        let library = IncidentLibrary.assemble(self.library, results: windows[(first + compound.count)...])
        var compoundIndex = 0
        var perReplication: [[Double]] = []
        let composer = Composer(config: config, targets: targets, processes: processes)
        let classNames = processes.map(\.component.rawValue) + ["compound"]
        let ids = config.replicationIDs
        let servers = FleetSimulator.serversPerCluster(targets)
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
                                       : processes.firstIndex { $0.component == inc.failures[0].component } ?? 0
                composer.add(inc, failures: failures, result: result, to: &perClass[c])
            }
            perReplication.append(composer.metrics(totals, clusters: config.clusters, serversPerCluster: servers))
            for c in classNames.indices {
                let m = composer.metrics(perClass[c], clusters: config.clusters, serversPerCluster: servers)
                for i in m.indices { classSums[c][i] += m[i] / Double(ids.count) }
            }
        }
        return ArchitectureFleet(scenarioName: scenario.name, scenarioFile: scenario.file,
                                 strategy: scenario.architecture.strategy, clusters: config.clusters,
                                 serversPerCluster: servers, replications: perReplication,
                                 replicationIDs: ids,
                                 libraryRuns: library.runs, compoundIncidents: compound.count,
                                 library: library, byClass: Array(zip(classNames, classSums)).map { ($0.0, $0.1) })
    }
}
