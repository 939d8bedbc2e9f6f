import Foundation
import Testing
import HasimStore
@testable import HasimReport

/// The fleet view in the report (issue 15, item 7): a results database that holds fleet
/// studies gets their table in report.html, in the comparison tables' style, and in report.md.
@Suite struct FleetReportTests {
    static func study(_ name: String, strategy: String, downtime: (Double, Double, Double)) -> FleetStudyRow {
        FleetStudyRow(scenarioName: name, scenarioFile: "scenarios/architectures/\(strategy).yaml", strategy: strategy,
                      clusters: 250, serversPerCluster: 3, horizon: 365 * 24 * 3600 * 1_000_000_000, replications: 100,
                      seed: 1, configJSON: "{\"clusters\":250}", libraryRuns: 40, compoundIncidents: 4,
                      hasimVersion: "test",
                      metrics: [FleetMetricRow(name: "write_downtime_minutes_per_database_year", unit: "min",
                                               mean: downtime.0, low: downtime.1, high: downtime.2),
                                FleetMetricRow(name: "servers", unit: "servers", mean: 750, low: 750, high: 750)],
                      values: [[downtime.0, 750]])
    }

    @Test func aDatabaseWithFleetStudiesShowsThemInBothReports() throws {
        let dir = temporaryFolder("fleet-report")
        let path = dir + "/fleet.sqlite"
        try FileManager.default.copyItem(atPath: ComparedFixtures.shared.database, toPath: path)
        let store = try ResultsStore(path: path)
        defer { try? store.close() }
        let inv = try store.beginInvocation(command: "fleet", arguments: ["fleet"], hasimVersion: "test")
        try store.writeFleet(Self.study("MHA + VIP", strategy: "mha", downtime: (26.8, 10.8, 42.9)), invocation: inv)
        try store.writeFleet(Self.study("Galera", strategy: "galera", downtime: (3.25, 3.25, 3.25)), invocation: inv)
        let (html, markdown, _) = try ReportWriter.render(store, databasePath: path)
        #expect(html.contains("<section class=\"group\" id=\"fleet\">"))
        #expect(html.contains("<span class=\"mean\">26.8</span><span class=\"spread\">10.8–42.9</span>"))
        // No interval is drawn where the replications agree (a constant, or the server count).
        #expect(html.contains("<span class=\"mean\">3.2</span></td>") || html.contains("<span class=\"mean\">3.3</span></td>"))
        #expect(html.contains("<span class=\"mean\">750</span></td>"))
        #expect(markdown.contains("## Fleet: 250 databases per architecture"))
        #expect(markdown.contains("| MHA + VIP | mha | 26.8 [10.8–42.9] |"))
        // Flip: the compare fixtures' own database holds no fleet study, and its report no fleet section.
        #expect(!ComparedFixtures.shared.html.contains("id=\"fleet\""))
        #expect(!ComparedFixtures.shared.markdown.contains("## Fleet:"))
    }
}
