import Foundation
import HasimKernel
import HasimScenario
import HasimResults
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A live "runs done / total, simulated time of the runs in flight, elapsed" line on
/// stderr for commands that take more than a moment. Shown only when stderr is a terminal and --quiet is off; it
/// starts drawing after `delay`, redraws itself in place, and is erased when the
/// work ends. It only watches: runs, their order and their results are the same
/// with or without it. (The wall clock here times the command, never a simulation.)
public final class ProgressLine: @unchecked Sendable {
    public let total: Int
    public let label: String
    private let lock = NSLock()
    private var done = 0
    private var drawn = false
    private var finished = false
    private let started = DispatchTime.now()
    private var timer: DispatchSourceTimer?
    private let delay: Double
    private let write: (String) -> Void
    /// Where the runs in flight have got in simulated time (a 24 h run is not "0/1" for
    /// its whole length); nil: runs done only.
    var watch: RunWatch?

    /// nil when no line should be drawn (quiet, stderr not a terminal, nothing to run).
    public static func make(label: String, total: Int, quiet: Bool) -> ProgressLine? {
        guard !quiet, total > 0, isatty(STDERR_FILENO) != 0 else { return nil }
        let p = ProgressLine(label: label, total: total, delay: 0.4) { s in
            FileHandle.standardError.write(Data(s.utf8))
        }
        p.watch = RunWatch.current
        p.start()
        return p
    }

    init(label: String, total: Int, delay: Double, write: @escaping (String) -> Void) {
        self.label = label
        self.total = total
        self.delay = delay
        self.write = write
    }

    func start() {
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        t.schedule(deadline: .now() + delay, repeating: 0.25)
        t.setEventHandler { [weak self] in self?.redraw(force: true) }
        t.resume()
        timer = t
    }

    /// One run finished.
    public func tick() {
        lock.lock(); done += 1; lock.unlock()
        redraw(force: false)
    }

    /// Erases the line; later ticks draw nothing.
    public func finish() {
        timer?.cancel()
        lock.lock(); defer { lock.unlock() }
        if drawn { write("\r\u{1B}[2K") }
        finished = true
    }

    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }

    /// "hasim compare: 3/10 runs done · 12.4 s elapsed · about 29 s left", with the runs in flight
    /// between: "hasim run: 0/1 runs done · simulated 3h 12m of 24h 1m · 2 min 05 s elapsed".
    /// (The estimate assumes the remaining runs take as long as the finished ones did on average.)
    public func text(done: Int, elapsed: Double, inFlight: [(now: SimTime, end: SimTime)] = []) -> String {
        let flight = Self.inFlightText(inFlight).map { " · \($0)" } ?? ""
        var s = "\(label): \(done)/\(total) runs done\(flight) · \(Time.text(seconds: elapsed)) elapsed"
        if done > 0 && done < total {
            s += " · about \(Time.text(seconds: (elapsed / Double(done) * Double(total - done)).rounded())) left"
        }
        return s
    }

    /// One run: its simulated time done and total; several: each one's share done.
    static func inFlightText(_ runs: [(now: SimTime, end: SimTime)]) -> String? {
        guard !runs.isEmpty else { return nil }
        if runs.count == 1 { return "simulated \(short(runs[0].now)) of \(short(runs[0].end))" }
        let shown = runs.prefix(4).map { r in "\(r.end > 0 ? Int(Double(r.now) / Double(r.end) * 100) : 100) %" }
        return "\(runs.count) in flight: simulated " + shown.joined(separator: ", ") + (runs.count > 4 ? ", ..." : "")
    }

    /// "3h 12m", "12m 05s", "45s": a clock a user reads at a glance.
    static func short(_ t: SimTime) -> String {
        let s = t / Time.second
        if s >= 3600 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        if s >= 60 { return "\(s / 60)m \(s % 60 < 10 ? "0" : "")\(s % 60)s" }
        return "\(s)s"
    }

    private func redraw(force: Bool) {
        let el = elapsed
        lock.lock(); defer { lock.unlock() }
        guard !finished, el >= delay, force || drawn else { return }
        write("\r\u{1B}[2K" + text(done: done, elapsed: el, inFlight: watch?.runsInFlight ?? []))
        drawn = true
    }
}

/// `Runner.run` and `Checker.check` with a progress line. Without one they are
/// called as they are; with one, every run is handed to them on its own (in
/// parallel as they do it) so each finished run can tick the line. Reports,
/// misses and errors come back in the same order either way.
public enum ProgressRunner {
    public static func run(_ jobs: [RunJob], parallel: Bool, progress: ProgressLine?,
                           sink: ResultsSink? = nil) throws -> [RunReport] {
        guard let progress else { return try Runner.run(jobs, parallel: parallel, sink: sink) }
        defer { progress.finish() }
        return try each(jobs.count, parallel: parallel, progress: progress, deliver: { i, r in sink?.deliver(i, r.map { [$0] } ?? []) }) { i in
            try Runner.run([jobs[i]], parallel: false)[0]
        }
    }

    public static func check(_ scenarios: [Scenario], seeds: [UInt64]?, progress: ProgressLine?,
                             sink: ResultsSink? = nil) throws
        -> (reports: [RunReport], misses: [CheckMiss], skipped: [String]) {
        guard let progress else { return try Checker.check(scenarios, seeds: seeds, sink: sink) }
        defer { progress.finish() }
        let jobs = Runner.jobs(scenarios.filter { !$0.expectations.isEmpty }, seeds: seeds)
        let results = try each(jobs.count, parallel: true, progress: progress,
                               deliver: { i, r in sink?.deliver(i, r?.reports ?? []) }) { i in
            try Checker.check([jobs[i].scenario], seeds: [jobs[i].seed])
        }
        return (results.flatMap(\.reports), results.flatMap(\.misses),
                scenarios.filter { $0.expectations.isEmpty }.map(\.file))
    }

    /// Number of runs a check of these scenarios makes (for the progress total).
    public static func checkRuns(_ scenarios: [Scenario], seeds: [UInt64]?) -> Int {
        Runner.jobs(scenarios.filter { !$0.expectations.isEmpty }, seeds: seeds).count
    }

    /// body(0..<n), in parallel unless told otherwise, results in index order;
    /// errors of all items are collected and thrown together, sorted, as Runner does.
    static func each<T>(_ n: Int, parallel: Bool, progress: ProgressLine,
                        deliver: @escaping @Sendable (Int, T?) -> Void = { _, _ in },
                        _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
        let box = ResultsBox<T>(n)
        let work: @Sendable (Int) -> Void = { i in
            do {
                let r = try body(i)
                box.lock.lock(); box.results[i] = r; box.lock.unlock()
                deliver(i, r)
            } catch {
                box.lock.lock(); box.errors.append("\(error)"); box.lock.unlock()
                deliver(i, nil)
            }
            progress.tick()
        }
        if parallel && n > 1 {
            DispatchQueue.concurrentPerform(iterations: n, execute: work)
        } else {
            for i in 0..<n { work(i) }
        }
        if !box.errors.isEmpty { throw CLIError(box.errors.sorted().joined(separator: "\n")) }
        return box.results.map { $0! }
    }
}

/// Results of parallel work, filled in under a lock.
private final class ResultsBox<T>: @unchecked Sendable {
    var results: [T?]
    var errors: [String] = []
    let lock = NSLock()
    init(_ n: Int) { results = Array(repeating: nil, count: n) }
}
