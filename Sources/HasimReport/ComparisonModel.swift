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
    /// The lowest mean is the best (bold); false for a rate users want high (TPS).
    public var lowerIsBetter = true

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

    /// What the users of a web tier saw (runs with `web:`): the seed's comparison of web designs.
    public static let web: [ReportMetric] = [
        ReportMetric(name: "http_errors", title: "Failed requests", short: "failed req.", kind: .count,
                     help: "requests not answered 200 (500, 503, or no answer at all)"),
        ReportMetric(name: "http_no_answer", title: "No answer", short: "no answer", kind: .count,
                     help: "requests with no HTTP answer: refused, reset, or the users' timeout"),
        ReportMetric(name: "http_tps", title: "TPS", short: "TPS", kind: .count,
                     help: "requests answered 200 per second, over the run", lowerIsBetter: false),
        ReportMetric(name: "http_tps_min", title: "Lowest TPS", short: "TPS min", kind: .count,
                     help: "the lowest one-interval rate of 200 answers from the first fault on: the TPS dip", lowerIsBetter: false),
        ReportMetric(name: "sessions_lost", title: "Sessions lost", short: "sessions lost", kind: .count,
                     help: "users logged out (an answer carried a new session)"),
        ReportMetric(name: "http_latency_p99", title: "Latency p99", short: "p99", kind: .duration,
                     help: "99th percentile of the users' response time"),
    ]

    /// The L4 director's load (runs with `web.l4`, table l4_load): the seed's case for DSR.
    public static let l4: [ReportMetric] = [
        ReportMetric(name: "l4_bytes_out", title: "L4 bytes out", short: "L4 out", kind: .count,
                     help: "bytes the L4 director's NIC sent: requests and responses in NAT, requests only with DSR"),
        ReportMetric(name: "l4_peak_utilisation", title: "L4 peak utilisation", short: "L4 peak", kind: .count,
                     help: "the director NIC's busiest second over its bandwidth (1: saturated)"),
        ReportMetric(name: "l4_queue_delay_max", title: "L4 queue delay max", short: "L4 queue", kind: .duration,
                     help: "the longest a packet waited in the director's NIC queue"),
        ReportMetric(name: "l4_drops", title: "L4 drops", short: "L4 drops", kind: .count,
                     help: "messages dropped at the tail of the director's full transmit queue (txqueuelen)"),
    ]

    public static let downtime = comparison[0]
    public static let lostTransactions = comparison[2]

    /// The value written in this metric's unit ("19.2 min", "14").
    public func format(_ v: Double) -> String {
        kind == .duration ? Time.text(seconds: v) : Units.count(v)
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

    /// Architectures by name: in a fault suite every fault is a group holding the same ones,
    /// so counting them per group would count each once per fault.
    public var architectureCount: Int { Set(groups.flatMap { $0.architectures.map(\.scenarioName) }).count }

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

/// How the mean and spread of a metric are written: durations in hasim's one duration
/// format (`Time.text`), counts as numbers; a spread that reads the same at both ends
/// ("19 min 10 s–19 min 10 s") is not shown.
public struct StatsText: Sendable, Equatable {
    public var mean: String
    /// "1.2–4.5 s", or nil when every run gave the same value (or one run).
    public var range: String?
    public var sd: String?

    public init(_ s: MetricStats, _ metric: ReportMetric) {
        let isCount = metric.kind == .count
        func f(_ v: Double) -> String { isCount ? Units.count(v) : Time.text(seconds: v) }
        mean = f(s.mean)
        let lo = f(s.min), hi = f(s.max)
        range = lo == hi ? nil : lo + "–" + hi
        let sdText = f(s.sd)
        sd = range != nil && s.measured > 1 && sdText != f(0) ? "± " + sdText : nil
    }

    /// "19 min 12 s (19 min 06 s–19 min 18 s)" or "19 min 12 s".
    public var inline: String { range.map { "\(mean) (\($0))" } ?? mean }
}
