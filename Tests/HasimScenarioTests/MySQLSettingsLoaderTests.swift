import Foundation
import HasimDatabase
import HasimKernel
import HasimScenario
import Testing

/// Two servers and the manual strategy (also FaultWindowLoaderTests' base).
let twoServerBase = """
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

private let base = twoServerBase

private func problems(_ text: String) -> [ScenarioIssue] { issues(text) }

/// The durability, flavour and fault keys of issue 13: read as written, refused with a location and a hint.
@Suite struct MySQLSettingsLoaderTests {
    @Test func durabilityAndFlavourKeysAreRead() throws {
        let s = try ScenarioLoader.load(text: base + """

            mysql:
              sync_binlog: 0
              innodb_flush_log_at_trx_commit: 2
              gtid_mode: OFF
              relay_log_info_repository: file
              relay_log_recovery: true
              binlog_expire: 2h
            """, file: "t.yaml")
        #expect(s.mysql.syncBinlog == 0)
        #expect(s.mysql.innodbFlushLogAtTrxCommit == 2)
        #expect(!s.mysql.gtidMode)
        #expect(s.mysql.relayLogInfoRepository == .file)
        #expect(s.mysql.relayLogRecovery)
        #expect(s.mysql.binlogExpire == Time.s(7200))
        let m = try ScenarioLoader.load(text: base + "\nmysql: {flavor: mariadb, master_use_gtid: current_pos}", file: "t.yaml")
        #expect(m.mysql.flavor == .mariadb)
        #expect(m.mysql.masterUseGTID == .currentPos)
    }

    @Test func badValuesAreLocatedAndExplained() throws {
        let trx = try #require(problems(base + "\nmysql:\n  innodb_flush_log_at_trx_commit: 3").first)
        #expect(trx.line == 14)
        #expect(trx.message == "mysql.innodb_flush_log_at_trx_commit is 3, outside 0...2")
        let flavor = try #require(problems(base + "\nmysql: {flavor: mariadbb}").first)
        #expect(flavor.hint == "did you mean 'mariadb'?")
        let mixed = try #require(problems(base + "\nmysql: {master_use_gtid: slave_pos}").first)
        #expect(mixed.message == "mysql.master_use_gtid is a MariaDB setting")
    }

    @Test func faultsOnTheWrongHostAreRefused() throws {
        let notReplica = try #require(problems(base + "\nfaults:\n  - {at: 1m, stop_replica: db1}").first)
        #expect(notReplica.line == 14)
        #expect(notReplica.message == "faults[0].stop_replica: 'db1' is not a replica (it has no source)")
        #expect(notReplica.hint == "replicas: db2")
        let noDatabase = try #require(problems(base + "\nfaults:\n  - {at: 1m, disk_stall: app1}").first)
        #expect(noDatabase.message == "disk_stall of 'app1', which runs no database")
        let thread = try #require(problems(base + "\nfaults:\n  - {at: 1m, stop_replica: {host: db2, thread: sq}}").first)
        #expect(thread.hint == "did you mean 'sql'?")
        let factor = try #require(problems(base + "\nfaults:\n  - {at: 1m, slow_disk: {host: db1, factor: 0.5}}").first)
        #expect(factor.message.contains("outside 1"))
        let pause = try #require(problems(base + "\nfaults:\n  - {at: 1m, pause: app1, recover_after: 30s}").first)
        #expect(pause.line == notReplica.line, "on the fault's line, as for stop_replica")
        #expect(pause.message == "pause of 'app1', which runs no database")
        #expect(pause.hint?.contains("kill -STOP") == true)
        let paused = try ScenarioLoader.load(text: base + "\nfaults:\n  - {at: 1m, pause: db1, recover_after: 30s}", file: "t.yaml")
        #expect(paused.faults.first?.kind == .pause(host: "db1"))
    }

    @Test func lockWaitTimeoutIsADurationAndDefaultsToTheFlavors() throws {
        let zero = try #require(problems(base + "\nmysql: {lock_wait_timeout: 0s}").first)
        #expect(zero.line == 13)
        #expect(zero.message.contains("lock_wait_timeout"))
        let set = try ScenarioLoader.load(text: base + "\nmysql: {lock_wait_timeout: 50s}", file: "t.yaml")
        #expect(set.mysql.lockWaitTimeout == 50_000_000_000)
        #expect(try ScenarioLoader.load(text: base, file: "t.yaml").mysql.lockWaitTimeout == nil)
    }
}
