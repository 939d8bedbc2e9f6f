import Foundation
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

/// A finished run leaves nothing behind (issue 15): the model's objects hold each other (a
/// host its processes, a process its listeners, a connection its ends' sessions, a server its
/// host, every daemon the simulation), so without `Simulation.close` telling each component to
/// let go, a whole world stayed in memory after every seed (peak memory grew ~120 MB per
/// 10-minute MHA run at 1,000 writes/s). Every model object keeps the simulation, so the
/// simulation being freed means none of them outlived the run.
/// Flip (seen): with the network's teardown but without GaleraNode's `networkDidClose` (every
/// node lists every other) and with keepalived's and heartbeat's `onBoot` capturing their own
/// node strongly, galera, galera-haproxy, keepalived and heartbeat-mon fail here.
@Suite struct RunTeardownTests {
    static let architectures = ["drbd", "galera-haproxy", "galera", "heartbeat-mon", "keepalived", "manual",
                                "mha-dns", "mha", "mmm", "shared-disk", "single", "vip-manual"]

    /// The architecture's own file, shortened: two minutes at 20 writes/s, the primary's host
    /// dies at 30 s and powers on again 30 s later (so crash, failover and restart paths run).
    static func shortened(_ name: String) throws -> Scenario {
        let text = try String(contentsOfFile: repoRoot + "/scenarios/architectures/\(name).yaml", encoding: .utf8)
            .replacingOccurrences(of: "duration: 30m", with: "duration: 2m")
            .replacingOccurrences(of: "quiesce: 60s", with: "quiesce: 10s")
            .replacingOccurrences(of: "writes_per_second: 500", with: "writes_per_second: 20")
            .replacingOccurrences(of: "{at: 5m, host_crash: db1}", with: "{at: 30s, host_crash: db1, recover_after: 30s}")
        return try ScenarioLoader.load(text: text, file: "\(name).yaml")
    }

    @Test(arguments: architectures)
    func theSimulationIsFreedAfterTheRun(_ name: String) throws {
        let scenario = try Self.shortened(name)
        weak var simulation: Simulation?
        let outcome = try ScenarioRunner.run(scenario, seed: 1, observe: { simulation = $0 }, watch: nil)
        #expect(outcome.ledger.count > 0, "the run acknowledged writes")
        #expect(simulation == nil, "the finished world of \(name) is still alive")
    }

    /// The runner closes the simulation on every exit, a thrown error included (here the
    /// watchdog's, set to stop at the first instant with two events).
    @Test func theSimulationIsFreedWhenTheRunIsStopped() throws {
        let scenario = try Self.shortened("mha")
        weak var simulation: Simulation?
        #expect(throws: RunError.self) {
            _ = try ScenarioRunner.run(scenario, seed: 1, observe: { sim in
                simulation = sim
                sim.watchdogLimit = 1
            }, watch: nil)
        }
        #expect(simulation == nil)
    }
}
