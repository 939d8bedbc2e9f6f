import Testing
import HasimKernel
import HasimScenario
import HasimResults

/// mod_jk's AJP worker retries and recovery_options
/// (scenarios/regressions/web/tomcat-host-death-ajp-retries.yaml), flipped.
@Suite struct ModJKRetryRegressionTests {
    static let file = repoRoot + "/scenarios/regressions/web/tomcat-host-death-ajp-retries.yaml"

    func report(_ edits: [(String, String)] = []) throws -> (RunOutcome, RunReport) {
        let o = try ScenarioRunner.run(try editedScenario(Self.file, edits), seed: 1)
        return (o, MetricsCalculator.report(o))
    }

    /// The slowest request of a run, in seconds.
    func slowest(_ o: RunOutcome) -> Double {
        Time.seconds(o.web?.records.map(\.latency).max() ?? 0)
    }

    @Test func theAJPWorkerTriesItsTomcatTwiceBeforeTheBalancerMovesTheRequest() throws {
        let (o, r) = try report()
        // reply_timeout 10 s + retry_interval 0.1 s + socket_connect_timeout 3 s (real 13.2 s).
        #expect(slowest(o) > 13 && slowest(o) < 13.5)
        #expect((r.metric("http_latency_p99") ?? 0) > 5.5)
        #expect(r.metric("http_errors") == 0)
        // Flip: one attempt per member: the balancer moves the request after one wait.
        let (o1, r1) = try report([("reply_timeout: 10s}", "reply_timeout: 10s, ajp_retries: 1}")])
        #expect(slowest(o1) > 9.9 && slowest(o1) < 10.5)
        #expect((r1.metric("http_latency_p99") ?? 99) < 3.5)
        #expect(r1.metric("sessions_lost") == r.metric("sessions_lost"))
    }

    @Test func recoveryOptionsOneFailsTheRequestsTomcatAlreadyHad() throws {
        let (_, r) = try report([("reply_timeout: 10s}", "reply_timeout: 10s, recovery_options: 1}")])
        // The requests sent on pooled connections end with 504 after the reply timeout.
        let errors = r.metric("http_errors") ?? 0
        #expect(errors >= 1 && errors <= 15)
        // Bit 16 recovers a GET anyway: hasim's read pages.
        let (_, g) = try report([("reply_timeout: 10s}", "reply_timeout: 10s, recovery_options: 17}")])
        #expect(g.metric("http_errors") == 0)
    }
}
