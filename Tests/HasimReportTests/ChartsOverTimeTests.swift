import Foundation
import Testing
import HasimKernel
import HasimStore
@testable import HasimReport

/// Charts over time under each timeline (issue 14): only what the run stored, on the
/// timeline's own time axis; and lane roles that follow promotions and re-pointing.
@Suite struct ChartsOverTimeTests {
    let s = Time.second

    /// A run with latency buckets (none from 61 s to 69 s: no write was acknowledged),
    /// throughput, lag of db2, and probes failing 60–200 s (the synthetic run's) with error 2003.
    func run(series: Bool) -> RunReport {
        var r = syntheticRun(name: "a", file: "g/a.yaml", seed: 1, metrics: [MetricValue(name: "write_downtime", value: 140, unit: "s")],
                             timeline: [TimelineRow(time: 60 * s, node: "db1", kind: "fault", detail: "host_crash db1")])
        for i in r.probes.indices where !r.probes[i].ok && r.probes[i].time < 150 * s { r.probes[i].error = 2003 }
        guard series else { return r }
        for t in stride(from: Int64(0), to: 300, by: 1) where t <= 60 || t >= 70 {
            let slow: Int64 = t >= 70 && t < 75 ? 1000 : 1
            r.latency.append(LatencyRow(group: nil, bucketStart: t * s, count: 10, p50: 2_000_000 * slow, p99: 9_000_000 * slow,
                                        p999: 9_000_000 * slow, max: 9_000_000 * slow))
        }
        for t in stride(from: Int64(0), to: 300, by: 1) {
            r.series.append(SeriesRow(time: t * s, name: "throughput", subject: "app1", value: t > 60 && t < 70 ? 0 : 500))
            r.series.append(SeriesRow(time: t * s, name: "lag_seconds", subject: "db2", value: t >= 60 ? .nan : Double(t % 3)))
        }
        return r
    }

    func html(_ runs: [RunReport], _ name: String) throws -> (String, RunDetails) {
        let dir = temporaryFolder("charts-\(name)")
        try writeDatabase(dir + "/r.sqlite", runs)
        let store = try ResultsStore(path: dir + "/r.sqlite")
        defer { try? store.close() }
        let data = try ComparisonData.load(store)
        let d = try RunDetails.load(data.runs[0], from: store)
        return (try ReportWriter.render(store, databasePath: "r.sqlite").html, d)
    }

