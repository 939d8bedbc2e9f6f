import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// Finds scenario files: files as given, folders searched recursively for
/// .yaml/.yml, in sorted order so every invocation runs them alike.
public enum ScenarioFiles {
    /// The folder name of a fault suite (scenarios/faults/), skipped when a parent folder is expanded.
    public static let faultFolder: Substring = "faults"

    public static func expand(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                throw CLIError("\(p): no such file or folder")
            }
            if isDir.boolValue {
                let found = (fm.enumerator(atPath: p)?.compactMap { $0 as? String } ?? [])
                    .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                    // A `faults/` folder below the one given holds fault files (hasim compare
                    // --faults), not scenarios; given itself, it is expanded like any folder.
                    .filter { !$0.split(separator: "/").dropLast().contains(faultFolder) }
                    .sorted()
                    .map { (p as NSString).appendingPathComponent($0) }
                out += found
            } else {
                out.append(p)
            }
        }
        return out
    }
}

public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// One scenario x one seed.
public struct RunJob: Sendable {
    public let scenario: Scenario
    public let seed: UInt64
}

/// Runs jobs, in parallel across runs (never inside one), and returns reports in
/// job order whatever order they finish in.
public enum Runner {
    /// `sink`, when given, receives each report as soon as it and every report before it
    /// are done: in job order, so the database's row order is the same in every process
    /// (and `--serial` gives the same database as parallel), and at most one run per core
    /// waits in memory for its predecessors.
    public static func run(_ jobs: [RunJob], parallel: Bool = true, sink: ResultsSink? = nil,
                           watch: RunWatch? = RunWatch.current) throws -> [RunReport] {
        final class Box: @unchecked Sendable {
            var reports: [RunReport?]
            var errors: [String] = []
            let lock = NSLock()
            init(_ n: Int) { reports = Array(repeating: nil, count: n) }
        }
        let box = Box(jobs.count)
        let work: @Sendable (Int) -> Void = { i in
            let job = jobs[i]
            do {
                let outcome = try ScenarioRunner.run(job.scenario, seed: job.seed, watch: watch)
                let report = MetricsCalculator.report(outcome)
                box.lock.lock(); box.reports[i] = report; box.lock.unlock()
                sink?.deliver(i, [report])
            } catch {
                box.lock.lock(); box.errors.append("\(job.scenario.file) seed \(job.seed): \(error)"); box.lock.unlock()
                sink?.deliver(i, [])
            }
            // The run's outcome is gone: give its freed heap back (peak memory flat across runs).
            ProcessHeap.trim()
        }
        if parallel && jobs.count > 1 {
            DispatchQueue.concurrentPerform(iterations: jobs.count, execute: work)
        } else {
            for i in jobs.indices { work(i) }
        }
        if !box.errors.isEmpty { throw CLIError(box.errors.sorted().joined(separator: "\n")) }
        return box.reports.map { $0! }
    }

    /// Loads every file; collects all errors before failing.
    public static func load(_ files: [String]) throws -> [Scenario] {
        var scenarios: [Scenario] = []
        var problems: [String] = []
        for f in files {
            do { scenarios.append(try ScenarioLoader.load(path: f)) } catch { problems.append("\(error)") }
        }
        if !problems.isEmpty { throw CLIError(problems.joined(separator: "\n")) }
        return scenarios
    }

    public static func jobs(_ scenarios: [Scenario], seeds: [UInt64]?) -> [RunJob] {
        scenarios.flatMap { s in (seeds ?? s.seeds).map { RunJob(scenario: s, seed: $0) } }
    }

    /// Default results path: results/hasim-<UTC date-time>.sqlite (the wall clock
    /// names the file; it never enters a simulation).
    public static func defaultResultsPath(command: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "results/\(command)-\(f.string(from: Date())).sqlite"
    }

    public static func write(_ reports: [RunReport], to path: String, command: String, arguments: [String]) throws {
        let sink = try ResultsSink(path: path, command: command, arguments: arguments, plannedJobs: 1)
        sink.deliver(0, reports)
        try sink.finish()
    }
}

/// The results database of one command, written run by run as runs finish (issue 17):
/// an interrupt (Ctrl-C, SIGTERM, SIGKILL) keeps every run written so far, and the
/// invocation stays marked 'running' so `hasim report` says how many are missing.
/// Opened before anything is simulated, so a bad path, a locked file or a file that is
/// not a hasim database is refused at once, not after an hour of runs.
public final class ResultsSink: @unchecked Sendable {
    public let path: String
    private let store: ResultsStore
    private let invocation: Int64
    private let lock = NSLock()
    /// Reports of finished jobs waiting for an earlier job (delivery is in job order).
    private var waiting: [Int: [RunReport]] = [:]
    private var next = 0
    private var failure: Error?
    public private(set) var written = 0

    public init(path: String, command: String, arguments: [String], plannedJobs: Int) throws {
        self.path = path
        do {
            store = try ResultsStore(path: path)
            invocation = try store.beginInvocation(command: command, arguments: arguments,
                                                   hasimVersion: HasimVersion.string, plannedRuns: plannedJobs)
        } catch {
            throw CLIError("cannot write results to \(path.isEmpty ? "\"\"" : path): \(error)")
        }
    }

    /// Job `index` produced `reports` (none if it failed); writes every report whose
    /// predecessors are all in. Called from any thread.
    public func deliver(_ index: Int, _ reports: [RunReport]) {
        lock.lock(); defer { lock.unlock() }
        waiting[index] = reports
        while let ready = waiting.removeValue(forKey: next) {
            next += 1
            guard failure == nil else { continue }
            for r in ready {
                do { _ = try store.write(r, invocation: invocation); written += 1 } catch { failure = error }
            }
        }
    }

    /// Marks the invocation complete, or throws the first write error (naming the file).
    public func finish(complete: Bool = true) throws {
        lock.lock(); defer { lock.unlock() }
        if let failure {
            throw CLIError("writing \(path) failed after \(written) runs: \(failure)")
        }
        if complete { try store.finishInvocation(invocation) }
        try store.close()
    }
}

/// What `hasim check` found for one scenario.
public struct CheckMiss: Sendable, CustomStringConvertible {
    public let file: String
    public let seed: UInt64
    public let expectation: Expectation
    public let actual: Double?
    public var description: String {
        let place = expectation.mark.map { "\($0)" } ?? file
        let got = actual.map(expectation.text) ?? "no value (metric not measured in this run)"
        return "\(place): expect \(expectation.metric) \(expectation.boundDescription), got \(got) (seed \(seed))"
    }
}

public enum Checker {
    /// Runs every scenario that has expectations, for each of its seeds.
    public static func check(_ scenarios: [Scenario], seeds: [UInt64]?, sink: ResultsSink? = nil) throws
        -> (reports: [RunReport], misses: [CheckMiss], skipped: [String]) {
        let withExpect = scenarios.filter { !$0.expectations.isEmpty }
        let skipped = scenarios.filter { $0.expectations.isEmpty }.map(\.file)
        let jobs = Runner.jobs(withExpect, seeds: seeds)
        let reports = try Runner.run(jobs, sink: sink)
        var misses: [CheckMiss] = []
        for (job, report) in zip(jobs, reports) {
            for e in job.scenario.expectations {
                let v = report.metric(e.metric)
                if v == nil || !e.holds(v!) {
                    misses.append(CheckMiss(file: job.scenario.file, seed: job.seed, expectation: e, actual: v))
                }
            }
        }
        return (reports, misses, skipped)
    }
}
