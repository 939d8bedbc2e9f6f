import Foundation
import HasimKernel
import HasimStore

/// A metric the comparison shows, with how to write it.
public struct ReportMetric: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case duration, count }
    /// Name in the `metrics` table.
    public var name: String
    public var title: String
    /// Short column title for text tables.
    public var short: String
    public var kind: Kind
    public var help: String

    /// The comparison table's columns, in order (DESIGN.md's definitions).
    public static let comparison: [ReportMetric] = [
        ReportMetric(name: "write_downtime", title: "Write downtime", short: "downtime", kind: .duration,
                     help: "time probe writes from the application failed (100 ms probes, 1 s timeout)"),
        ReportMetric(name: "rto", title: "RTO (max)", short: "RTO max", kind: .duration,
                     help: "per incident, from the fault to the first acknowledged write issued after it; the largest incident"),
        ReportMetric(name: "lost_transactions", title: "Lost transactions", short: "lost tx", kind: .count,
                     help: "acknowledged commits missing from the final primary's data"),
        ReportMetric(name: "replication_crashes", title: "Replication crashes", short: "repl. crashes", kind: .count,
                     help: "replication threads stopped by an error (1062, 1032, 1236, ...)"),
        ReportMetric(name: "split_brain_time", title: "Split-brain time", short: "split brain", kind: .duration,
                     help: "time two writers the design means to be one (one application address) both accepted writes"),
        ReportMetric(name: "divergence", title: "Divergent rows", short: "divergent rows", kind: .count,
                     help: "rows differing between the final primary and the servers that should hold its data, after quiescence"),
        ReportMetric(name: "false_failovers", title: "False failovers", short: "false f/o", kind: .count,
                     help: "observed writer changes while the old primary's mysqld was running"),
        ReportMetric(name: "failovers", title: "Failovers", short: "failovers", kind: .count,
                     help: "observed changes of the server acknowledging the application's writes (a failback is two)"),
        ReportMetric(name: "commit_latency_p99", title: "Commit latency p99", short: "commit p99", kind: .duration,
                     help: "99th percentile of the time from a write's issue to its acknowledgement, every write"),
        ReportMetric(name: "mean_rto", title: "RTO (mean)", short: "RTO mean", kind: .duration,
                     help: "mean RTO over the incidents whose writes came back"),
    ]

    public static let downtime = comparison[0]
    public static let lostTransactions = comparison[2]

    /// The value written in this metric's unit ("19.2 min", "14").
    public func format(_ v: Double) -> String {
        kind == .duration ? Units.duration(seconds: v) : Units.count(v)
    }
}

/// Mean and spread of one metric over the runs (seeds) of one architecture.
public struct MetricStats: Sendable, Equatable {
    /// Runs that measured the metric.
    public var measured: Int
    /// Runs of the architecture.
    public var runs: Int
    public var mean: Double
    public var min: Double
    public var max: Double
    /// Sample standard deviation (0 for a single run).
    public var sd: Double

    /// Nil when no run measured the metric (NaN counts as not measured).
    public init?(_ values: [Double?]) {
        let v = values.compactMap { $0 }.filter { !$0.isNaN }
        guard !v.isEmpty else { return nil }
        measured = v.count
        runs = values.count
        mean = v.reduce(0, +) / Double(v.count)
        min = v.min()!
        max = v.max()!
        if v.count > 1 {
            let m = mean
            sd = (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
        } else {
            sd = 0
        }
    }
}

/// A complete run as the report sees it.
public struct ReportRun: Sendable {
    public var info: RunDescription
    /// Measured metrics; a NaN (NULL) metric is left out, as not measured.
    public var metrics: [String: Double]
    /// Metric units as stored.
    public var units: [String: String]
    public var parameters: JSONValue
    public var group: String
    /// An incident never saw a successful write again before the end: the run's RTO
    /// (the largest over incidents) is not a number but "never".
    public var neverRecovered: Bool = false
    /// The results database, as the report names it (for the re-run command).
    public var database: String = ""

    public var id: Int64 { info.id }

