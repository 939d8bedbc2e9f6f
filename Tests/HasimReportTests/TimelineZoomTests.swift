import Foundation
import Testing
import HasimKernel
import HasimStore
@testable import HasimReport

/// Each incident on its own time scale: 10 s before the fault to 60 s after recovery.
@Suite struct TimelineZoomTests {
    func details(recovered: Bool, test: String = #function) throws -> (RunDetails, String) {
        let dir = temporaryFolder("zoom-\(recovered)-\(test.prefix(12))")  // tests run in parallel: one folder each
        var run = syntheticRun(name: "a", file: "g/a.yaml", seed: 1, metrics: [MetricValue(name: "write_downtime", value: 140, unit: "s")],
                               timeline: [TimelineRow(time: 60_000_000_000, node: "db1", kind: "fault", detail: "host_crash db1"),
                                          TimelineRow(time: 75_000_000_000, node: "mon1", kind: "failover_start", detail: ""),
                                          TimelineRow(time: 190_000_000_000, node: "mon1", kind: "failover_complete", detail: "db2")])
        if !recovered { run.incidents[0].recovered = nil; run.incidents[0].rto = nil }
        try writeDatabase(dir + "/r.sqlite", [run])
        let store = try ResultsStore(path: dir + "/r.sqlite")
        defer { try? store.close() }
        let data = try ComparisonData.load(store)
        let d = try RunDetails.load(data.runs[0], from: store)
        let (html, _, _) = try ReportWriter.render(store, databasePath: "r.sqlite")
        return (d, html)
    }

    @Test func theWindowRunsFromBeforeTheFaultToAfterRecovery() throws {
        let (d, html) = try details(recovered: true)
        let w = d.model.incidentWindow(d.incidents[0])
        #expect(w.from == 50 * Time.second && w.to == 260 * Time.second)
        #expect(html.contains("class=\"zoom\"") && html.contains("RTO 2 min 20 s"))
        // Each step lasts until the next one: the failover took 115 s from its start.
        let steps = IncidentStep.steps(d.model.window(from: w.from, to: w.to))
        #expect(steps.map(\.took) == [15 * Time.second, 115 * Time.second, nil])
        // Flip: writes that never came back stretch the window to the end of the run.
        let (never, neverHTML) = try details(recovered: false)
        #expect(never.model.incidentWindow(never.incidents[0]).to == never.model.end)
        #expect(neverHTML.contains("writes never came back"))
    }

    @Test func aZoomCutsBarsAtItsEdges() throws {
        let (d, _) = try details(recovered: true)
        let z = d.model.window(from: 50 * Time.second, to: 260 * Time.second)
        for lane in z.lanes {
            for s in lane.state + lane.replication + lane.holder {
                #expect(s.start >= z.start && s.end <= z.end)
            }
        }
        #expect(z.probes.allSatisfy { $0.start + z.probeBucket > z.start && $0.start < z.end })
        let svg = TimelineSVG.render(z, title: "zoom")
        #expect(svg.contains(">1 min<") || svg.contains(">1:00<"))   // axis labels are absolute times
    }
}
