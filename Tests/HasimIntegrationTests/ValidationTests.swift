import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// hasim held against the real software (issue 11). validation/figures.json pairs a figure of
/// a real run (validation/results/NAME.json, measured on this machine by scripts/validate --real)
/// with the same figure of hasim's scenario of that story (validation/scenarios/). Figures marked
/// `ci` must stay in their real band; the others are reported in docs/validation.md with the
/// mechanism that is missing. With HASIM_VALIDATION_OUT set, every figure's hasim value and
/// verdict is written there for scripts/validate to render.
@Suite struct ValidationTests {
    static let folder = repoRoot + "/validation/"

    /// How a figure is read from a hasim run. Exactly one of metric, latency, trace, errors,
    /// errorRate, firstError, firstAck, acks, lostWrites, firstReply, replyGap, slowRequests,
    /// maxLatency is set.
    struct HasimSide: Decodable {
        var metric: String?
        /// Percentile (50, 99) of acknowledged non-probe writes' latency before the first fault, in ms.
        var latency: Double?
        /// Seconds from the reference (`from`) to the first trace record of this kind.
        var trace: String?
        var node: String?
        var contains: String?
        /// Failures with this MySQL code after the first fault (or in the whole run without faults).
        var errors: Int?
        /// Failures with this code / non-probe attempts.
        var errorRate: Int?
        /// Seconds from the reference to the first failure with this code.
        var firstError: Int?
        /// Seconds from the reference to the acknowledgement of the first write issued at or after it.
        var firstAck: Bool?
        /// Non-probe acknowledged writes in [from, from + window) (window default: to the end).
        var acks: Bool?
        var window: Double?
        /// A replica's relay-log backlog (transactions received, not applied) at the last
        /// 1 s sample at or before the reference.
        var lag: String?
        /// Its Seconds_Behind_Master at that sample.
        var lagSeconds: String?
        /// Least-squares growth of its backlog (transactions/s) from 2 s to the reference.
        var lagGrowth: String?
        /// Seconds from the reference to the first sample where its backlog is 0 (drained).
        var drained: String?
        /// Its time-averaged backlog over the samples from `since` (default 5 s) to the reference:
        /// at the replica's capacity the backlog swings by hundreds within a second, so one
        /// sample at the kill is noise while the mean over 15 s is stable.
        var meanLag: String?
        /// The 90th percentile of the same samples' backlog.
        var lagP90: String?
        /// Transactions applied per second during the drain: the backlog at the reference over
        /// the time to drain it (as the real drained_tx / drain).
        var drainRate: String?
        var since: Double?
        /// Acknowledged application writes (probes excluded, as the real client's ledger) absent
        /// from the final primary: the real experiments count their own ledger rows only.
        var lostWrites: Bool?
        /// Seconds from the reference to the first reply a `protocol: udp` client got from this host.
        var firstReply: String?
        /// Seconds of the longest stretch without any UDP reply, from the reference to the end of the workload.
        var replyGap: Bool?
        /// The web tier's user requests that ended at or after the reference and took longer
        /// than this many seconds (the real client's `requests_over_Ns`).
        var slowRequests: Double?
        /// The longest such request, in seconds.
        var maxLatency: Bool?
        /// The reference time: "fault" (the first fault, default), "fault_end" (its recovery),
        /// "start", or "trace:KIND" (the first such record after the first fault).
        var from: String?
    }

    struct Figure: Decodable {
        var id: String
        var experiment: String
        var real: String
        var scenario: String
        var hasim: HasimSide
        /// timing and count: within +-20 % of the real median; outcome: zero vs non-zero agrees.
        var kind: String
        var ci: Bool
        var knownOff: String?
        var doc: String?
    }

    struct RealSummary: Decodable {
        var median: Double
        var min: Double
        var max: Double
        var n: Int
    }

    struct RealResult: Decodable {
        var summary: [String: RealSummary]
    }

