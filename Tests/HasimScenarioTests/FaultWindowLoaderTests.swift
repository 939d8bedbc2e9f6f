import Foundation
import HasimKernel
import HasimScenario
import Testing

private let base = twoServerBase + "\nfaults:"

/// Faults for a time window (issue 13): `until:` as the window's end, packet_loss, and the
/// windows that may not overlap, each refused at its line and column with a hint.
@Suite struct FaultWindowLoaderTests {
    @Test func packetLossAndUntilAreRead() throws {
        let s = try ScenarioLoader.load(text: base + """

              - {at: 1m, packet_loss: {between: [app1], and: [db1], rate: 0.3}, until: 3m}
              - {at: 2m, latency_spike: {between: [app1], and: [db1], add: 50ms}, until: 4m}
              - {at: 2m, packet_loss: {between: [app1], and: [db1, db2], rate: 0.1}, recover_after: 1m}
            """, file: "t.yaml")
        #expect(s.faults[0].kind == .packetLoss(a: ["app1"], b: ["db1"], rate: 0.3))
        #expect(s.faults[0].until == Time.s(180))
        #expect(s.faults[0].recoverAfter == nil)
        #expect(s.faults[1].until == Time.s(240))
        // Loss and latency add up: overlapping windows on one link are allowed.
        #expect(s.faults[2].recoverAfter == Time.s(60))
    }

    @Test func aWindowThatEndsBeforeItStartsIsRefused() throws {
        let early = try #require(issues(base + "\n  - {at: 2m, slow_disk: {host: db1, factor: 5}, until: 1m}").first)
        #expect(early.line == 14)
        #expect(early.message == "faults[0].until is 1m, not after the fault starts (2 min)")
        #expect(early.hint?.contains("after at") == true)
        // A uniform `at`: the window must end after its latest instant.
        let window = try #require(issues(base + "\n  - {at: {uniform: [1m, 3m]}, cpu_load: {host: db1, threads: 2}, until: 2m}").first)
        #expect(window.message.contains("not after the fault starts (3 min)"))
        let both = try #require(issues(base + "\n  - {at: 1m, pause: db1, recover_after: 30s, until: 2m}").first)
        #expect(both.message == "faults[0].recover_after and faults[0].until both end the fault")
        let action = try #require(issues(base + "\n  - {at: 1m, unlock_tables: db1, until: 2m}").first)
        #expect(action.message.contains("is an operator action"))
        #expect(action.hint?.contains("remove until") == true)
    }

    @Test func packetLossNeedsARateAndKnownHosts() throws {
        let rate = try #require(issues(base + "\n  - {at: 1m, packet_loss: {between: [app1], and: [db1], rate: 1.5}, until: 2m}").first)
        #expect(rate.message.contains("outside"))
        #expect(rate.hint?.contains("tc netem loss") == true)
        let missing = try #require(issues(base + "\n  - {at: 1m, packet_loss: {between: [app1], and: [db1]}}").first)
        #expect(missing.message.contains("rate"))
        let host = try #require(issues(base + "\n  - {at: 1m, packet_loss: {between: [app2], and: [db1], rate: 0.2}}").first)
        #expect(host.message.contains("app2"))
        #expect((host.column ?? 0) > 1)
    }

    @Test func windowsWhoseEndResetsTheStateMayNotOverlap() throws {
        let disks = issues(base + """

              - {at: 1m, slow_disk: {host: db1, factor: 5}, until: 3m}
              - {at: 2m, slow_disk: {host: db1, factor: 20}, recover_after: 5m}
            """)
        let overlap = try #require(disks.first)
        #expect(overlap.line == 15, "on the second fault")
        #expect(overlap.message == "faults[1] (slow_disk) overlaps faults[0] on the same target")
        // One after the other, or on another host: fine.
        let apart = try ScenarioLoader.load(text: base + """

              - {at: 1m, slow_disk: {host: db1, factor: 5}, until: 2m}
              - {at: 2m, slow_disk: {host: db1, factor: 20}, recover_after: 5m}
              - {at: 1m, slow_disk: {host: db2, factor: 20}}
            """, file: "t.yaml")
        #expect(apart.faults.count == 3)
        // A partition healed early would heal the other one too: the pair app1-db1 is in both.
        let cut = issues(base + """

              - {at: 1m, partition: {between: [db1], and: [app1, db2]}, recover_after: 2m}
              - {at: 2m, partition: {between: [app1], and: [db1]}, recover_after: 2m}
            """)
        #expect(cut.first?.message == "faults[1] (partition) overlaps faults[0] on the same target")
    }
}
