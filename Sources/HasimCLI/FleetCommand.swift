import ArgumentParser
import Foundation
import HasimKernel
import HasimScenario
import HasimStore
import HasimReport
import HasimFleet

/// `hasim fleet`: the seed notes' question — N databases, a year of random faults, which
/// design — answered per architecture with confidence intervals (docs/fleet.md).
struct FleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Simulate a fleet of clusters of each architecture over a year of random faults.",
        discussion: """
        Each scenario is one architecture's cluster (its topology, strategy and workload; its
        `faults:` are ignored). Its `fault_processes:` (or, without them, the published
        defaults of `hasim list`) draw every component's failures over the horizon for each
        of --clusters clusters; faults that meet within --window of each other in one cluster
        form one incident. Each incident is simulated at transaction level with the scenario
        from a warmed-up state: single faults from a library of --library runs per (fault
        class, target), overlapping ones one by one. Per architecture it prints yearly write
        downtime (per database and fleet-wide), availability, lost acknowledged transactions,
        replication crashes, split brains, divergent incidents, pages (and night pages), DBA
        hours against --dbas DBAs and the servers needed: mean and 95 % confidence interval
        over --replications independent fleet-years. How the two levels stay consistent:
        docs/fleet.md.

        Example (the seed operator: 500 servers as 250 primary/replica pairs, 5 DBAs):
          hasim fleet scenarios/architectures/ --clusters 250 --replications 100 --out results/fleet.sqlite
        """)

    @Argument(help: "Scenario files or folders: one architecture each.")
    var paths: [String]

    @Option(help: "Clusters (one database each) of every architecture.")
    var clusters = 250

    @Option(help: "Simulated span of one replication (e.g. 8760h for a year).")
    var horizon = "8760h"

    @Option(help: "Independent fleet-years; confidence intervals are over these.")
    var replications = 100

    @Option(help: "Base seed of every random stream of the study.")
    var seed: UInt64 = 1

    @Option(help: "Transaction-level time after an incident's first fault; faults of one cluster within it are one incident.")
    var window = "30m"

    @Option(help: "Steady state simulated before each incident's first fault.")
    var warmup = "60s"

    @Option(help: "Simulated incidents per (fault class, target) in the incident library.")
    var library = 8

    @Option(name: .customLong("writes-per-second"), help: "Write rate in incident windows (default: each scenario's own).")
    var writesPerSecond: Double?

    @Option(help: "DBAs on the team (their yearly hours: --hours-per-dba).")
    var dbas = 5

    @Option(name: .customLong("hours-per-dba"), help: "Hours a DBA can give to incident work in a year (assumption).")
    var hoursPerDBA = 1_700.0

    @Option(name: .customLong("page-after"), help: "Writes down this long page the on-call DBA (monitoring alert delay).")
    var pageAfter = "5m"

    @Option(help: ArgumentHelp("Planned maintenances of each primary per year (e.g. 4: quarterly patches); 0: none.",
                               discussion: "Each is the tool's own planned switchover to a replica, simulated at transaction level like a failure, plus --maintenance-hours of DBA work. Only for tools with a switchover in hasim (the switchover fault in hasim list names them: mha, manual, mmm); the others get none, so compare such studies knowing that."))
    var maintenance = 0.0

    @Option(name: .customLong("maintenance-hours"), help: "DBA hours one planned maintenance takes (switchover, patch, restart, checks).")
    var maintenanceHours = 1.0

    @Option(help: "Results database to write (default: results/fleet-<UTC time>.sqlite).")
    var out: String?

    @Option(help: "Also write the fleet table as Markdown to this file.")
    var markdown: String?

    @Option(help: "Run only part K of N of the replications (K from 1), e.g. --shard 2/3; `hasim merge` joins the shard databases.")
    var shard: String?

    @Option(name: .customLong("set"), help: "Sweep a setting: KEY=V1,V2,... (as for hasim run); one study per combination.")
    var set: [String] = []

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Flag(help: "Run one simulation at a time instead of one per core.")
    var serial = false

    @Flag(name: .customLong("library-bootstrap"), help: "Each replication draws from its own bootstrap resample of the incident library, so the confidence intervals include the library's sampling error (wide with a small --library).")
    var libraryBootstrap = false

    @Flag(help: "Also print each fault class's share of the yearly figures and every library window (repair, seed, figures), to trace a figure to the incident that drives it.")
    var explain = false

    func duration(_ text: String, _ name: String) throws -> SimTime {
        switch DurationParser.parse(text) {
        case .success(let t) where t > 0: return t
        default: throw ValidationFailure("--\(name) \(text): expected a positive duration with a unit (\(DurationParser.unitList)), e.g. 30m")
        }
    }

    func config() throws -> FleetConfig {
        guard clusters >= 1 else { throw ValidationFailure("--clusters must be at least 1") }
        guard replications >= 1 else { throw ValidationFailure("--replications must be at least 1") }
        guard library >= 1 else { throw ValidationFailure("--library must be at least 1") }
        guard dbas >= 1, hoursPerDBA > 0 else { throw ValidationFailure("--dbas and --hours-per-dba must be positive") }
        if let w = writesPerSecond, !(w > 0) { throw ValidationFailure("--writes-per-second must be greater than 0") }
        guard maintenance >= 0, maintenance.isFinite, maintenanceHours >= 0 else {
            throw ValidationFailure("--maintenance and --maintenance-hours must be 0 or more")
        }
        var c = FleetConfig()
        c.clusters = clusters
        c.horizon = try duration(horizon, "horizon")
        c.replications = replications
        c.seed = seed
        c.window = try duration(window, "window")
        c.warmup = try duration(warmup, "warmup")
        c.librarySize = library
        c.libraryBootstrap = libraryBootstrap
        c.writesPerSecond = writesPerSecond
        c.human.dbas = dbas
        c.human.hoursPerDBA = hoursPerDBA
        c.human.pageAfter = try duration(pageAfter, "page-after")
        c.maintenancePerYear = maintenance
        c.human.maintenance = maintenanceHours
        if let shard { let k = try Shard.parse(shard); c.shard = (k.index, k.count) }
        return c
    }

    mutating func run() throws {
        let config = try config()
        let scenarios: [Scenario]
        do {
            scenarios = try Runner.load(try ScenarioFiles.expand(paths), sweep: set)
        } catch let e as CLIError {
            throw ValidationFailure(e.description)
        }
        guard !scenarios.isEmpty else { throw ValidationFailure("no scenario files in \(paths.joined(separator: " "))") }
        let path = out ?? Runner.defaultResultsPath(command: "fleet")
        let store = try ResultsStore(path: path)
        let invocation = try store.beginInvocation(command: "fleet", arguments: InvocationArguments.current,
                                                   hasimVersion: HasimVersion.string)
        // Every study's incident windows in one pool (FleetPool): no core waits at the end of
        // one architecture for the next. Each study is written as soon as it is composed, in order.
        final class Collected: @unchecked Sendable {  // appended to under FleetPool's lock, in order
            var rows: [FleetStudyRow] = []
            var fleets: [ArchitectureFleet] = []
            var progress: ProgressLine?  // set before the pool starts, then only read
        }
        let collected = Collected()
        if !quiet {
            printError("hasim fleet: " + scenarios.map { "\($0.name) (\($0.architecture.strategy))" }.joined(separator: ", "))
        }
        let explain = explain, quiet = quiet
        try FleetPool.run(scenarios, config: config, parallel: !serial,
                          planned: { collected.progress = ProgressLine.make(label: "incident windows", total: $0, quiet: quiet) },
                          window: { collected.progress?.tick() }) { i, fleet in
            let s = scenarios[i]
            if explain { print(FleetExplain.text(fleet, scenario: s, config: config)) }
            let row = fleet.row(config: config)
            try store.writeFleet(row, invocation: invocation)
            collected.rows.append(row)
            collected.fleets.append(fleet)
        }
        collected.progress?.finish()
        let rows = collected.rows, fleets = collected.fleets
        try store.close()
        let text = FleetSection.markdown(rows) + FleetExplain.drivers(fleets)
        if let markdown { try text.write(toFile: markdown, atomically: true, encoding: .utf8) }
        if !quiet {
            print(text)
            print("results: \(path)")
        }
    }
}
