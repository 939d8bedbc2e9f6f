import ArgumentParser
import Foundation
import HasimKernel
import HasimScenario
import HasimResults
import HasimReport
import HasimStrategies

public struct Hasim: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hasim",
        abstract: "Deterministic simulator of MySQL/MariaDB redundancy architectures.",
        discussion: """
        Describe a topology, an HA architecture, a workload and faults in a YAML
        scenario; hasim runs it on simulated hosts and networks and measures write
        downtime, RTO, lost transactions (against a ledger of what clients saw
        acknowledged), replication crashes, split brain and divergence.
        Same scenario + same seed = the same results, bit for bit.

        Examples:
          hasim run scenarios/manual-failover.yaml --timeline
              summary table, each failover step, results/run-<time>.sqlite
          hasim run scenarios/ --seed 7 --out results/a.sqlite
          hasim check scenarios/
              regression scenarios: exit 1 if an expect: is missed
          hasim compare scenarios/architectures/ --report results/report
              architectures side by side, with an HTML + Markdown report
          hasim report results/main.sqlite --out results/report
          hasim rerun results/main.sqlite 3
              re-runs run 3 from the scenario stored with it; exit 1 if it differs
          hasim validate my-scenario.yaml
              errors with file:line:column and a hint; nothing is run
          hasim list
              strategies, their options, defaults and where they come from
          hasim explain lost_transactions
              what a metric measures, or an option's default and its source
        """,
        version: HasimVersion.string,
        subcommands: [RunCommand.self, CheckCommand.self, CompareCommand.self, ReportCommand.self, RerunCommand.self,
                      ValidateCommand.self, ListCommand.self, ExplainCommand.self, Bench.self, FleetCommand.self, MergeCommand.self]
    )
    public init() {}
}

struct CommonRunOptions: ParsableArguments {
    @Option(name: .long, parsing: .upToNextOption,
            help: "Seeds to run (overrides the scenario's `seeds:`): --seed 1 2 3, --seed 1-5, --seed 1,2,3 or --seed 1-3,8.")
    var seed: [SeedList] = []

    /// The seeds given, nil when none (each scenario's own `seeds:`).
    var seeds: [UInt64]? { seed.isEmpty ? nil : seed.seeds }

