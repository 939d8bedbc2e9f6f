import Foundation
import Testing
import HasimStore
@testable import HasimReport

/// The report says, per architecture, which real runs hold its defaults (issue 11).
@Suite struct ValidationLinksTests {
    @Test func eachArchitectureLinksTheExperimentsThatValidateIt() throws {
        let dir = temporaryFolder("validation-links")
        let m = [MetricValue(name: "write_downtime", value: 10, unit: "s")]
        try writeDatabase(dir + "/r.sqlite", [
            syntheticRun(name: "galera", file: "a/galera.yaml", strategy: "galera", seed: 1, metrics: m),
            syntheticRun(name: "mmm", file: "a/mmm.yaml", strategy: "mmm", seed: 1, metrics: m),
        ])
        let w = try ReportWriter.write(database: dir + "/r.sqlite", to: dir + "/out")
        let html = try String(contentsOfFile: w.html, encoding: .utf8)
        #expect(html.contains(#"<a href="../docs/validation.md#galera-kill-one">galera-kill-one</a>"#))
        // MMM was never run for real: the report says so instead of implying it was.
        #expect(html.contains("<strong>mmm</strong>: no real run here"))
        // Flip: a strategy nobody validated and nobody explained gets the bare statement.
        #expect(ValidationLinks.html(strategy: "made-up", frontDoor: nil, escape: { $0 }) == "<strong>made-up</strong>: no real run here")
    }

    @Test func theFrontDoorsOwnExperimentsJoinTheStrategys() {
        let s = ValidationLinks.html(strategy: "galera", frontDoor: "proxy", escape: { $0 })
        #expect(s.contains("#haproxy-backup\""))
        #expect(!ValidationLinks.html(strategy: "galera", frontDoor: nil, escape: { $0 }).contains("haproxy"))
    }
}
