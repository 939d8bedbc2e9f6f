import HasimKernel
import Foundation
import HasimStore

/// What the user will tolerate: a cell of the scorecard is coloured against these
/// (`--rpo`, `--rto`), so "good enough" is the reader's call, not the report's.
public struct Thresholds: Sendable, Equatable {
    /// Acknowledged transactions a design may lose (RPO; 0 = none may be lost).
    public var rpoTransactions: Double
    /// Longest tolerated RTO, seconds.
    public var rtoSeconds: Double

    public static let `default` = Thresholds(rpoTransactions: 0, rtoSeconds: 30)

    public init(rpoTransactions: Double, rtoSeconds: Double) {
        self.rpoTransactions = rpoTransactions
        self.rtoSeconds = rtoSeconds
    }

    public var text: String {
        "RPO ≤ \(Units.count(rpoTransactions)) lost transaction\(rpoTransactions == 1 ? "" : "s"), RTO ≤ \(Time.text(seconds: rtoSeconds))"
    }
}

/// Architectures (rows) against faults (columns, one per scenario group), each cell the
/// worst over its seeds; shown when the same architecture faced two or more faults.
public struct Scorecard: Sendable {
    public enum Severity: Int, Sendable, Comparable {
        case ok = 0, warn = 1, bad = 2
        public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
        public var name: String { ["ok", "warn", "bad"][rawValue] }
    }

    /// One thing that went wrong in a cell, with its severity; `what` reads after
    /// "under <fault>, it ...".
    public struct Finding: Sendable {
        public var severity: Severity
        /// Orders findings of one severity: lost data first, then split brain, ...
        public var rank: Int
        public var short: String
        public var what: String
        /// Size of the harm within its rank, to pick the worst cell of a row.
        public var size: Double
    }

    public struct Cell: Sendable {
        public var fault: String
        public var runs: [ReportRun]
        public var thresholds: Thresholds

        func worst(_ metric: String) -> Double? { runs.compactMap { $0.metrics[metric] }.max() }
        public var neverRecovered: Int { runs.filter { $0.neverRecovered }.count }
        public var downtime: MetricStats? { MetricStats(runs.map { $0.metrics["write_downtime"] }) }
        public var rto: MetricStats? { MetricStats(runs.map { $0.metrics["rto"] }) }
        /// The fault had an incident (a fault-free run has no RTO to judge).
        public var hasIncident: Bool { runs.contains { ($0.metrics["incidents"] ?? 0) > 0 } }

        /// Everything that went wrong, worst first.
        public var findings: [Finding] {
            var f: [Finding] = []
            let n = runs.count
            func seeds(_ k: Int) -> String { n > 1 ? " (\(k) of \(n) seeds)" : "" }
            func count(_ m: String) -> Int { runs.filter { ($0.metrics[m] ?? 0) > 0 }.count }
            if let lost = worst("lost_transactions"), lost > thresholds.rpoTransactions {
                f.append(Finding(severity: .bad, rank: 0, short: "lost \(Units.count(lost))",
                                 what: "loses up to \(Units.count(lost)) acknowledged transactions\(seeds(count("lost_transactions")))", size: lost))
            }
            if let sb = worst("split_brain_time"), sb > 0 {
                f.append(Finding(severity: .bad, rank: 1, short: "split brain \(Time.text(seconds: sb))",
                                 what: "runs two writers for up to \(Time.text(seconds: sb))\(seeds(count("split_brain_time")))", size: sb))
            }
            if let amb = worst("final_primary_ambiguous"), amb > 0 {
                f.append(Finding(severity: .bad, rank: 2, short: "two primaries at the end",
                                 what: "ends with two primaries, nobody knows which is right\(seeds(count("final_primary_ambiguous")))", size: amb))
            }
            if let d = worst("divergence"), d > 0 {
                f.append(Finding(severity: .bad, rank: 3, short: "\(Units.count(d)) rows differ",
                                 what: "leaves up to \(Units.count(d)) rows differing between servers\(seeds(count("divergence")))", size: d))
            }
            if neverRecovered > 0 {
                f.append(Finding(severity: .bad, rank: 4, short: "writes never back",
                                 what: "does not bring writes back before the run ends\(seeds(neverRecovered))", size: Double(neverRecovered)))
            }
            if let c = worst("replication_crashes"), c > 0 {
                f.append(Finding(severity: .warn, rank: 5, short: "\(Units.count(c)) repl. crash\(c == 1 ? "" : "es")",
                                 what: "stops replication with an error\(seeds(count("replication_crashes")))", size: c))
            }
            if let r = worst("rto"), r > thresholds.rtoSeconds {
                f.append(Finding(severity: .warn, rank: 6, short: "RTO > \(Time.text(seconds: thresholds.rtoSeconds))",
                                 what: "takes up to \(Time.text(seconds: r)) to take writes again", size: r))
            }
            if let ff = worst("false_failovers"), ff > 0 {
                f.append(Finding(severity: .warn, rank: 7, short: "\(Units.count(ff)) false failover\(ff == 1 ? "" : "s")",
                                 what: "fails over while the old primary still runs\(seeds(count("false_failovers")))", size: ff))
            }
            return f.sorted { ($0.severity, -$0.rank, $0.size) > ($1.severity, -$1.rank, $1.size) }
        }

