import Foundation
import Testing
import HasimStore
import HasimResults
import HasimScenario
@testable import HasimReport

/// The report plots a metric against a swept parameter (issue 15, item 4): the variants a
/// `--set` sweep names (`mha [ping_interval=1s]`) become lines over the swept values, in
/// report.html (a chart per metric) and report.md (a table), for runs and for fleet studies.
@Suite struct SweepReportTests {
    @Test func variantNamesReadBackAsTheSettingsThatMadeThem() throws {
        #expect(Sweep.name("MHA + VIP", [("ping_interval", "1s"), ("pool_size", "60")]) == "MHA + VIP [ping_interval=1s, pool_size=60]")
        let parsed = try #require(Sweep.settings(of: "MHA + VIP [ping_interval=1s, pool_size=60]"))
        #expect(parsed.base == "MHA + VIP")
        #expect(parsed.settings.map(\.key) == ["ping_interval", "pool_size"])
        #expect(parsed.settings.map(\.value) == ["1s", "60"])
        // A name no sweep made (brackets in the scenario's own name, no key=value) is not a variant.
        #expect(Sweep.settings(of: "MHA + VIP") == nil)
        #expect(Sweep.settings(of: "Galera [3 nodes]") == nil)
    }

    @Test func eachSweptKeyGivesLinesOverItsValuesInNumericOrder() {
        let names = ["m [ping_interval=10s, w=100]", "m [ping_interval=1s, w=100]", "m [ping_interval=3s, w=100]",
                     "m [ping_interval=10s, w=500]", "m [ping_interval=1s, w=500]", "g [mode=b]", "g [mode=a]", "plain"]
        let axes = SweepModel.axes(names.map { ($0, $0) })
        #expect(axes.map(\.key) == ["ping_interval", "w", "mode"])
        let ping = axes[0]
        #expect(ping.numeric)
        #expect(ping.lines.map(\.name) == ["m [w=100]", "m [w=500]"])
        #expect(ping.lines[0].points.map(\.value) == ["1s", "3s", "10s"], "durations sorted by their length, not as text")
        let w = axes[1]
        // Only the values where the other key is the same make a line: 1s and 10s have both rates.
        #expect(w.lines.map(\.name) == ["m [ping_interval=10s]", "m [ping_interval=1s]"])
        #expect(w.lines[0].points.map(\.value) == ["100", "500"])
        let mode = axes[2]
        #expect(!mode.numeric)
        #expect(mode.lines[0].points.map(\.value) == ["b", "a"], "not numbers: kept in the order swept")
        // A key with a single value on every line was not swept along it.
        #expect(SweepModel.axes([("m [a=1, b=2]", 0), ("m [a=1, b=3]", 1)]).map(\.key) == ["b"])
    }

    func metrics(_ downtime: Double, lost: Double) -> [MetricValue] {
        [MetricValue(name: "write_downtime", value: downtime, unit: "s"),
         MetricValue(name: "lost_transactions", value: lost, unit: "count")]
    }

    @Test func aSweepOfRunsIsDrawnAgainstItsValues() throws {
        let dir = temporaryFolder("sweep-runs")
        try writeDatabase(dir + "/r.sqlite", [
            syntheticRun(name: "a [ping_interval=1s]", file: "g/a.yaml", seed: 1, metrics: metrics(10, lost: 0)),
            syntheticRun(name: "a [ping_interval=1s]", file: "g/a.yaml", seed: 2, metrics: metrics(12, lost: 0)),
            syntheticRun(name: "a [ping_interval=10s]", file: "g/a.yaml", seed: 1, metrics: metrics(40, lost: 0)),
            syntheticRun(name: "a [ping_interval=3s]", file: "g/a.yaml", seed: 1, metrics: metrics(20, lost: 0)),
        ])
        let w = try ReportWriter.write(database: dir + "/r.sqlite", to: dir + "/out")
        let html = try String(contentsOfFile: w.html, encoding: .utf8)
        let md = try String(contentsOfFile: w.markdown, encoding: .utf8)
        #expect(html.contains("Against the swept value: <code>ping_interval</code>"))
        #expect(html.contains("Write downtime against ping_interval"))
        // Lost transactions are 0 at every value: said in a sentence, not drawn.
        #expect(!html.contains("Lost transactions against ping_interval"))
        #expect(html.contains("Lost transactions: 0 at every value."))
        // One line, its points in the order of the values: 1 s (mean of two seeds, whisker 10–12 s), 3 s, 10 s.
        #expect(html.contains(HTMLText.escape("a, ping_interval=1s: 11 s [10 s–12 s]")))
        let i1 = try #require(html.range(of: HTMLText.escape("ping_interval=1s: 11 s")))
        let i3 = try #require(html.range(of: HTMLText.escape("ping_interval=3s: 20 s")))
        let i10 = try #require(html.range(of: HTMLText.escape("ping_interval=10s: 40 s")))
        #expect(i1.lowerBound < i3.lowerBound && i3.lowerBound < i10.lowerBound)
        #expect(md.contains("### Against the swept value `ping_interval`"))
        #expect(md.contains("| a | 3s | 20 s | 0 |"))
        // Flip: the same runs without sweep names are plain architectures, with no such section.
        let plain = temporaryFolder("sweep-runs-plain")
        try writeDatabase(plain + "/r.sqlite", [
            syntheticRun(name: "a1", file: "g/a.yaml", seed: 1, metrics: metrics(10, lost: 0)),
            syntheticRun(name: "a3", file: "g/a.yaml", seed: 1, metrics: metrics(20, lost: 0)),
        ])
        let p = try ReportWriter.write(database: plain + "/r.sqlite", to: plain + "/out")
        #expect(!(try String(contentsOfFile: p.html, encoding: .utf8)).contains("Against the swept value"))
        #expect(!(try String(contentsOfFile: p.markdown, encoding: .utf8)).contains("Against the swept value"))
    }

    @Test func aSweepOfFleetStudiesIsDrawnWithItsIntervals() throws {
        let studies = [FleetReportTests.study("MHA + VIP [ping_interval=1s]", strategy: "mha", downtime: (20, 10, 30)),
                       FleetReportTests.study("MHA + VIP [ping_interval=3s]", strategy: "mha", downtime: (25, 15, 35))]
        let html = FleetSection.html(studies)
        #expect(html.contains("Write downtime, min per database-year against ping_interval"))
        #expect(html.contains(HTMLText.escape("MHA + VIP, ping_interval=3s: 25.0 [15.0–35.0]")))
        let md = FleetSection.markdown(studies)
        #expect(md.contains("| MHA + VIP | 1s | 20.0 [10.0–30.0] |"))
        #expect(!FleetSection.html([studies[0]]).contains("Against the swept value"), "one value is no sweep")
    }
}
