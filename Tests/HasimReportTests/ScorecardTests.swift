import Foundation
import Testing
import HasimStore
@testable import HasimReport

/// The scorecard: architectures x faults, coloured against the user's thresholds, with a
/// "what breaks it" line from the worst measured outcome.
@Suite struct ScorecardTests {
    static let noFaults = "[]"

    func m(_ pairs: [(String, Double)]) -> [MetricValue] {
        pairs.map { MetricValue(name: $0.0, value: $0.1, unit: "") }
    }

    /// Two architectures (mha, single) against three faults.
    func database(_ dir: String) throws -> ComparisonData {
        var never = syntheticRun(name: "single", file: "a/single.yaml+f/crash.yaml", strategy: "single", seed: 1,
                                 metrics: m([("write_downtime", 540), ("lost_transactions", 0), ("incidents", 1)]), group: "host crash")
        never.incidents[0].recovered = nil
        never.incidents[0].rto = nil
        let runs = [
            syntheticRun(name: "mha", file: "a/mha.yaml+f/none.yaml", strategy: "mha", seed: 1,
                         metrics: m([("write_downtime", 0), ("commit_latency_p50", 0.0009), ("commit_latency_p99", 0.004)]),
                         group: "no fault", faults: Self.noFaults),
            syntheticRun(name: "single", file: "a/single.yaml+f/none.yaml", strategy: "single", seed: 1,
                         metrics: m([("write_downtime", 0), ("commit_latency_p50", 0.0008), ("commit_latency_p99", 0.002)]),
                         group: "no fault", faults: Self.noFaults),
            syntheticRun(name: "mha", file: "a/mha.yaml+f/crash.yaml", strategy: "mha", seed: 1,
                         metrics: m([("write_downtime", 20), ("rto", 20), ("lost_transactions", 0), ("incidents", 1)]), group: "host crash"),
            never,
            syntheticRun(name: "mha", file: "a/mha.yaml+f/cut.yaml", strategy: "mha", seed: 1,
                         metrics: m([("write_downtime", 2), ("rto", 2), ("lost_transactions", 12), ("split_brain_time", 30), ("incidents", 1)]),
                         group: "partition"),
            syntheticRun(name: "single", file: "a/single.yaml+f/cut.yaml", strategy: "single", seed: 1,
                         metrics: m([("write_downtime", 0), ("rto", 0), ("lost_transactions", 0), ("incidents", 1)]), group: "partition"),
        ]
        try writeDatabase(dir + "/r.sqlite", runs)
        let store = try ResultsStore(path: dir + "/r.sqlite")
        defer { try? store.close() }
        return try ComparisonData.load(store)
    }

    @Test func cellsAreColouredAgainstTheThresholds() throws {
        let data = try database(temporaryFolder("scorecard-thresholds"))
        let sc = try #require(Scorecard(data, thresholds: .default))
        #expect(sc.faults == ["no fault", "host crash", "partition"])
        let mha = try #require(sc.rows.first { $0.name == "mha" })
        #expect(mha.cells.map { $0!.severity } == [.ok, .ok, .bad])
        // Flip: an RTO threshold under mha's 20 s turns its host-crash cell amber.
        let strict = try #require(Scorecard(data, thresholds: Thresholds(rpoTransactions: 0, rtoSeconds: 10)))
        #expect(strict.rows.first { $0.name == "mha" }!.cells[1]!.severity == .warn)
        // Normal-operation latency comes from the fault-free group.
        #expect(mha.normalLatencyP99?.mean == 0.004)
        #expect(mha.servers == 2)
    }

    @Test func whatBreaksADesignIsItsWorstMeasuredOutcome() throws {
        let data = try database(temporaryFolder("scorecard-verdict"))
        let sc = try #require(Scorecard(data, thresholds: .default))
        let mha = sc.rows.first { $0.name == "mha" }!
        #expect(mha.verdict(faults: sc.faults).contains("partition"))
        #expect(mha.verdict(faults: sc.faults).contains("loses up to 12 acknowledged transactions"))
        // Flip: tolerating 20 lost transactions, the partition still breaks it, by its two writers.
        let lenient = try #require(Scorecard(data, thresholds: Thresholds(rpoTransactions: 20, rtoSeconds: 30)))
        let v = lenient.rows.first { $0.name == "mha" }!.verdict(faults: sc.faults)
        #expect(v.contains("two writers") && !v.contains("loses"))
        let single = sc.rows.first { $0.name == "single" }!
        #expect(single.verdict(faults: sc.faults).contains("does not bring writes back"))
    }

    @Test func aRunThatNeverRecoveredShowsNoMeasuredDowntime() throws {
        let data = try database(temporaryFolder("scorecard-never"))
        let sc = try #require(Scorecard(data, thresholds: .default))
        let cell = sc.rows.first { $0.name == "single" }!.cells[1]!
        let head = Scorecard.headline(cell)
        #expect(head.text == "never back")
        #expect(head.detail?.contains("until the run ended") == true)
        // Flip: the recovered architecture of the same fault shows its measured downtime.
        #expect(Scorecard.headline(sc.rows.first { $0.name == "mha" }!.cells[1]!).text == "20 s")
    }

    @Test func theReportOpensWithTheScorecardAndMarksNoBest() throws {
        let dir = temporaryFolder("scorecard-html")
        _ = try database(dir)
        let w = try ReportWriter.write(database: dir + "/r.sqlite", to: dir + "/out")
        let html = try String(contentsOfFile: w.html, encoding: .utf8)
        #expect(html.contains("id=\"scorecard\""))
        #expect(!html.contains("data-best"))
        #expect(html.contains("data-severity=\"bad\""))
        let md = try String(contentsOfFile: w.markdown, encoding: .utf8)
        #expect(md.contains("## Scorecard"))
        // Two architectures against three faults: counted once each, not once per fault (6).
        #expect(html.contains("6 runs · 2 architectures in 3 groups") && md.contains("6 runs · 2 architectures in 3 groups"))
        // Flip: one group (no suite) has no scorecard and keeps the lowest-mean marking.
        let one = temporaryFolder("scorecard-one-group")
        try writeDatabase(one + "/r.sqlite", [
            syntheticRun(name: "a", file: "g/a.yaml", seed: 1, metrics: m([("write_downtime", 10)])),
            syntheticRun(name: "b", file: "g/b.yaml", seed: 1, metrics: m([("write_downtime", 20)])),
        ])
        let w1 = try ReportWriter.write(database: one + "/r.sqlite", to: one + "/out")
        let html1 = try String(contentsOfFile: w1.html, encoding: .utf8)
        #expect(!html1.contains("id=\"scorecard\"") && html1.contains("data-best"))
    }

    @Test func downtimeBarsAreOnALogScale() {
        #expect(Scorecard.barPercent(0) == 0)
        #expect(Scorecard.barPercent(3600) == 100)
        // 1 s and 60 s are far apart on the bar, not 1/60 of each other.
        let one = Scorecard.barPercent(1), minute = Scorecard.barPercent(60)
        #expect(one > 15 && minute > 55 && minute < 70)
    }
}