    @Option(name: .long, help: "Results database to write (default: results/<command>-<UTC time>.sqlite).")
    var out: String?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .long, help: "Run one simulation at a time instead of one per core.")
    var serial = false

    @Option(name: .customLong("max-memory"), help: ArgumentHelp(
        "Resident memory past which a run stops with an error naming it and what grows (e.g. 4G, 512M; 0: no limit).",
        discussion: "Default: half of this machine's memory (MemTotal in /proc/meminfo). Runs already finished are kept in the database.",
        valueName: "size"))
    var maxMemory: String?

    /// Installs the command's run watch (memory budget, progress of long runs) before its runs.
    func installWatch() throws {
        RunWatch.current = RunWatch(memoryBudget: try MemoryBudget.bytes(maxMemory))
    }

    @Option(name: .long, help: ArgumentHelp(
        "Run only part K of N of the (scenario, seed, --set value) runs, e.g. --shard 2/3 (a Slurm array task, a Kubernetes Indexed Job).",
        discussion: "Shard K runs the runs i with i mod N = K - 1. `hasim merge --out all.sqlite shard1.sqlite ...` joins the N databases into one equal, row for row, to the unsharded run.",
        valueName: "K/N"))
    var shard: String?

    /// This command's runs, or the shard's part of them.
    func select(_ jobs: [RunJob]) throws -> [RunJob] {
        guard let shard else { return jobs }
        return try Shard.parse(shard).select(jobs)
    }

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Sweep a setting: KEY=V1,V2,... runs every scenario once per value (repeat --set for a grid).",
        discussion: "KEY: architecture.options.<option> (hasim list) or \(SweepParameter.scalarKeys.joined(separator: ", ")); e.g. --set architecture.options.ping_interval=1s,3s"))
    var set: [String] = []
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenarios and print a summary table; write every run to a SQLite database.",
        discussion: "FILE may be a scenario file or a folder (searched for *.yaml). Each scenario runs once per seed.")

    @Argument(help: "Scenario files or folders.")
    var files: [String]

    @OptionGroup var common: CommonRunOptions

    @Flag(name: .long, help: "Also print each run's timeline: faults, detection, every failover step, VIP/DNS moves, replication errors.")
    var timeline = false

    @OptionGroup var output: FormatOption

    mutating func run() throws {
        do {
            let found = try ScenarioFiles.expand(files)
            // Refused before the results database is created: an empty folder is a mistake, not an empty run.
            guard !found.isEmpty else {
                throw CLIError("no scenario files (*.yaml, *.yml) in \(files.joined(separator: " "))\n  hint: give a scenario file or a folder holding some, e.g. hasim run scenarios/")
            }
            try common.installWatch()
            let scenarios = try Runner.load(found, sweep: common.set)
            let jobs = try common.select(Runner.jobs(scenarios, seeds: common.seeds))
            let path = common.out ?? Runner.defaultResultsPath(command: "run")
            let sink = try ResultsSink(path: path, command: "run", arguments: InvocationArguments.current,
                                       plannedJobs: jobs.count)
            let reports: [RunReport]
            do {
                reports = try ProgressRunner.run(jobs, parallel: !common.serial,
                                                 progress: ProgressLine.make(label: "hasim run", total: jobs.count, quiet: common.quiet),
                                                 sink: sink)
            } catch {
                // Runs that finished are kept; the invocation stays marked incomplete.
                try? sink.finish(complete: false)
                throw error
            }
            try sink.finish()
            if output.format != .text {
                print(output.format == .json ? MachineOutput.runsJSON(command: "run", database: path, reports: reports)
                                             : MachineOutput.runsCSV(reports))
            } else if !common.quiet {
                print(SummaryTable.render(reports))
                if let web = SummaryTable.renderWeb(reports) { print("\nweb tier (what the users saw)\n" + web) }
                if let l4 = SummaryTable.renderL4(reports) { print("\nL4 director (its NIC's load)\n" + l4) }
                if timeline {
                    for r in reports { print("\n" + TimelineTable.render(r)) }
                }
                print("\nresults: \(path)")
            }
        } catch let e as CLIError {
            throw ValidationFailure(e.description)
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run scenarios that have `expect:` blocks; exit non-zero if any expectation is missed.",
        discussion: "Each miss is printed as file:line:column: expect <metric> <bound>, got <value> (seed N).")

    @Argument(help: "Scenario files or folders.")
    var paths: [String]

    @OptionGroup var common: CommonRunOptions

    @OptionGroup var output: FormatOption

    mutating func run() throws {
        let result: (reports: [RunReport], misses: [CheckMiss], skipped: [String])
        if common.shard != nil {
            throw ValidationFailure("--shard: hasim check runs every expectation in one process\n  hint: shard the runs with hasim run --shard K/N, join them with hasim merge")
        }
        do {
            try common.installWatch()
            let scenarios = try Runner.load(try ScenarioFiles.expand(paths), sweep: common.set)
            guard !scenarios.isEmpty else { throw CLIError("no scenario files in \(paths.joined(separator: " "))") }
            let seeds = common.seeds
            let total = ProgressRunner.checkRuns(scenarios, seeds: seeds)
            let sink = try common.out.map {
                try ResultsSink(path: $0, command: "check", arguments: InvocationArguments.current, plannedJobs: total)
            }
            do {
                result = try ProgressRunner.check(scenarios, seeds: seeds, progress: ProgressLine.make(
                    label: "hasim check", total: total, quiet: common.quiet), sink: sink)
            } catch {
                try? sink?.finish(complete: false)
                throw error
            }
            try sink?.finish()
        } catch let e as CLIError {
            throw ValidationFailure(e.description)
        }
        let scenariosRun = Set(result.reports.map(\.scenarioFile)).count
        for m in result.misses { printError("MISS \(m)") }
        if output.format != .text {
            print(output.format == .json ? MachineOutput.runsJSON(command: "check", database: common.out, reports: result.reports, misses: result.misses)
                                         : MachineOutput.runsCSV(result.reports))
        } else if !common.quiet {
            for f in result.skipped { print("skipped (no expect:): \(f)") }
            let checks = result.reports.count
            print("\(scenariosRun) scenarios, \(checks) runs: \(result.misses.isEmpty ? "all expectations hold" : "\(result.misses.count) expectations missed")")
        }
        if !result.misses.isEmpty { throw ExitCode(1) }
    }
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check scenario files without running them.")

    @Argument(help: "Scenario files or folders.")
    var files: [String]

    @OptionGroup var output: FormatOption

    mutating func run() throws {
        let all: [String]
        do { all = try ScenarioFiles.expand(files) } catch let e as CLIError { throw ValidationFailure(e.description) }
        var results: [MachineOutput.Validated] = []
        for f in all {
            do {
                results.append(.init(file: f, scenario: try ScenarioLoader.load(path: f), issues: []))
            } catch let e as ScenarioErrors {
                results.append(.init(file: f, scenario: nil, issues: e.issues))
            } catch {
                results.append(.init(file: f, scenario: nil, issues: [ScenarioIssue(mark: nil, message: "\(error)", file: f)]))
            }
        }
        switch output.format {
        case .json: print(MachineOutput.validateJSON(results))
        case .csv: print(MachineOutput.validateCSV(results))
        case .text:
            for r in results {
                if let s = r.scenario {
                    print("\(r.file): ok (\(s.architecture.strategy), \(s.seeds.count) seed\(s.seeds.count == 1 ? "" : "s"), \(s.faults.count) fault\(s.faults.count == 1 ? "" : "s"))")
                } else {
                    printError(ScenarioErrors(issues: r.issues).description)
                }
            }
        }
        if results.contains(where: { !$0.issues.isEmpty }) { throw ExitCode(1) }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the strategies with their options, and the mysql: settings, with defaults and where the defaults come from.")

    @OptionGroup var output: FormatOption

    mutating func run() throws {
        if output.format != .text {
            print(output.format == .json ? MachineOutput.listJSON() : MachineOutput.listCSV())
            return
        }
        for d in StrategyCatalog.all {
            print("\(d.name)\n  \(d.summary)")
            if d.options.isEmpty { print("  (no options)") }
            for o in d.options {
                print("  \(o.name): \(o.kind.rawValue) = \(o.defaultValue)" + (o.range == .any ? "" : "  (range \(o.range))"))
                print("      \(o.help)")
                print("      default: \(o.source)")
            }
            print("")
        }
        print("faults (one kind per entry, with at: and an optional end, recover_after: DURATION or until: TIME; scenarios/README.md)")
        for k in FaultKind.Name.allCases {
            let doc = k.documentation
            print("  \(doc.form)")
            print("      \(doc.help)")
            print("      source: \(doc.source)")
        }
        print("")
        print("fault_processes (random failures per component class; `hasim fleet` and scenario runs)")
        for p in FaultProcessSpec.defaults + [FaultProcessSpec.maintenance] {
            let shape = p.shape == 1 ? "exponential" : "Weibull shape \(p.shape)"
            print("  \(p.component.rawValue): afr = \(p.afr)/year (\(shape)), mttr = \(Time.text(p.mttr)) (lognormal sigma \(p.repairSigma))")
            print("      \(FaultProcessSpec.help(p.component))")
            print("      default: \(FaultProcessSpec.source(p.component))")
        }
        print("")
        print("workload: protocol: udp (a UDP datagram client instead of a MySQL one; scenarios/README.md)")
        for k in UDPClientKeyCatalog.keys {
            print("  \(k.key): \(k.unit) = \(k.defaultValue)")
            print("      \(k.help)")
            print("      default: \(k.source)")
        }
        print("")
        print("web: (users, Apache + mod_jk or mod_proxy, Tomcat in front of the database; docs/web-tier.md, scenarios/README.md)")
        for k in WebKeyCatalog.keys {
            print("  \(k.key): \(k.unit) = \(k.defaultValue)")
            print("      \(k.help)")
            print("      default: \(k.source)")
        }
        print("")
        print("mysql: (server settings shared by every database; scenarios/README.md)")
        for k in MySQLKeyCatalog.keys {
            print("  \(k.key): \(k.unit) = \(k.defaultValue)")
            print("      \(k.help)")
            print("      default: \(k.source)")
        }
    }
}

/// A user error printed without a stack of "Error:" prefixes.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func printError(_ s: String) {
    FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
}
