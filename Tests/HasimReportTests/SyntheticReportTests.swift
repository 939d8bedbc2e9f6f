import Foundation
import Testing
import HasimKernel
import HasimStore
import HasimResults
import HasimScenario
@testable import HasimReport

/// Reports of hand-made databases: what is not measured, grouping, timeline states.
@Suite struct SyntheticReportTests {
    func metrics(_ downtime: Double, lost: Double, extra: [MetricValue] = []) -> [MetricValue] {
        [MetricValue(name: "write_downtime", value: downtime, unit: "s"),
         MetricValue(name: "rto", value: 140, unit: "s"),
         MetricValue(name: "lost_transactions", value: lost, unit: "count"),
         MetricValue(name: "replication_crashes", value: 0, unit: "count"),
         MetricValue(name: "divergence", value: .nan, unit: "rows")] + extra
    }

    @Test func aMetricNotMeasuredShowsADashNotZero() throws {
        let dir = temporaryFolder("unmeasured")
        // No run records split_brain_time or false_failovers; divergence is NaN (NULL).
        try writeDatabase(dir + "/r.sqlite", [
            syntheticRun(name: "a", file: "g/a.yaml", seed: 1, metrics: metrics(140, lost: 3)),
            syntheticRun(name: "a", file: "g/a.yaml", seed: 2, metrics: metrics(150, lost: 5)),
            syntheticRun(name: "b", file: "g/b.yaml", seed: 1,
                         metrics: metrics(30, lost: 0, extra: [MetricValue(name: "split_brain_time", value: 0, unit: "s")])),
        ])
        let w = try ReportWriter.write(database: dir + "/r.sqlite", to: dir + "/out")
        let html = try String(contentsOfFile: w.html, encoding: .utf8)
        let md = try String(contentsOfFile: w.markdown, encoding: .utf8)

        let rowA = try #require(md.components(separatedBy: "\n").first { $0.hasPrefix("| a |") })
        let rowB = try #require(md.components(separatedBy: "\n").first { $0.hasPrefix("| b |") })
        // Columns: downtime, RTO, lost, crashes, split brain, divergence, false failovers.
        let a = rowA.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        let b = rowB.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(a[7] == "—")            // split-brain time: not measured by a
        #expect(b[7] == "0 s")          // measured as 0 by b
        #expect(a[8] == "—" && b[8] == "—")   // divergence NaN
        #expect(a[9] == "—")            // false failovers: nobody
        #expect(a[3] == "2 min 25 s (2 min 20 s–2 min 30 s)")
        #expect(a[5] == "4 (3–5)")

        #expect(html.contains(#"<td class="num na" data-metric="split_brain_time" title="not measured">—</td>"#))
        #expect(html.contains(#"<td class="num na" data-metric="divergence" title="not measured">—</td>"#))
        #expect(!html.contains(#"data-metric="divergence" data-mean"#))
        #expect(html.contains(#"data-metric="split_brain_time" data-mean="0""#))
        // Lowest downtime in the group is marked.
        #expect(html.contains(#"data-metric="write_downtime" data-mean="30" data-min="30" data-max="30" data-n="1" data-best="1""#))
    }

