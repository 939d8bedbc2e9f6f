import Foundation
import HasimKernel
import HasimScenario
import Testing
import HasimFleet
@testable import HasimCLI

private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// The fleet view says what drives each design's downtime (hasim fleet's Markdown): the classes'
/// shares add up to the total, largest first. Galera behind one HAProxy host: the proxy's host is
/// a single point of failure, and its crashes are most of the design's downtime.
@Suite struct FleetDriversTests {
    @Test func theClassesAddUpToTheDowntimeLargestFirst() throws {
        let s = try ScenarioLoader.load(path: repoRoot + "/scenarios/architectures/galera-haproxy.yaml")
        var c = FleetConfig()
        c.clusters = 20
        c.replications = 4
        c.librarySize = 1
        c.window = 5 * Time.minute
        c.warmup = Time.s(30)
        c.writesPerSecond = 5
        let fleet = try FleetSimulator.run(s, config: c)
        let down = FleetMetric.all.firstIndex(of: .databaseDowntime)!
        let sum = fleet.byClass.map { $0.metrics[down] }.reduce(0, +)
        #expect(abs(sum - fleet.estimate(.databaseDowntime).mean) < 1e-9 * max(1, sum))
        let text = FleetExplain.drivers([fleet])
        let row = try #require(text.components(separatedBy: "\n").first { $0.hasPrefix("| \(s.name) |") })
        // The lone proxy host (a manager-class target) leads; a database host's crash is seconds.
        let proxy = try #require(row.range(of: "manager, monitor or proxy host"))
        if let host = row.range(of: "database host") { #expect(proxy.lowerBound < host.lowerBound) }
        #expect(text.contains("### What drives the downtime"))
    }
}
