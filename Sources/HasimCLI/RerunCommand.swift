import ArgumentParser
import Foundation
import HasimKernel
import HasimScenario
import HasimResults
import HasimReport

/// Re-runs a stored run from the resolved scenario kept with it (schema v2) and checks the
/// result is the stored one, row for row.
public enum Rerun {
    public struct Outcome: Sendable {
        public let stored: RunReport
        public let again: RunReport
        /// Names of the parts that differ (empty: identical).
        public let differences: [String]
    }

    public static func rerun(database: String, run id: Int64) throws -> Outcome {
        let store = try open(database)
        defer { try? store.close() }
        return try rerun(store: store, run: id)
    }

    /// Every complete run of the database, re-run in parallel across runs; the outcomes in
    /// run-id order with their differences only (the reports themselves are dropped as each
    /// run is checked, so a large database does not have to fit in memory twice).
    public static func rerunAll(database: String, parallel: Bool = true,
                                progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [(run: Int64, differences: [String])] {
        let store = try open(database)
        defer { try? store.close() }
        let ids = try store.runs().map(\.id)
        final class Box: @unchecked Sendable {
            var results: [[String]?]
            var errors: [String] = []
            var done = 0
            let lock = NSLock()
            init(_ n: Int) { results = Array(repeating: nil, count: n) }
        }
        let box = Box(ids.count)
        let work: @Sendable (Int) -> Void = { i in
            do {
                let d = try rerun(store: store, run: ids[i]).differences
                box.lock.lock(); box.results[i] = d; box.done += 1; let n = box.done; box.lock.unlock()
                progress?(n, ids.count)
            } catch {
                box.lock.lock(); box.errors.append("run \(ids[i]): \(error)"); box.lock.unlock()
            }
        }
        if parallel && ids.count > 1 {
            DispatchQueue.concurrentPerform(iterations: ids.count, execute: work)
        } else {
            for i in ids.indices { work(i) }
        }
        if !box.errors.isEmpty { throw CLIError(box.errors.sorted().joined(separator: "\n")) }
        return zip(ids, box.results).map { ($0, $1!) }
    }

    private static func open(_ database: String) throws -> ResultsStore {
        guard FileManager.default.fileExists(atPath: database) else { throw CLIError("\(database): no such results database") }
        return try ResultsStore(path: database)
    }

    private static func rerun(store: ResultsStore, run id: Int64) throws -> Outcome {
        let stored = try store.report(run: id)
        guard !stored.scenarioYAML.isEmpty else {
            throw CLIError("run \(id) of \(store.path) has no stored scenario (written before schema v2, or by a "
                           + "hasim that did not record it): re-run it from its file, hasim run \(stored.scenarioFile) --seed \(stored.seed)")
        }
        let scenario = try ScenarioLoader.load(text: stored.scenarioYAML, file: stored.scenarioFile)
        let again = MetricsCalculator.report(try ScenarioRunner.run(scenario, seed: stored.seed))
        return Outcome(stored: stored, again: again, differences: differences(stored, again))
    }

    /// Which parts of two reports differ. `hasimVersion` counts: another build may measure differently.
    static func differences(_ a: RunReport, _ b: RunReport) -> [String] {
        var d: [String] = []
        func check<T: Equatable>(_ name: String, _ x: T, _ y: T) { if x != y { d.append(name) } }
        check("scenario", [a.scenarioName, a.scenarioFile, a.strategy], [b.scenarioName, b.scenarioFile, b.strategy])
        check("seed", a.seed, b.seed)
        check("duration", a.duration, b.duration)
        check("parameters", a.parametersJSON, b.parametersJSON)
        check("hasim version", a.hasimVersion, b.hasimVersion)
        check("resolved scenario", a.scenarioYAML, b.scenarioYAML)
        if a.metrics.count != b.metrics.count
            || zip(a.metrics, b.metrics).contains(where: { $0.name != $1.name || $0.unit != $1.unit
                || !($0.value == $1.value || ($0.value.isNaN && $1.value.isNaN)) }) {
            d.append("metrics")
        }
        check("incidents", a.incidents, b.incidents)
        check("timeline", a.timeline, b.timeline)
        check("lost transactions", a.lostTransactions, b.lostTransactions)
        check("replication errors", a.replicationErrors, b.replicationErrors)
        check("probes", a.probes, b.probes)
        check("group metrics", a.groupMetrics, b.groupMetrics)
        check("failed writes", a.failedWrites, b.failedWrites)
        check("commit latency", a.latency, b.latency)
        check("series", a.series, b.series)
        check("failovers", a.failovers, b.failovers)
        check("split-brain sides", a.splitBrainSides, b.splitBrainSides)
        check("divergence", a.divergence, b.divergence)
        check("errant transactions", a.errantTransactions, b.errantTransactions)
        return d
    }
}

struct RerunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Re-run a stored run from the scenario kept with it and check it gives the same results.",
        discussion: """
        The results database keeps each run's fully resolved scenario (every default filled
        in). rerun loads it, runs it with the run's seed, and compares every row with the
        stored ones; exit 1 if anything differs. --out writes the new run to a database.
        """)

    @Argument(help: "Results database (.sqlite).")
    var database: String

    @Argument(help: "Run id (the run_id column of run_summary, or the report's run number).")
    var runID: Int64?

    @Flag(name: .long, help: "Re-run every complete run of the database (in parallel) and check each; exit 1 if any differs.")
    var all = false

    @Flag(name: .long, help: "With --all: one run at a time.")
    var serial = false

    @Option(name: .long, help: "Also write the re-run to this results database.")
    var out: String?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    mutating func validate() throws {
        if all == (runID != nil) {
            throw ValidationError("give either a run id or --all (e.g. hasim rerun results/main.sqlite 3, or hasim rerun results/main.sqlite --all)")
        }
        if all && out != nil { throw ValidationError("--out re-runs one run; it cannot be used with --all") }
    }

    mutating func run() throws {
        guard let runID else { return try runAll() }
        let outcome: Rerun.Outcome
        do {
            outcome = try Rerun.rerun(database: database, run: runID)
        } catch let e as CLIError {
            throw ValidationFailure(e.description)
        }
        if let out {
            try Runner.write([outcome.again], to: out, command: "rerun", arguments: InvocationArguments.current)
        }
        if !quiet {
            print(SummaryTable.render([outcome.again]))
        }
        if outcome.differences.isEmpty {
            if !quiet { print("\nrun \(runID): identical to the stored run") }
        } else {
            printError("run \(runID): differs from the stored run in: \(outcome.differences.joined(separator: ", "))")
            throw ExitCode(1)
        }
    }

    private func runAll() throws {
        let total = (try? ResultsStore(path: database).runs().count) ?? 0
        let line = ProgressLine.make(label: "hasim rerun", total: total, quiet: quiet)
        let results: [(run: Int64, differences: [String])]
        do {
            results = try Rerun.rerunAll(database: database, parallel: !serial) { _, _ in line?.tick() }
        } catch let e as CLIError {
            line?.finish()
            throw ValidationFailure(e.description)
        }
        line?.finish()
        let differing = results.filter { !$0.differences.isEmpty }
        for r in differing {
            printError("run \(r.run): differs from the stored run in: \(r.differences.joined(separator: ", "))")
        }
        if !quiet { print("\(results.count - differing.count) of \(results.count) runs identical to the stored runs") }
        if !differing.isEmpty { throw ExitCode(1) }
    }
}