    static func figures() throws -> [Figure] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "figures.json"))
        return try JSONDecoder().decode([Figure].self, from: data)
    }

    static func real(_ experiment: String) throws -> RealResult {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "results/\(experiment).json"))
        return try JSONDecoder().decode(RealResult.self, from: data)
    }

    // MARK: the hasim side

    static func reference(_ o: RunOutcome, _ from: String?) -> SimTime? {
        let fault = o.faults.first
        switch from ?? "fault" {
        case "start": return 0
        case "fault": return fault?.at
        case "fault_end": return fault?.recoveredAt
        // A story with two faults (a replica stopped, then the host crash) measures from the last.
        case "last_fault": return o.faults.last?.at
        case let s where s.hasPrefix("trace:"):
            let kind = String(s.dropFirst(6))
            let after = fault?.at ?? 0
            return o.trace.first { $0.kind.name == kind && $0.time >= after }?.time
        default: return nil
        }
    }

    /// The figure's value in one run, or nil when the run never produced it.
    static func value(_ h: HasimSide, _ o: RunOutcome, _ report: RunReport) -> Double? {
        if let m = h.metric { return report.metric(m) }
        if h.lostWrites == true { return Double(report.lostTransactions.filter { $0.table != "probes" }.count) }
        let faultAt = o.faults.first?.at
        if let p = h.latency {
            let end = faultAt ?? .max
            let l = o.ledger.filter { !$0.isProbe && $0.issuedAt < end && $0.issuedAt >= Time.s(2) }
                .map { $0.ackedAt - $0.issuedAt }.sorted()
            guard !l.isEmpty else { return nil }
            let k = min(l.count - 1, max(0, Int((p / 100 * Double(l.count - 1)).rounded())))
            return Time.seconds(l[k]) * 1000
        }
        if let code = h.errors {
            let after = faultAt ?? 0
            return Double(o.failures.filter { $0.code == code && $0.failedAt >= after }.count)
        }
        if let code = h.errorRate {
            let failed = o.failures.filter { !$0.isProbe }
            let attempts = failed.count + o.ledger.filter { !$0.isProbe }.count
            return attempts == 0 ? nil : Double(failed.filter { $0.code == code }.count) / Double(attempts)
        }
        guard let ref = reference(o, h.from) else { return nil }
        if let kind = h.trace {
            return o.trace.first {
                $0.kind.name == kind && $0.time >= ref && (h.node == nil || $0.node == h.node)
                    && (h.contains == nil || $0.detail.contains(h.contains!))
            }.map { Time.seconds($0.time - ref) }
        }
        if let code = h.firstError {
            return o.failures.filter { $0.code == code && $0.failedAt >= ref }.map { Time.seconds($0.failedAt - ref) }.min()
        }
        if let host = h.firstReply {
            return o.datagrams.compactMap { $0.firstReply(from: host, atOrAfter: ref) }.min().map { Time.seconds($0 - ref) }
        }
        if let web = o.web, h.slowRequests != nil || h.maxLatency == true {
            let after = web.records.filter { $0.finishedAt >= ref }.map { Time.seconds($0.latency) }
            if let s = h.slowRequests { return Double(after.filter { $0 > s }.count) }
            return after.max()
        }
        if h.replyGap == true {
            return o.datagrams.map { Time.seconds($0.longestSilence(from: ref, to: o.scenario.duration)) }.max()
        }
        if h.firstAck == true {
            return o.ledger.filter { $0.issuedAt >= ref }.map { Time.seconds($0.ackedAt - ref) }.min()
        }
        let backlog = { (node: String) in o.samples.filter { $0.server == node && $0.lagTransactions != nil } }
        if let node = h.lag {
            return backlog(node).last { $0.time <= ref }.map { Double($0.lagTransactions!) }
        }
        if let node = h.lagSeconds {
            return backlog(node).last { $0.time <= ref }.flatMap { $0.lagTime }.map(Time.seconds)
        }
        if let node = h.lagGrowth {
            let xs = backlog(node).filter { $0.time >= Time.s(2) && $0.time <= ref }
            guard xs.count >= 2 else { return nil }
            let t = xs.map { Time.seconds($0.time) }, y = xs.map { Double($0.lagTransactions!) }
            let mt = t.reduce(0, +) / Double(t.count), my = y.reduce(0, +) / Double(y.count)
            let den = zip(t, t).map { ($0 - mt) * ($1 - mt) }.reduce(0, +)
            return den == 0 ? nil : zip(t, y).map { ($0 - mt) * ($1 - my) }.reduce(0, +) / den
        }
        if let node = h.drained {
            return backlog(node).first { $0.time >= ref && $0.lagTransactions == 0 }.map { Time.seconds($0.time - ref) }
        }
        if let node = h.meanLag ?? h.lagP90 {
            let since = Time.fromSeconds(h.since ?? 5)
            let y = backlog(node).filter { $0.time >= since && $0.time < ref }.map { Double($0.lagTransactions!) }
            guard !y.isEmpty else { return nil }
            if h.meanLag != nil { return y.reduce(0, +) / Double(y.count) }
            // Nearest rank, as the real side's pct().
            let sorted = y.sorted()
            return sorted[min(sorted.count - 1, max(0, Int((0.9 * Double(sorted.count - 1)).rounded())))]
        }
        if let node = h.drainRate {
            let xs = backlog(node)
            guard let atKill = xs.last(where: { $0.time <= ref })?.lagTransactions, atKill > 0,
                  let end = xs.first(where: { $0.time >= ref && $0.lagTransactions == 0 })?.time, end > ref
            else { return nil }
            return Double(atKill) / Time.seconds(end - ref)
        }
        if h.acks == true {
            let end = h.window.map { ref + Time.ms(Int64($0 * 1000)) } ?? .max
            return Double(o.ledger.filter { !$0.isProbe && $0.ackedAt >= ref && $0.ackedAt < end }.count)
        }
        return nil
    }

    typealias Runs = [String: [(RunOutcome, RunReport)]]

    /// Every (scenario, seed) the figures need, run on all cores (each run is independent and
    /// deterministic; the results are placed by index, so the order of completion does not matter).
    static func runAll(_ figs: [Figure]) throws -> Runs {
        var names: [String] = []
        for f in figs where !names.contains(f.scenario) { names.append(f.scenario) }
        var jobs: [(String, Scenario, UInt64)] = []
        for n in names {
            let text = try String(contentsOfFile: folder + "scenarios/" + n, encoding: .utf8)
            let s = try ScenarioLoader.load(text: text, file: n)
            jobs += s.seeds.map { (n, s, $0) }
        }
        let slots = Slots(count: jobs.count)
        let work = jobs
        DispatchQueue.concurrentPerform(iterations: work.count) { i in
            let (_, s, seed) = work[i]
            slots.put(i, Result { let o = try ScenarioRunner.run(s, seed: seed); return (o, MetricsCalculator.report(o)) })
        }
        var runs: Runs = [:]
        for (i, job) in jobs.enumerated() { runs[job.0, default: []].append(try slots.get(i)) }
        return runs
    }

    final class Slots: @unchecked Sendable {
        private var items: [Result<(RunOutcome, RunReport), Error>?]
        private let lock = NSLock()
        init(count: Int) { items = Array(repeating: nil, count: count) }
        func put(_ i: Int, _ r: Result<(RunOutcome, RunReport), Error>) { lock.lock(); items[i] = r; lock.unlock() }
        func get(_ i: Int) throws -> (RunOutcome, RunReport) { try items[i]!.get() }
    }

    /// Median over the scenario's seeds.
    static func hasimValue(_ f: Figure, runs: Runs) -> Double? {
        let vals = (runs[f.scenario] ?? []).compactMap { value(f.hasim, $0.0, $0.1) }.sorted()
        guard !vals.isEmpty else { return nil }
        return vals.count % 2 == 1 ? vals[vals.count / 2] : (vals[vals.count / 2 - 1] + vals[vals.count / 2]) / 2
    }

    // MARK: verdicts

    struct Verdict {
        /// Within +-20 % of the real median (timing, count) or the same class (outcome).
        var agrees: Bool
        /// Inside the real band CI holds it to: [min(real min, 0.8 median), max(real max, 1.2 median)].
        var inBand: Bool
        var ratio: Double?
    }

    static func verdict(kind: String, real: RealSummary, hasim: Double?) -> Verdict {
        guard let h = hasim else { return Verdict(agrees: false, inBand: false, ratio: nil) }
        if kind == "outcome" {
            let same = (real.median > 0) == (h > 0)
            return Verdict(agrees: same, inBand: same, ratio: real.median == 0 ? nil : h / real.median)
        }
        let ratio: Double? = real.median == 0 ? nil : h / real.median
        let agrees = ratio.map { $0 >= 0.8 && $0 <= 1.2 } ?? (h == 0)
        let lo = min(real.min, 0.8 * real.median), hi = max(real.max, 1.2 * real.median)
        return Verdict(agrees: agrees, inBand: h >= lo && h <= hi, ratio: ratio)
    }

    // MARK: tests

    @Test func theBandsHoldAFigureThatLeavesThem() {
        // The check can fail: a figure 30 % above a tight real band is out, one inside it is in.
        let real = RealSummary(median: 10, min: 9.5, max: 10.5, n: 5)
        #expect(!Self.verdict(kind: "timing", real: real, hasim: 13).inBand)
        #expect(!Self.verdict(kind: "timing", real: real, hasim: 13).agrees)
        #expect(Self.verdict(kind: "timing", real: real, hasim: 11.5).inBand)
        #expect(!Self.verdict(kind: "timing", real: real, hasim: nil).inBand)
        // A wide real spread widens the band beyond +-20 %, never narrows it.
        let wide = RealSummary(median: 10, min: 2, max: 30, n: 5)
        #expect(Self.verdict(kind: "timing", real: wide, hasim: 25).inBand)
        #expect(!Self.verdict(kind: "timing", real: wide, hasim: 25).agrees)
        // Outcome classes: zero lost against some lost disagrees whatever the numbers.
        let none = RealSummary(median: 0, min: 0, max: 0, n: 5)
        #expect(Self.verdict(kind: "outcome", real: none, hasim: 0).agrees)
        #expect(!Self.verdict(kind: "outcome", real: none, hasim: 3).agrees)
    }

    @Test func aModelChangeThatMovesAHeldFigureFailsIt() throws {
        // Flip the cause end to end: the same Galera story with evs.suspect_timeout 2 s instead of
        // the real default 5 s. The held write-downtime figure must leave its real band.
        let figs = try Self.figures()
        guard let f = figs.first(where: { $0.id == "galera-kill-one.write_downtime" }), f.ci else {
            Issue.record("galera-kill-one.write_downtime is no longer a held figure: pick another one here")
            return
        }
        let real = try Self.real(f.experiment).summary[f.real]!
        let text = try String(contentsOfFile: Self.folder + "scenarios/" + f.scenario, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "  options: {", with: "  options: {evs_suspect_timeout: 2s, ")
        #expect(edited != text)
        let s = try ScenarioLoader.load(text: edited, file: f.scenario)
        let vals = try s.seeds.map { seed -> Double in
            let o = try ScenarioRunner.run(s, seed: seed)
            return Self.value(f.hasim, o, MetricsCalculator.report(o)) ?? .nan
        }.sorted()
        let moved = Self.verdict(kind: f.kind, real: real, hasim: vals[vals.count / 2])
        #expect(!moved.inBand, "a 2 s suspect timeout gave \(vals) s of downtime, still inside the real band")
    }

    @Test func theMeanBacklogSeesTheReplicasSpareCapacity() throws {
        // The time-averaged backlog (meanLag) and its p90 can fail: the 4-worker replica at
        // 500/s with the measured apply cost (0.13 ms, sql_thread_rate 7,900) averages a few
        // transactions; flip the cause, the 1 ms that the scenarios assumed before it was
        // measured, and it runs near its capacity with tens. The p90 is at least the mean.
        func figures(_ edit: (String) -> String) throws -> (mean: Double, p90: Double, rate: Double?) {
            let name = "replica-lag-conservative4.yaml"
            let text = try String(contentsOfFile: Self.folder + "scenarios/" + name, encoding: .utf8)
            let s = try ScenarioLoader.load(text: edit(text), file: name)
            let o = try ScenarioRunner.run(s, seed: 1)
            let r = MetricsCalculator.report(o)
            let mean = try #require(Self.value(HasimSide(meanLag: "db2", from: "fault"), o, r))
            let p90 = try #require(Self.value(HasimSide(lagP90: "db2", from: "fault"), o, r))
            return (mean, p90, Self.value(HasimSide(drainRate: "db2", from: "fault"), o, r))
        }
        let spare = try figures { $0 }
        let near = try figures { $0.replacingOccurrences(of: "sql_thread_rate: 7900", with: "sql_thread_rate: 1000") }
        #expect(near.mean >= 20, "near capacity: \(near)")
        #expect(spare.mean <= near.mean / 4, "the measured apply cost: \(spare) against \(near) at 1 ms")
        #expect(near.p90 >= near.mean && spare.p90 >= spare.mean)
        if let rate = near.rate { #expect(rate > 0) }
    }

    @Test func everyFigureNamesARealResultAndAScenario() throws {
        let figs = try Self.figures()
        #expect(!figs.isEmpty)
        var seen = Set<String>()
        for f in figs {
            #expect(seen.insert(f.id).inserted, "figure \(f.id) twice")
            let r = try Self.real(f.experiment)
            #expect(r.summary[f.real] != nil, "\(f.id): no real figure \(f.real) in results/\(f.experiment).json")
            #expect(FileManager.default.fileExists(atPath: Self.folder + "scenarios/" + f.scenario), "\(f.id): no scenario \(f.scenario)")
            #expect(f.ci || f.knownOff != nil, "\(f.id): not held by CI and no 'known off' reason")
            #expect(["timing", "count", "outcome"].contains(f.kind), "\(f.id): kind \(f.kind)")
        }
    }

    @Test func hasimStaysInsideTheRealBands() throws {
        // HASIM_VALIDATION_ONLY=prefix: only the figures whose id starts with it (a quick look at
        // one story while calibrating; the full run holds them all).
        let only = ProcessInfo.processInfo.environment["HASIM_VALIDATION_ONLY"]
        let figs = try Self.figures().filter { only == nil || $0.id.hasPrefix(only!) }
        let runs = try Self.runAll(figs)
        var rows: [[String: Any]] = []
        for f in figs {
            let real = try Self.real(f.experiment).summary[f.real]!
            let h = Self.hasimValue(f, runs: runs)
            let v = Self.verdict(kind: f.kind, real: real, hasim: h)
            if f.ci {
                #expect(v.inBand, "\(f.id): hasim \(h.map { String($0) } ?? "none") left the real band (median \(real.median), \(real.min)...\(real.max))")
            }
            if only != nil {
                let seeds = (runs[f.scenario] ?? []).map { Self.value(f.hasim, $0.0, $0.1).map { String(format: "%.3g", $0) } ?? "-" }
                print("validation \(f.id): hasim \(h.map { String($0) } ?? "none") \(seeds) real \(real.median) [\(real.min)-\(real.max)]")
            }
            var row: [String: Any] = ["id": f.id, "agrees": v.agrees, "in_band": v.inBand, "ci": f.ci]
            if let h { row["hasim"] = (h * 10000).rounded() / 10000 }
            if let r = v.ratio { row["ratio"] = (r * 1000).rounded() / 1000 }
            rows.append(row)
        }
        if let out = ProcessInfo.processInfo.environment["HASIM_VALIDATION_OUT"] {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: out))
        }
    }
}
