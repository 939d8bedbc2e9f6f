import Foundation
import HasimScenario
import Testing

private let base = """
name: t
duration: 10m
topology:
  sites:
    idc1: [db1, db2, app1]
  databases:
    db1: {role: primary}
    db2: {role: replica, source: db1}
architecture:
  strategy: manual
workload:
  client: app1
"""

/// The operator actions of issue 13 on the fault list: read as written, refused with a location and a hint.
@Suite struct OperatorActionLoaderTests {
    @Test func actionsAreRead() throws {
        let s = try ScenarioLoader.load(text: base + """

            faults:
              - {at: 1m, switchover: db2}
              - {at: 2m, maintenance: manager, recover_after: 5m}
              - {at: 3m, reattach: {host: db1, to: db2}}
              - {at: 4m, skip_replica_error: {host: db1, events: 3}}
              - {at: 5m, unlock_tables: db2}
            """, file: "t.yaml")
        #expect(s.faults.map(\.kind) == [.switchover(to: "db2"), .maintenance, .reattach(host: "db1", to: "db2", check: true),
                                         .skipReplicaError(host: "db1", events: 3), .unlockTables(host: "db2")])
        #expect(s.faults[1].recoverAfter == 300_000_000_000)
        let more = try ScenarioLoader.load(text: base + """

            faults:
              - {at: 3m, reattach: {host: db1, to: db2, check: false, coordinates_at: 95s}}
              - {at: 4m, reapply_binlog: {from: db1, to: db2}}
            """, file: "t.yaml")
        #expect(more.faults.map(\.kind) == [.reattach(host: "db1", to: "db2", check: false, coordinatesAt: 95_000_000_000),
                                            .reapplyBinlog(from: "db1", to: "db2")])
    }

    @Test func fileAndPositionCoordinatesAndBinlogReapplyAreChecked() throws {
        // The coordinates are read before the CHANGE MASTER TO that uses them (flip: 95s above).
        let late = try #require(issues(base + "\nfaults:\n  - {at: 1m, reattach: {host: db1, to: db2, coordinates_at: 2m}}").first)
        #expect(late.line == 14 && (late.column ?? 0) > 1)
        #expect(late.message.contains("coordinates_at is after the re-attach"))
        #expect(late.hint?.contains("SHOW MASTER STATUS") == true)
        let bare = try #require(issues(base + "\nfaults:\n  - {at: 1m, reattach: {host: db1, to: db2, coordinates_at: 30}}").first)
        #expect(bare.hint?.contains("unit") == true)
        let same = try #require(issues(base + "\nfaults:\n  - {at: 1m, reapply_binlog: {from: db2, to: db2}}").first)
        #expect(same.hint == "name the new primary")
        let missing = try #require(issues(base + "\nfaults:\n  - {at: 1m, reapply_binlog: {from: db1}}").first)
        #expect(missing.message.contains("to"))
        let unknown = try #require(issues(base + "\nfaults:\n  - {at: 1m, reapply_binlog: {from: db9, to: db2}}").first)
        #expect(unknown.line == 14)
    }

    @Test func actionsTheToolLacksOrThatMakeNoSenseAreRefused() throws {
        // single has no switchover command (flip: manual has one, above).
        let single = try #require(issues(base.replacingOccurrences(of: "strategy: manual", with: "strategy: single")
                                         + "\nfaults:\n  - {at: 1m, switchover: db2}").first { $0.message.contains("switchover") })
        #expect(single.line == 14)
        #expect(single.message == "faults[0].switchover: strategy 'single' has no switchover command")
        #expect(single.hint?.contains("mha") == true)
        let notReplica = try #require(issues(base + "\nfaults:\n  - {at: 1m, switchover: db1}").first)
        #expect(notReplica.message == "faults[0].switchover: 'db1' is not a replica of the primary db1")
        #expect(notReplica.hint == "replicas: db2")
        let recover = try #require(issues(base + "\nfaults:\n  - {at: 1m, reattach: {host: db1, to: db2}, recover_after: 1m}").first)
        #expect(recover.message.contains("operator action"))
        let same = try #require(issues(base + "\nfaults:\n  - {at: 1m, reattach: {host: db1, to: db1}}").first)
        #expect(same.hint == "name the new primary")
        let galera = try #require(issues(base + "\nfaults:\n  - {at: 1m, bootstrap: db1}").first)
        #expect(galera.message == "faults[0].bootstrap: strategy 'manual' runs no Galera node")
        let newCluster = try #require(issues(base + "\nfaults:\n  - {at: 1m, galera_new_cluster: most_advanced}").first)
        #expect(newCluster.message == "faults[0].galera_new_cluster: strategy 'manual' runs no Galera node")
        #expect(newCluster.line == 14)
        let what = try #require(issues(base + "\nfaults:\n  - {at: 1m, maintenance: db1}").first)
        #expect(what.hint == "write maintenance: manager")
        let events = try #require(issues(base + "\nfaults:\n  - {at: 1m, skip_replica_error: {host: db2, events: 0}}").first)
        #expect(events.line == 14 && (events.column ?? 0) > 1)
    }
}
