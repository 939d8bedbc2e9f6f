import ArgumentParser
import Foundation
import HasimScenario
import HasimResults
import HasimReport
import HasimStore

/// `hasim compare`: the architectures of a scenario group, side by side, over
/// several seeds, into one results database (and the report with --report).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run scenarios that differ in architecture over several seeds; write one database and the comparison.",
        discussion: """
        Scenarios are grouped by their `group:` key, or else by the folder they are in: the
        scenarios of a group should face the same faults and differ in architecture. Every
        scenario runs once per seed (--seed, or each scenario's `seeds:`); all runs go into one
        results database, and the comparison (mean and min–max over seeds) is printed.
        With --report DIR, report.html and report.md are written into DIR as well.

        With --faults, PATHS are architecture files and every one of them runs against every
        fault file (scenarios/faults/): the fault file's faults, duration, quiesce, seeds and
        mysql replace the architecture's, its name becomes the group, and the report opens with
        a scorecard (architecture x fault). Errors point at the file they are in.

        Examples:
          hasim compare scenarios/architectures/ --seed 1-3 --out results/main.sqlite --report results/report
          hasim compare scenarios/architectures/ --faults scenarios/faults/ --report results/report --rpo 0 --rto 30s
        """)

    @Argument(help: "Scenario files or folders (architecture files with --faults).")
    var paths: [String]

    @Option(name: .long, parsing: .upToNextOption,
            help: "Fault files or folders: run every architecture in PATHS against each (see scenarios/faults/README.md).")
    var faults: [String] = []

    @OptionGroup var thresholds: ThresholdOptions

    @OptionGroup var output: FormatOption

    @OptionGroup var common: CommonRunOptions

    @Option(name: .long, help: "Also write report.html and report.md into this folder.")
    var report: String?

    mutating func run() throws {
        let path = common.out ?? Runner.defaultResultsPath(command: "compare")
        var reports: [RunReport] = []
        do {
            try common.installWatch()
            let files = try ScenarioFiles.expand(paths)
            guard !files.isEmpty else { throw CLIError("no scenario files in \(paths.joined(separator: " "))") }
            let scenarios: [Scenario]
            if faults.isEmpty {
                scenarios = try Runner.load(files, sweep: common.set)
            } else {
                let faultFiles = try ScenarioFiles.expand(faults)
                guard !faultFiles.isEmpty else { throw CLIError("no fault files in \(faults.joined(separator: " "))") }
                let combined = try FaultSuite.scenarios(architectures: files, faults: faultFiles)
                do {
                    scenarios = try Sweep.expand(combined, try common.set.map { try SweepParameter(parsing: $0) })
                } catch let e as SweepError { throw CLIError(e.description) }
            }
            let jobs = try common.select(Runner.jobs(scenarios, seeds: common.seeds))
            let sink = try ResultsSink(path: path, command: "compare", arguments: InvocationArguments.current,
                                       plannedJobs: jobs.count)
            let progress = ProgressLine.make(label: "hasim compare", total: jobs.count, quiet: common.quiet)
            do {
                reports = try ProgressRunner.run(jobs, parallel: !common.serial, progress: progress, sink: sink)
            } catch {
                try? sink.finish(complete: false)
                throw error
            }
            try sink.finish()
        } catch let e as CLIError {
            throw ValidationFailure(e.description)
        }
        let store = try ResultsStore(path: path)
        let data = try ComparisonData.load(store, databasePath: path)
        try store.close()
        for g in data.groups where !g.faultsAreShared {
            printError("warning: the scenarios of group '\(g.name)' do not face the same faults; their figures are not directly comparable")
        }
        if output.format != .text {
            print(output.format == .json ? MachineOutput.runsJSON(command: "compare", database: path, reports: reports)
                                         : MachineOutput.runsCSV(reports))
        } else if !common.quiet {
            print(ComparisonText.render(data))
            print("\nresults: \(path)")
        }
        if let folder = report {
            let written = try ReportWriter.write(database: path, to: folder, thresholds: try thresholds.value())
            if !common.quiet && output.format == .text { print("report:  \(written.html)\n         \(written.markdown)") }
        }
    }
}