    @Test func chartsShowWhatWasMeasuredAndNothingElse() throws {
        let (page, d) = try html([run(series: true)], "with")
        let series = try #require(d.series)
        #expect(series.interval == s)
        #expect(series.lagSeconds.map(\.subject) == ["db2"])
        #expect(series.failedProbes.first?.code == 2003)
        // One chart block per incident zoom and one for the whole run.
        #expect(page.components(separatedBy: "class=\"tl charts-over-time\"").count - 1 == 2)
        for strip in ["commit latency", "throughput", "replication lag", "failed writes"] { #expect(page.contains(">\(strip)</text>")) }
        #expect(page.contains("2003 can&#39;t connect") && page.contains(">timeout</text>"))
        // No relay-log backlog was stored: no strip for it.
        #expect(!page.contains(">relay log</text>"))
        // Buckets without an acknowledged write are a gap: the p50 line breaks in two.
        let zoom = SeriesChartSVG.render(series, d.model.window(from: 50 * s, to: 130 * s), title: "z")
        let p50 = try #require(zoom.components(separatedBy: "<g class=\"ln c0\">").dropFirst().first)
        #expect(p50.components(separatedBy: "</g>")[0].components(separatedBy: "<polyline").count - 1 == 2)
        // Latency is on a log scale with decade labels: 1 ms to 10 s here.
        #expect(zoom.contains(">1 ms</text>") && zoom.contains(">10 s</text>"))
        // NULL Seconds_Behind_Source (thread stopped) is drawn as such, not as 0.
        #expect(zoom.contains("NULL (a replication thread stopped)"))

        // Flip: a run that stored no series gets no charts at all.
        let (bare, _) = try html([run(series: false)], "without")
        #expect(!bare.contains(">commit latency</text>") && !bare.contains(">throughput</text>"))
        #expect(bare.contains(">failed writes</text>"))   // probes are always stored
    }

    @Test func binsKeepSpikesAndNulls() {
        let pts = [0, 1, 2, 3].map { RunSeries.Point(time: Int64($0) * s, value: $0 == 1 ? 50 : 1) }
            + [RunSeries.Point(time: 4 * s, value: .nan), RunSeries.Point(time: 5 * s, value: .nan)]
        let maxed = SeriesBins.bin(pts, width: 2 * s, .max)
        #expect(maxed.map(\.value).prefix(2) == [50, 1])
        #expect(maxed.count == 3 && maxed[2].value.isNaN)
        #expect(SeriesBins.bin(pts, width: 2 * s, .mean).first?.value == 25.5)
        #expect(SeriesBins.width(span: 1800 * s, interval: s) == 4 * s)
        #expect(SeriesBins.width(span: 70 * s, interval: s) == s)
    }

    @Test func rolesFollowPromotionAndRepointing() throws {
        let rows = [
            TimelineRow(time: 0, node: "db1", kind: "mysql_ready", detail: "read_only=OFF"),
            TimelineRow(time: 0, node: "db2", kind: "mysql_ready", detail: "read_only=ON"),
            TimelineRow(time: 0, node: "db2", kind: "replica_started", detail: "START SLAVE source db1"),
            TimelineRow(time: 60 * s, node: "db1", kind: "fault", detail: "host_crash"),
            TimelineRow(time: 60 * s, node: "db1", kind: "host_crash", detail: ""),
            TimelineRow(time: 90 * s, node: "db2", kind: "replica_stopped", detail: ""),
            TimelineRow(time: 90 * s, node: "db2", kind: "source_changed", detail: "RESET SLAVE ALL"),
            TimelineRow(time: 91 * s, node: "db2", kind: "read_only", detail: "OFF"),
            TimelineRow(time: 200 * s, node: "db1", kind: "mysql_ready", detail: "read_only=ON"),
            TimelineRow(time: 210 * s, node: "db1", kind: "source_changed", detail: "CHANGE MASTER TO db2"),
        ]
        let run = syntheticRun(name: "t", file: "t.yaml", seed: 1, metrics: [])
        let store = try ResultsStore(path: temporaryFolder("roles") + "/r.sqlite")
        defer { try? store.close() }
        _ = try store.write(run, invocation: try store.beginInvocation(command: "t", arguments: [], hasimVersion: "0"))
        let m = TimelineModel(run: try ComparisonData.load(store).runs[0], timeline: rows, probes: [], probeBucket: s)
        let db1 = m.lanes[0], db2 = m.lanes[1]
        #expect(db2.roles.map(\.label) == ["replica of db1", "read-only, no source", "primary"])
        #expect(db2.roles.map(\.start) == [0, 90 * s, 91 * s])
        #expect(db1.roles.map(\.label) == ["primary", "read-only, no source", "replica of db2"])
        // The overview starts with the scenario's roles and marks each change on the lane.
        let svg = TimelineSVG.render(m, title: "t")
        #expect(svg.contains(">replica of db1</text>") && svg.contains(">→ primary</text>") && svg.contains(">→ replica of db2</text>"))
        // A zoom after the promotion labels db2 with its role then, not the scenario's.
        let late = TimelineSVG.render(m.window(from: 100 * s, to: 190 * s), title: "late")
        #expect(late.contains(">primary</text>") && !late.contains(">replica of db1</text>"))
        // Flip: without the recorded re-pointing, db2's label never changes.
        let still = TimelineModel(run: try ComparisonData.load(store).runs[0], timeline: rows.filter { $0.node != "db2" || $0.time == 0 },
                                  probes: [], probeBucket: s)
        #expect(still.lanes[1].roles.map(\.label) == ["replica of db1"])
    }
}
