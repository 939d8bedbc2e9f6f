import Testing
import HasimKernel
import HasimScenario
import HasimResults
import HasimStore

/// mod_jk's CPing/CPong (scenarios/regressions/web/tomcat-hang-ping-mode.yaml), flipped.
@Suite struct ModJKPingRegressionTests {
    static let file = repoRoot + "/scenarios/regressions/web/tomcat-hang-ping-mode.yaml"

    func metrics(_ edits: [(String, String)] = [], seed: UInt64 = 1) throws -> RunReport {
        MetricsCalculator.report(try ScenarioRunner.run(try editedScenario(Self.file, edits), seed: seed))
    }

    /// A stopped JVM keeps its connections: with ping_mode A, the missing CPong sends each
    /// request to the other Tomcat after ping_timeout; without it, the requests wait for a
    /// reply that never comes and the users' timeout ends them, until the stopped JVM's accept
    /// queue is full and new connects time out (then the requests move).
    @Test(arguments: [UInt64(1), 2]) func aHungTomcatIsFoundByCPing(seed: UInt64) throws {
        let ping = try metrics(seed: seed)
        let noAnswer = ping.metric("http_no_answer") ?? 999
        #expect(noAnswer <= 30)
        #expect((ping.metric("http_tps") ?? 0) >= 240)
        #expect((ping.metric("sessions_lost") ?? 99) <= 10)
        // Flip: no ping_mode (the default): was1's users wait out their timeout, page after page.
        let blind = try metrics([(", ping_mode: A}", "}")], seed: seed)
        #expect((blind.metric("http_no_answer") ?? 0) >= 60)
        #expect((blind.metric("http_tps") ?? 999) <= 240)
        // Flip: the JVM never stops, nothing to find.
        let calm = try metrics([("  - {at: 30s, pause: was1}\n", "")], seed: seed)
        #expect(calm.metric("http_errors") == 0)
    }
}