    @Test func runsGroupByGroupKeyElseFolder() throws {
        let dir = temporaryFolder("groups")
        try writeDatabase(dir + "/r.sqlite", [
            syntheticRun(name: "a", file: "x/a.yaml", seed: 1, metrics: metrics(1, lost: 0)),
            syntheticRun(name: "b", file: "y/b.yaml", seed: 1, metrics: metrics(2, lost: 0), group: "x"),
            syntheticRun(name: "c", file: "y/c.yaml", seed: 1, metrics: metrics(3, lost: 0),
                         faults: #"[{"at_ns":1000000000,"process_crash":"db1","recover_after_ns":null}]"#),
            syntheticRun(name: "d", file: "y/d.yaml", seed: 1, metrics: metrics(4, lost: 0)),
            // An older run of the same scenario and seed is superseded by the later one.
            syntheticRun(name: "d", file: "y/d.yaml", seed: 1, metrics: metrics(5, lost: 0)),
        ])
        let store = try ResultsStore(path: dir + "/r.sqlite")
        defer { try? store.close() }
        let data = try ComparisonData.load(store)
        #expect(data.groups.map(\.name) == ["x", "y"])
        #expect(data.groups[0].architectures.map(\.scenarioName) == ["a", "b"])
        #expect(data.groups[1].architectures.map(\.scenarioName) == ["c", "d"])
        #expect(data.replacedRuns == 1)
        #expect(data.groups[1].architectures[1].runs.map { $0.metrics["write_downtime"] } == [5])
        #expect(data.groups[0].faultsAreShared)
        #expect(!data.groups[1].faultsAreShared)
        let (html, md, _) = try ReportWriter.render(store, databasePath: "r.sqlite")
        #expect(html.contains("do not face the same faults"))
        #expect(md.contains("do not face the same faults"))
    }

    @Test func timelineStatesFollowTheTrace() throws {
        let s = Time.second
        let rows = [
            TimelineRow(time: 0, node: "db1", kind: "mysql_ready", detail: "read_only=OFF"),
            TimelineRow(time: 0, node: "db2", kind: "mysql_ready", detail: "read_only=ON"),
            TimelineRow(time: 0, node: "db2", kind: "replica_started", detail: "source db1"),
            TimelineRow(time: 0, node: "db1", kind: "vip_acquire", detail: "10.0.0.100"),
            TimelineRow(time: 60 * s, node: "db1", kind: "fault", detail: "host crash"),
            TimelineRow(time: 60 * s, node: "db1", kind: "host_crash", detail: ""),
            TimelineRow(time: 70 * s, node: "db2", kind: "replication_io_error", detail: "2003 cannot connect"),
            TimelineRow(time: 80 * s, node: "mha", kind: "failover_start", detail: "db1 dead"),
            TimelineRow(time: 90 * s, node: "db2", kind: "read_only", detail: "OFF"),
            TimelineRow(time: 90 * s, node: "db2", kind: "replica_stopped", detail: ""),
            TimelineRow(time: 95 * s, node: "db2", kind: "vip_acquire", detail: "10.0.0.100"),
            TimelineRow(time: 96 * s, node: "db2", kind: "failover_complete", detail: ""),
            TimelineRow(time: 100 * s, node: "dns", kind: "dns_change", detail: "db.example -> db2 (TTL 60.000s)"),
            TimelineRow(time: 120 * s, node: "db1,app1", kind: "partition", detail: "from db1 to app1"),
        ]
        let run = syntheticRun(name: "t", file: "t.yaml", seed: 1, metrics: [])
        let store = try ResultsStore(path: temporaryFolder("tl") + "/r.sqlite")
        defer { try? store.close() }
        let inv = try store.beginInvocation(command: "t", arguments: [], hasimVersion: "0")
        _ = try store.write(run, invocation: inv)
        let reportRun = try ComparisonData.load(store).runs[0]
        let m = TimelineModel(run: reportRun, timeline: rows, probes: [], probeBucket: Time.s(1))
        #expect(m.lanes.map(\.node) == ["db1", "db2", "app1", "mha", "dns"])
        let db1 = m.lanes[0], db2 = m.lanes[1]
        #expect(db1.state.map(\.state) == ["rw", "down"])
        #expect(db1.state.last?.start == 60 * s)
        #expect(db2.state.map(\.state) == ["ro", "rw"])
        #expect(db2.replication.map(\.state) == ["repl-run", "repl-io"])
        #expect(db2.replication.last?.end == 90 * s)
        #expect(db1.holder.map(\.start) == [0])     // the VIP goes with db1's host
        #expect(db1.holder.map(\.end) == [60 * s])
        #expect(db2.holder.map(\.start) == [95 * s, 100 * s])
        #expect(m.failovers.count == 1 && m.failovers[0].end == 96 * s)
        #expect(m.faults.count == 1 && m.faults[0].start == 60 * s)
        // The set-up at time 0 (db1's VIP) gets no number.
        #expect(m.keyEvents.map(\.row.kind) == ["fault", "failover_start", "vip_acquire", "failover_complete", "dns_change"])
        let svg = TimelineSVG.render(m, title: "t")
        for lane in m.lanes { #expect(svg.contains(">\(lane.node)</text>")) }
    }

    @Test func foldingKeepsKeyEventsApart() {
        let rows = (0..<4).map { TimelineRow(time: Int64($0) * Time.s(60), node: "db2", kind: "replication_io_error", detail: "2003 x") }
            + [TimelineRow(time: Time.s(300), node: "db2", kind: "failover_step", detail: "a"),
               TimelineRow(time: Time.s(301), node: "db2", kind: "failover_step", detail: "a")]
        let folded = FoldedEvent.fold(rows)
        #expect(folded.map(\.count) == [4, 1, 1])
        #expect(folded.map(\.index) == [0, 4, 5])
    }

    @Test func statsTextNeverShowsAFakeSpread() {
        let m = ReportMetric.comparison[1]
        let s = MetricStats([90.4007, 90.4008])!
        #expect(StatsText(s, m).inline == "1 min 30 s")
        let t = MetricStats([1150.4, 1150.5, 1149.0])!
        #expect(StatsText(t, m).inline == "19 min 10 s (19 min 09 s–19 min 11 s)")
        // Runs that differ below the printed precision show no range.
        #expect(StatsText(MetricStats([1150.4, 1150.45])!, m).inline == "19 min 10 s")
        #expect(StatsText(MetricStats([90.2])!, m).inline == "1 min 30 s")
    }
}

@Suite struct GroupKeyTests {
    @Test func scenarioGroupKeyIsReadAndStored() throws {
        let dir = temporaryFolder("groupkey")
        let text = try String(contentsOfFile: fixtures + "/single.yaml", encoding: .utf8)
        try ("group: failover designs\n" + text).write(toFile: dir + "/s.yaml", atomically: true, encoding: .utf8)
        let s = try ScenarioLoader.load(path: dir + "/s.yaml")
        #expect(s.group == "failover designs")
        #expect(ReportRun.group(parameters: JSONValue.parse(ScenarioParameters.json(s)), file: s.file) == "failover designs")
        // Without the key: no group in the parameters, and the folder names the group.
        let plain = try ScenarioLoader.load(path: fixtures + "/single.yaml")
        #expect(plain.group == nil)
        #expect(!ScenarioParameters.json(plain).contains("\"group\""))
        #expect(ReportRun.group(parameters: JSONValue.parse(ScenarioParameters.json(plain)), file: plain.file) == fixtures)
    }
}