    /// The metric as a table shows it: "19.2 min", "never" (RTO of a run whose
    /// writes never came back) or "—" (not measured).
    public func display(_ m: ReportMetric) -> String {
        if let v = metrics[m.name] { return m.format(v) }
        return m.name == "rto" && neverRecovered ? "never" : "—"
    }
    public var seed: UInt64 { info.seed }
    /// Duration + quiesce: the run's simulated end.
    public var end: SimTime {
        info.duration + (parameters["quiesce_ns"]?.int ?? 0)
    }
    /// `hasim rerun DB RUN_ID` when the run's resolved scenario is stored (schema v2),
    /// else the scenario file and seed.
    public var rerunCommand: String {
        info.hasStoredScenario && !database.isEmpty
            ? "hasim rerun \(ReportRun.shellQuote(database)) \(info.id)"
            : "hasim run \(ReportRun.shellQuote(info.scenarioFile)) --seed \(info.seed)"
    }

    static func shellQuote(_ s: String) -> String {
        let safe = s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-+,:=@".unicodeScalars.contains($0) }
        return safe && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The group a run belongs to: the scenario's `group:` if it set one, else the
    /// folder its file is in.
    static func group(parameters: JSONValue, file: String) -> String {
        if let g = parameters["group"]?.string, !g.isEmpty { return g }
        let dir = (file as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }
}

/// One architecture (one scenario file) of a group, with its runs in seed order.
public struct ArchitectureSummary: Sendable {
    public var scenarioName: String
    public var scenarioFile: String
    public var strategy: String
    public var runs: [ReportRun]
    public var parameters: JSONValue { runs.first?.parameters ?? .null }

    /// "at 5 min: host_crash db1; ..." or "none".
    public var faultsText: String {
        let f = parameters["faults"]?.array ?? []
        return f.isEmpty ? "none" : f.map(Parameters.fault).joined(separator: "; ")
    }

    public func stats(_ metric: String) -> MetricStats? {
        MetricStats(runs.map { $0.metrics[metric] })
    }

    /// Runs whose RTO is "never" (writes did not come back before the end).
    public func never(_ metric: String) -> Int {
        metric == "rto" ? runs.filter { $0.metrics["rto"] == nil && $0.neverRecovered }.count : 0
    }
}

/// Scenarios compared side by side: meant to face the same faults.
public struct GroupSummary: Sendable {
    public var name: String
    public var architectures: [ArchitectureSummary]

    public var runs: [ReportRun] { architectures.flatMap(\.runs) }
    public var seeds: [UInt64] { Array(Set(runs.map(\.seed))).sorted() }

    /// Each architecture's fault list, and whether they are all the same.
    public var faultsAreShared: Bool {
        Set(architectures.map { ($0.parameters["faults"] ?? .null).compact }).count <= 1
    }

    /// The unit a duration metric's column is written in for this group, so its
    /// rows compare at a glance: the one its largest value reads best in. Nil (each
    /// cell picks its own) for counts, and when the values are more than 10x apart
    /// ("30.0 s" reads better than "0.50 min" next to "19.2 min").
    public func unit(_ m: ReportMetric) -> Units.DurationUnit? {
        guard m.kind == .duration else { return nil }
        let means = architectures.compactMap { $0.stats(m.name) }.map { abs($0.mean) }.filter { $0 > 0 }
        guard let lo = means.min(), let hi = means.max(), hi <= 10 * lo else { return nil }
        let biggest = architectures.compactMap { $0.stats(m.name) }.map { Swift.max(abs($0.mean), abs($0.max)) }.max() ?? 0
        return Units.unit(forSeconds: biggest)
    }

    /// Index of the architecture with the lowest mean, when it is strictly lowest
    /// and at least two architectures measured the metric.
    public func best(_ metric: String) -> Int? {
        let means = architectures.enumerated().compactMap { i, a in a.stats(metric).map { (i, $0.mean) } }
        guard means.count >= 2, let lo = means.min(by: { $0.1 < $1.1 }) else { return nil }
        return means.filter { $0.1 == lo.1 }.count == 1 ? lo.0 : nil
    }
}

/// Everything a report shows, read from one results database.
public struct ComparisonData: Sendable {
    public var databasePath: String
    public var groups: [GroupSummary]
    /// Older runs of the same scenario file, name and seed that a later run replaced.
    public var replacedRuns: Int
    public var invocations: [StoredInvocation]
    public var versions: [String]

    public var runs: [ReportRun] { groups.flatMap(\.runs) }

    /// Loads the complete runs of the database. When one scenario (file + name) ran
    /// with the same seed more than once, the latest run counts.
    public static func load(_ store: ResultsStore, databasePath: String? = nil) throws -> ComparisonData {
        let descriptions = try store.runDescriptions()
        let metrics = try store.allMetrics()
        var latest: [String: Int] = [:]
        for (i, d) in descriptions.enumerated() {
            latest["\(d.scenarioFile)\u{0}\(d.scenarioName)\u{0}\(d.seed)"] = i
        }
        let kept = Set(latest.values)
        var runs: [ReportRun] = []
        for (i, d) in descriptions.enumerated() where kept.contains(i) {
            let params = JSONValue.parse(d.parametersJSON)
            var values: [String: Double] = [:], units: [String: String] = [:]
            for m in metrics[d.id] ?? [] {
                units[m.name] = m.unit
                if !m.value.isNaN { values[m.name] = m.value }
            }
            // The headline RTO is the largest over incidents: one that never recovered makes it "never".
            let incidents = try store.incidents(run: d.id)
            runs.append(ReportRun(info: d, metrics: values, units: units, parameters: params,
                                  group: ReportRun.group(parameters: params, file: d.scenarioFile),
                                  neverRecovered: incidents.contains { $0.rto == nil },
                                  database: databasePath ?? store.path))
        }
        var groups: [GroupSummary] = []
        for r in runs {
            var gi = groups.firstIndex { $0.name == r.group }
            if gi == nil { groups.append(GroupSummary(name: r.group, architectures: [])); gi = groups.count - 1 }
            var archs = groups[gi!].architectures
            if let ai = archs.firstIndex(where: { $0.scenarioFile == r.info.scenarioFile && $0.scenarioName == r.info.scenarioName }) {
                archs[ai].runs.append(r)
            } else {
                archs.append(ArchitectureSummary(scenarioName: r.info.scenarioName, scenarioFile: r.info.scenarioFile,
                                                 strategy: r.info.strategy, runs: [r]))
            }
            groups[gi!].architectures = archs
        }
        for g in groups.indices {
            for a in groups[g].architectures.indices {
                groups[g].architectures[a].runs.sort { ($0.seed, $0.id) < ($1.seed, $1.id) }
            }
        }
        return ComparisonData(databasePath: databasePath ?? store.path, groups: groups,
                              replacedRuns: descriptions.count - kept.count,
                              invocations: try store.invocations(),
                              versions: Array(Set(runs.map(\.info.hasimVersion))).sorted())
    }
}

/// How the mean and spread of a metric are written, in one unit with enough
/// decimals that a real spread never reads as "19.2–19.2".
public struct StatsText: Sendable, Equatable {
    public var mean: String
    /// "19.1–19.3 min", or nil when every run gave the same value (or one run).
    public var range: String?
    public var sd: String?

    /// `unit`: the duration unit of the whole column (so rows compare at a glance);
    /// nil picks one for this cell.
    public init(_ s: MetricStats, _ metric: ReportMetric, unit: Units.DurationUnit? = nil) {
        if metric.kind == .count {
            mean = Units.count(s.mean)
            range = s.min == s.max ? nil : Units.count(s.min) + "–" + Units.count(s.max)
            sd = s.measured > 1 && s.min != s.max ? "± " + Units.count(s.sd) : nil
            return
        }
        if s.max == 0 && s.min == 0 {
            mean = "0 s"; range = nil; sd = nil
            return
        }
        let u = unit ?? Units.unit(forSeconds: Swift.max(abs(s.mean), abs(s.max)))
        var d = Units.decimals(for: s.mean / u.seconds)
        // One more decimal when the spread would otherwise vanish; a spread finer
        // than that is negligible and not shown.
        var spread = s.min != s.max
        if spread && Units.number(s.min / u.seconds, d) == Units.number(s.max / u.seconds, d) {
            spread = Units.number(s.min / u.seconds, d + 1) != Units.number(s.max / u.seconds, d + 1)
            if spread { d += 1 }
        }
        mean = Units.number(s.mean / u.seconds, d) + " " + u.symbol
        range = spread ? Units.number(s.min / u.seconds, d) + "–" + Units.number(s.max / u.seconds, d) + " " + u.symbol : nil
        let sdText = Units.number(s.sd / u.seconds, d)
        sd = spread && s.measured > 1 && Double(sdText) != 0 ? "± " + sdText + " " + u.symbol : nil
    }

    /// "19.2 min (19.1–19.3 min)" or "19.2 min".
    public var inline: String { range.map { "\(mean) (\($0))" } ?? mean }
}