        public var severity: Severity { findings.first?.severity ?? .ok }
    }

    public struct Row: Sendable {
        public var name: String
        public var strategy: String
        /// Hosts that run a database or one of the design's tools (not the application's).
        public var servers: Int?
        /// Commit latency p99 in normal operation: from a fault-free group, when there is one.
        public var normalLatencyP99: MetricStats?
        public var normalLatencyP50: MetricStats?
        public var cells: [Cell?]

        /// "what breaks this design": its worst measured outcome over the suite.
        public func verdict(faults: [String]) -> String {
            var worst: (Finding, String)?
            for c in cells.compactMap({ $0 }) {
                guard let f = c.findings.first else { continue }
                if let w = worst, (w.0.severity, -w.0.rank, w.0.size) >= (f.severity, -f.rank, f.size) { continue }
                worst = (f, c.fault)
            }
            guard let (f, fault) = worst else { return "Nothing in this suite broke it against these thresholds." }
            return "Under \u{201C}\(fault)\u{201D} it \(f.what)."
        }
    }

    public var faults: [String]
    public var rows: [Row]
    public var thresholds: Thresholds
    /// The fault-free group latency figures come from, if any.
    public var normalGroup: String?

    /// Nil unless at least one architecture faced two or more groups.
    public init?(_ data: ComparisonData, thresholds: Thresholds) {
        let faults = data.groups.map(\.name)
        var rows: [Row] = []
        let normal = data.groups.first { g in g.architectures.allSatisfy { ($0.parameters["faults"]?.array ?? []).isEmpty } }
        for (gi, g) in data.groups.enumerated() {
            for a in g.architectures {
                var ri = rows.firstIndex { $0.name == a.scenarioName && $0.strategy == a.strategy }
                if ri == nil {
                    rows.append(Row(name: a.scenarioName, strategy: a.strategy, servers: Scorecard.servers(a.parameters),
                                    cells: Array(repeating: nil, count: faults.count)))
                    ri = rows.count - 1
                }
                rows[ri!].cells[gi] = Cell(fault: g.name, runs: a.runs, thresholds: thresholds)
                if g.name == normal?.name {
                    rows[ri!].normalLatencyP99 = a.stats("commit_latency_p99")
                    rows[ri!].normalLatencyP50 = a.stats("commit_latency_p50")
                }
            }
        }
        guard rows.contains(where: { $0.cells.compactMap { $0 }.count >= 2 }) else { return nil }
        self.faults = faults
        self.rows = rows
        self.thresholds = thresholds
        normalGroup = normal?.name
    }

    /// Hosts running a database, the proxy, or a tool the strategy's options place on a
    /// host (a manager, a monitor); the application's hosts are not counted.
    static func servers(_ p: JSONValue) -> Int? {
        guard let dbs = p["topology"]?["databases"]?.array else { return nil }
        let sites = (p["topology"]?["sites"]?.array ?? []).flatMap { $0["hosts"]?.array ?? [] }.compactMap(\.string)
        var hosts = Set(dbs.compactMap { $0["host"]?.string })
        if let proxy = p["front_door"]?["proxy"]?["host"]?.string { hosts.insert(proxy) }
        for v in p["options"]?.object?.map(\.value) ?? [] {
            if let s = v.string, sites.contains(s) { hosts.insert(s) }
        }
        return hosts.count
    }
}
