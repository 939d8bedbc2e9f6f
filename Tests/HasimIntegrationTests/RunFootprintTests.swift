import Testing
import HasimKernel
import HasimScenario
import HasimWorkload

/// What a run costs beyond its results (issue 15): the driver's socketTimeout costs one timer
/// per connection, not per query, while every query still times out at exactly its send time
/// plus query_timeout.
@Suite struct RunFootprintTests {
    static let stalled = """
    name: writes hang on a stalled disk
    duration: 40s
    quiesce: 5s
    topology:
      sites:
        idc1: [db1, app1]
      databases:
        db1: {role: primary}
    architecture:
      strategy: single
    workload:
      client: app1
      writes_per_second: 50
      pool_size: 20
      query_timeout: 7s
    faults:
      - {at: 10s, disk_stall: db1, recover_after: 20s}
    """

    /// Queries sent on a connection while the disk stalls time out at exactly send + 7 s
    /// (2013), though the connection's timer was armed by an earlier query and re-armed
    /// lazily. Flip: timing a query out when the connection's timer first fires (at the
    /// previous query's deadline) makes some fail before 7 s; never re-arming makes none fail.
    @Test func everyQueryTimesOutAtExactlyItsSocketTimeout() throws {
        let s = try ScenarioLoader.load(text: Self.stalled, file: "stalled.yaml")
        let o = try ScenarioRunner.run(s, seed: 3)
        let timedOut = o.failures.filter { $0.code == 2013 }
        #expect(timedOut.count >= 20, "every hung query times out")
        // None before its deadline. The pool holds only the connections 50 writes/s needed
        // (two here): the query hung on each was sent when issued, on a connection whose timer
        // an earlier query had armed, and fails at exactly issue + 7 s. The others waited for
        // a new connection, were sent after their issue time and fail later than that.
        #expect(timedOut.allSatisfy { $0.failedAt - $0.issuedAt >= Time.s(7) })
        #expect(timedOut.filter { $0.failedAt - $0.issuedAt == Time.s(7) }.count >= 2)
    }
}
