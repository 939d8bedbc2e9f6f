import Foundation
import HasimScenario
import Testing
import HasimStrategies

/// A valid scenario; tests replace or append lines to break it in one place.
private let base = """
name: t
duration: 10m
topology:
  sites:
    idc1: [db1, db2, app1]
    idc2: [db3]
  databases:
    db1: {role: primary}
    db2: {role: replica, source: db1}
architecture:
  strategy: manual
workload:
  client: app1
  writes_per_second: 500
"""

/// `base` with line `n` (1-based) replaced by `text` (which may span lines).
private func replacing(_ n: Int, with text: String) -> String {
    var lines = base.components(separatedBy: "\n")
    lines[n - 1] = text
    return lines.joined(separator: "\n")
}

private func appending(_ text: String) -> String { base + "\n" + text }

@Suite struct ScenarioLoaderErrorTests {
    @Test func baseIsValid() throws {
        let s = try ScenarioLoader.load(text: base, file: "t.yaml")
        #expect(s.workload.writesPerSecond == 500)
    }

    // MARK: Unknown keys, types, required keys

    @Test func unknownKeySuggestsNearestKey() throws {
        let issue = try #require(onlyIssue(replacing(14, with: "  writes_per_sec: 500")))
        #expect(issue.line == 14)
        #expect(issue.column == 3)
        #expect(issue.message == "unknown key 'writes_per_sec' in workload")
        #expect(issue.hint == "did you mean 'writes_per_second'?")
        #expect(issue.description == """
            t.yaml:14:3: error: unknown key 'writes_per_sec' in workload
              hint: did you mean 'writes_per_second'?
            """)
    }

    @Test func unknownKeyAtEveryLevel() {
        let all = issues(replacing(8, with: "    db1: {role: primary, sorce: db2}") + "\nnmae: x\n")
        #expect(all.map(\.message) == ["unknown key 'sorce' in topology.databases.db1",
                                        "unknown key 'nmae' in the scenario"])
        #expect(all.map(\.line) == [8, 15])
        #expect(all.map(\.column) == [26, 1])
        #expect(all.map(\.hint) == ["did you mean 'source'?", "did you mean 'name'?"])
    }

    @Test func misspeltRequiredKeyIsNotAlsoReportedMissing() throws {
        let issue = try #require(onlyIssue(replacing(13, with: "  clinet: app1")))
        #expect(issue.message == "unknown key 'clinet' in workload")
        #expect(issue.hint == "did you mean 'client'?")
        #expect(issue.line == 13)
    }

    @Test func unknownKeyWithoutNearMatchListsKnownKeys() throws {
        let issue = try #require(onlyIssue(replacing(11, with: "  strategy: manual\n  zebra: 1")))
        #expect(issue.line == 12)
        #expect(issue.column == 3)
        #expect(issue.hint == "known keys: strategy, options")
    }

    @Test func wrongScalarType() throws {
        let issue = try #require(onlyIssue(appending("  hot_rows: many")))
        #expect(issue.line == 15)
        #expect(issue.column == 13)
        #expect(issue.message == "expected a whole number for workload.hot_rows, found 'many'")
        #expect(issue.hint == "write an integer, e.g. 3")
    }

    @Test func wrongStructureType() {
        let all = issues(replacing(6, with: "    idc2: db3") + "\nmysql: [1, 2]")
        #expect(all.map(\.message) == ["expected a list for topology.sites.idc2, found 'db3'",
                                        "expected a mapping (key: value lines) for mysql, found a list"])
        #expect(all.map(\.line) == [6, 15])
        #expect(all.map(\.column) == [11, 8])
    }

    @Test func wrongBoolType() throws {
        let issue = try #require(onlyIssue(appending("mysql: {autostart: 3}")))
        #expect(issue.line == 15)
        #expect(issue.column == 20)
        #expect(issue.message == "expected true or false for mysql.autostart, found the number 3")
    }

    @Test func missingRequiredKeyIsReportedAtTheParentMapping() throws {
        let issue = try #require(onlyIssue(replacing(13, with: "  address: db1")))
        #expect(issue.message == "missing required key 'client' in workload")
        #expect(issue.line == 13)
        #expect(issue.column == 3)
        #expect(issue.hint == "add e.g. 'client: app1'")
    }

    @Test func missingTopLevelKey() throws {
        let issue = try #require(onlyIssue(replacing(2, with: "quiesce: 10s")))
        #expect(issue.message == "missing required key 'duration' in the scenario")
        #expect(issue.line == 1)
        #expect(issue.column == 1)
    }

    @Test func requiredKeyWithoutValue() throws {
        let issue = try #require(onlyIssue(replacing(1, with: "name:")))
        #expect(issue.message == "'name' has no value")
        #expect(issue.line == 1)
    }

    // MARK: Durations and bounds

    @Test func bareNumberDurationAsksForAUnit() throws {
        let issue = try #require(onlyIssue(replacing(2, with: "duration: 600")))
        #expect(issue.line == 2)
        #expect(issue.column == 11)
        #expect(issue.message == "expected a duration for duration, found the bare number 600")
        #expect(issue.hint == "add a unit, e.g. 30s")
    }

    @Test func unknownDurationUnit() throws {
        let issue = try #require(onlyIssue(appending("  connect_timeout: 5sec")))
        #expect(issue.line == 15)
        #expect(issue.column == 20)
        #expect(issue.message == "unknown unit 'sec' in duration '5sec' for workload.connect_timeout")
        #expect(issue.hint == "units: ns, us, ms, s, m, h")
    }

    @Test func zeroDurationWhereImpossible() {
        let all = issues(replacing(2, with: "duration: 0s") + "\n  probe_interval: 0ms\nmysql: {checkpoint_interval: 0s}")
        #expect(all.map(\.message) == ["duration must be longer than 0",
                                        "workload.probe_interval must be longer than 0",
                                        "mysql.checkpoint_interval must be longer than 0"])
        #expect(all.map(\.line) == [2, 15, 16])
        #expect(all.map(\.column) == [11, 19, 30])
    }

    @Test func negativeDuration() throws {
        let issue = try #require(onlyIssue(appending("quiesce: -5s")))
        #expect(issue.message == "quiesce cannot be negative: -5s")
        #expect(issue.line == 15)
        #expect(issue.column == 10)
    }

    @Test func faultAfterTheEndOfTheRun() throws {
        let issue = try #require(onlyIssue(appending("faults:\n  - {at: 11m, host_crash: db1}")))
        #expect(issue.line == 16)
        #expect(issue.column == 10)
        #expect(issue.message == "faults[0].at is 11m, beyond the end of the run (duration: 10m)")
    }

    @Test func probabilitiesOutsideZeroOne() {
        let text = replacing(6, with: "    idc2: [db3]\n  latency: {cross_site: {loss: -0.1}}") + "\n  update_fraction: 1.5"
        let all = issues(text)
        #expect(all.map(\.message) == ["topology.latency.cross_site.loss must be between 0 and 1, found -0.1",
                                        "workload.update_fraction must be between 0 and 1, found 1.5"])
        #expect(all.map(\.line) == [7, 16])
        #expect(all.map(\.column) == [32, 20])
        #expect(all.first?.hint == "a probability or fraction: 0 is never, 1 is always")
    }

    @Test func workloadNumbersOutOfRange() {
        let all = issues(appending("  pool_size: 0\n  retries: -1\n  writes_per_second: 0"))
        // writes_per_second appears twice: a YAML duplicate-key error comes first.
        #expect(all.count == 1)
        #expect(all.first?.message == "duplicate key 'writes_per_second' in the same mapping")
        // writes_per_second 0 is a read-only application group; a negative rate is not.
        let ranged = issues(replacing(14, with: "  writes_per_second: -5\n  pool_size: 0\n  retries: -1"))
        #expect(ranged.map(\.message) == ["workload.writes_per_second must not be negative, found -5",
                                           "workload.pool_size is 0, outside 1...100000",
                                           "workload.retries is -1, outside 0...1000"])
        #expect(ranged.map(\.line) == [14, 15, 16])
    }

    /// Values the model cannot honour are refused with the documented range (issue 17):
    /// each of these used to trap (overflow) or allocate without bound at run time.
    @Test func extremesAreRefusedWithTheirRange() {
        let all = issues(replacing(14, with: """
          writes_per_second: 0.0000001
          hot_rows: 1000000000
          pool_size: 1000000
        """))
        #expect(all.map(\.message) == ["workload.writes_per_second is 1e-07, outside 0.001...200000 per second",
                                        "workload.hot_rows is 1000000000, outside 1...1000000",
                                        "workload.pool_size is 1000000, outside 1...100000"])
        #expect(all.first?.hint == "use 0 to turn it off")
        let dead = issues(replacing(3, with: "topology:\n  latency:\n    cross_site: {constant: 5ms, loss: 1}"))
        #expect(dead.map(\.message) == ["topology.latency.cross_site.loss is 1: every packet lost"])
        #expect(dead.first?.hint == "a link that drops everything is a partition: use a partition fault")
        let sigma = issues(replacing(3, with: "topology:\n  latency:\n    same_site: {lognormal: {median: 1ms, sigma: 40}}"))
        #expect(sigma.map(\.message) == ["topology.latency.same_site.lognormal.sigma is 40, outside 0...3"])
    }

    // MARK: Hosts

    @Test func unknownHostsEverywhere() {
        let text = replacing(13, with: "  client: app2")
            .replacingOccurrences(of: "db2: {role: replica, source: db1}",
                                  with: "db2: {role: replica, source: db1}\n    db4: {role: replica, source: db1}")
            + "\nfaults:\n  - {at: 1m, host_crash: db5}\n  - {at: 1m, partition: {between: [db1], and: [idc2]}}"
        let all = issues(text)
        #expect(all.map(\.message) == [
            "unknown host 'db4' in topology.databases: it is not in any site",
            "unknown host 'app2' in workload.client: it is not in any site",
            "unknown host 'db5' in faults[0].host_crash: it is not in any site",
            "unknown host 'idc2' in faults[1].partition.and: it is not in any site",
        ])
        #expect(all.map(\.line) == [10, 14, 17, 18])
        #expect(all.map(\.column) == [5, 11, 26, 48])
        #expect(all.map(\.hint) == [
            "did you mean 'db1'? hosts are declared under topology.sites",
            "did you mean 'app1'? hosts are declared under topology.sites",
            "did you mean 'db1'? hosts are declared under topology.sites",
            "'idc2' is a site; name its hosts instead: db3",
        ])
    }

    @Test func hostInTwoSites() throws {
        let issue = try #require(onlyIssue(replacing(6, with: "    idc2: [db3, db2]")))
        #expect(issue.line == 6)
        #expect(issue.column == 17)
        #expect(issue.message == "host 'db2' is in two sites: 'idc1' and 'idc2'")
        #expect(issue.hint == "a host belongs to exactly one site; remove one of the two")
    }

    @Test func replicaSourceThatIsNotADatabase() throws {
        let issue = try #require(onlyIssue(replacing(9, with: "    db2: {role: replica, source: app1}")))
        #expect(issue.line == 9)
        #expect(issue.column == 34)
        #expect(issue.message == "source 'app1' of db2 is not a database")
    }

    @Test func replicaOfItself() throws {
        let issue = try #require(onlyIssue(replacing(9, with: "    db2: {role: replica, source: db2}")))
        #expect(issue.line == 9)
        #expect(issue.column == 34)
        #expect(issue.message == "db2 cannot replicate from itself")
        #expect(issue.hint == "did you mean 'db1'?")
    }

    @Test func replicaWithoutSource() {
        let all = issues(replacing(8, with: "    db1: {role: primary, source: db2}")
            .replacingOccurrences(of: "{role: replica, source: db1}", with: "{role: replica}"))
        // A primary with a source is the active side of a dual-master pair: allowed.
        #expect(all.map(\.message) == ["missing required key 'source' in topology.databases.db2"])
        #expect(all.map(\.line) == [9])
        #expect(all.map(\.column) == [10])
    }

    @Test func dualMasterIsNotALoop() throws {
        let text = replacing(8, with: "    db1: {role: primary, source: db2, auto_increment_increment: 2, auto_increment_offset: 1}")
            .replacingOccurrences(of: "{role: replica, source: db1}",
                                  with: "{role: replica, source: db1, auto_increment_increment: 2, auto_increment_offset: 2}")
        let s = try ScenarioLoader.load(text: text, file: "dual.yaml")
        #expect(s.topology.databases.map(\.source) == ["db2", "db1"])
        #expect(s.topology.databases.map(\.autoIncrementOffset) == [1, 2])
    }

    @Test func offsetLargerThanIncrementIsRefused() throws {
        let issue = try #require(onlyIssue(replacing(8, with: "    db1: {role: primary, auto_increment_increment: 2, auto_increment_offset: 3}")))
        #expect(issue.message == "auto_increment_offset 3 is larger than auto_increment_increment 2")
        #expect(issue.line == 8)
    }

    @Test func replicationLoop() throws {
        let text = replacing(9, with: "    db2: {role: replica, source: db3}\n    db3: {role: replica, source: db2}")
        let issue = try #require(onlyIssue(text))
        #expect(issue.message == "replication loop: db2 -> db3 -> db2")
        #expect(issue.line == 9)
        #expect(issue.column == 34)
        #expect(issue.hint == "a chain of sources must end at a database with role: primary")
    }

    @Test func workloadIsFullyCheckedEvenWithABadClient() {
        let all = issues(replacing(13, with: "  client: nowhere\n  hot_rows: 0"))
        #expect(all.map(\.message) == ["unknown host 'nowhere' in workload.client: it is not in any site",
                                        "workload.hot_rows is 0, outside 1...1000000"])
        #expect(all.map(\.line) == [13, 14])
    }

    @Test func architectureGivenAsAName() throws {
        let issue = try #require(onlyIssue(replacing(10, with: "architecture: manual").replacingOccurrences(of: "  strategy: manual\n", with: "")))
        #expect(issue.message == "expected a mapping for architecture, found 'manual'")
        #expect(issue.hint == "write 'architecture: {strategy: manual}'")
        #expect(issue.line == 10)
        #expect(issue.column == 15)
    }

    @Test func unknownRole() throws {
        let issue = try #require(onlyIssue(replacing(9, with: "    db2: {role: replcia, source: db1}")))
        #expect(issue.message == "unknown role 'replcia' for db2")
        #expect(issue.hint == "did you mean 'replica'?")
        #expect(issue.column == 17)
    }

    @Test func masterAndSlaveAreNamedInMySQL8Words() throws {
        let slave = try #require(onlyIssue(replacing(9, with: "    db2: {role: slave, source: db1}")))
        #expect(slave.message == "unknown role 'slave' for db2")
        #expect(slave.hint?.hasPrefix("did you mean 'replica'?") == true)
        let master = try #require(onlyIssue(replacing(9, with: "    db2: {role: master, source: db1}")))
        #expect(master.hint?.hasPrefix("did you mean 'primary'?") == true)
        // Flip: the word it suggests is accepted.
        #expect(throws: Never.self) { try ScenarioLoader.load(text: replacing(9, with: "    db2: {role: replica, source: db1}"), file: "t.yaml") }
    }

    @Test func processCrashOnAHostWithoutADatabase() throws {
        let issue = try #require(onlyIssue(appending("faults:\n  - {at: 1m, process_crash: app1}")))
        #expect(issue.line == 16)
        #expect(issue.column == 29)
        #expect(issue.message == "process_crash of 'app1', which runs no database")
        #expect(issue.hint == "process_crash kills mysqld; databases: db1, db2")
    }

    @Test func partitionAndSpikeWithEmptySets() {
        let all = issues(appending("""
            faults:
              - {at: 1m, partition: {between: [], and: [db2]}}
              - {at: 1m, latency_spike: {between: [db1], and: [], add: 5ms}}
            """))
        #expect(all.map(\.message) == ["faults[0].partition.between is empty", "faults[1].latency_spike.and is empty"])
        #expect(all.map(\.line) == [16, 17])
        #expect(all.map(\.column) == [35, 51])
        #expect(all.first?.hint == "list at least one host, e.g. [db1]")
    }

    @Test func faultKinds() {
        let all = issues(appending("""
            faults:
              - {at: 1m, recover_after: 1m}
              - {at: 1m, host_crash: db1, process_crash: db2}
              - {at: 1m, hots_crash: db1}
            """))
        // The misspelt kind is reported once, not also as "no fault kind".
        #expect(all.map(\.message) == ["faults[0] has no fault kind",
                                        "faults[1] has two kinds, 'host_crash' and 'process_crash'",
                                        "unknown key 'hots_crash' in faults[2]"])
        #expect(all.map(\.line) == [16, 17, 18])
        #expect(all.map(\.column) == [5, 31, 14])
        #expect(all.map(\.hint) == ["add one of host_crash, process_crash, partition, latency_spike, packet_loss, stop_replica, disk_stall, slow_disk, read_lock, cpu_load, pause, drain, remove, "
                                     + "switchover, maintenance, reattach, reapply_binlog, skip_replica_error, unlock_tables, bootstrap, galera_new_cluster",
                                     "write one fault entry per kind", "did you mean 'host_crash'?"])
    }

    // MARK: Strategy

    @Test func unknownStrategyListsTheKnownOnes() throws {
        let issue = try #require(onlyIssue(replacing(11, with: "  strategy: manul")))
        #expect(issue.line == 11)
        #expect(issue.column == 13)
        #expect(issue.message == "unknown strategy 'manul'")
        #expect(issue.hint == "did you mean 'manual'? known strategies: " + StrategyCatalog.names.joined(separator: ", "))
        #expect(StrategyCatalog.names.contains("mha"))
    }

    @Test func unknownAndMistypedStrategyOptions() {
        let all = issues(replacing(11, with: """
              strategy: manual
              options:
                detection_dealy: 5m
                alert_after: three
                check_interval: 60
            """))
        #expect(all.map(\.message) == [
            "unknown option 'detection_dealy' for strategy 'manual'",
            "expected a whole number for architecture.options.alert_after, found 'three'",
            "expected a duration for architecture.options.check_interval, found the bare number 60",
        ])
        #expect(all.map(\.line) == [13, 14, 15])
        #expect(all.map(\.column) == [5, 18, 21])
        #expect(all.map(\.hint) == ["did you mean 'detection_delay'?", "write an integer, e.g. 3", "add a unit, e.g. 30s"])
    }

    @Test func optionsOfAStrategyWithoutOptions() throws {
        let text = replacing(11, with: "  strategy: single\n  options: {detection_delay: 5m}")
            .replacingOccurrences(of: "    db2: {role: replica, source: db1}\n", with: "")
        let issue = try #require(onlyIssue(text))
        #expect(issue.hint == "strategy 'single' takes no options")
        #expect(issue.line == 11)
        #expect(issue.column == 13)
    }

    @Test func strategyTopologyProblemsAreReportedAtArchitecture() throws {
        let all = issues(replacing(9, with: "    db2: {role: primary}"))
        #expect(all.map(\.message) == [
            "the manual strategy needs exactly one database with role: primary (found 2)",
            "the manual strategy needs at least one replica to fail over to (role: replica, source: <primary>)",
        ])
        // The mark of the architecture mapping: its first key, line 11 column 3.
        #expect(all.map(\.line) == [11, 11])
        #expect(all.map(\.column) == [3, 3])
        #expect(all.first?.hint == "the databases and their roles are under topology.databases")
        let both = issues(replacing(9, with: "    db2: {role: primary}").replacingOccurrences(of: "strategy: manual", with: "strategy: single"))
        #expect(both.map(\.message) == ["the single strategy needs exactly one database with role: primary (found 2)"])
    }

    // MARK: Expectations

    @Test func expectations() {
        let all = issues(appending("""
            expect:
              lost_transaction: 0
              write_downtime: {min: 2m, max: 1m}
              rto: soon
              failovers: {}
            """))
        #expect(all.map(\.message) == [
            "unknown metric 'lost_transaction' in expect",
            "expect.write_downtime.max is smaller than expect.write_downtime.min",
            "expected a number or a duration for expect.rto, found 'soon'",
            "expect.failovers has neither min nor max",
        ])
        #expect(all.map(\.line) == [16, 17, 18, 19])
        #expect(all.map(\.column) == [3, 34, 8, 14])
        #expect(all.first?.hint == "did you mean 'lost_transactions'?")
    }

    // MARK: YAML and files

    @Test func yamlSyntaxErrorHasALineNumber() throws {
        let issue = try #require(onlyIssue(replacing(13, with: "  client: [app1")))
        #expect(issue.message.hasPrefix("invalid YAML: "))
        #expect(issue.line == 14)
        #expect(issue.description.hasPrefix("t.yaml:14:"))
    }

    @Test func badIndentationIsASyntaxError() throws {
        let issue = try #require(onlyIssue(replacing(5, with: "    idc1: [db1, db2, app1]\n   bad: x")))
        #expect(issue.message == "invalid YAML: did not find expected key")
        #expect(issue.line == 6)
        #expect(issue.column == 4)
    }

    @Test func tabIndentationGetsAHint() throws {
        let issue = try #require(onlyIssue(replacing(14, with: "\twrites_per_second: 500")))
        #expect(issue.line == 14)
        #expect(issue.column == 1)
        #expect(issue.hint == "YAML does not allow tabs for indentation; use spaces")
    }

    @Test func duplicateKey() throws {
        let issue = try #require(onlyIssue(appending("name: again")))
        #expect(issue.message == "duplicate key 'name' in the same mapping")
        #expect(issue.line == 1)
        #expect(issue.column == 1)
    }

    @Test func emptyFile() throws {
        let issue = try #require(onlyIssue("# nothing here\n"))
        #expect(issue.message == "the scenario file is empty")
        #expect(issue.line == 1)
    }

    @Test func documentThatIsNotAMapping() throws {
        let issue = try #require(onlyIssue("- a\n- b\n"))
        #expect(issue.message == "expected a mapping (key: value lines) for the scenario file, found a list")
        #expect(issue.line == 1)
    }

    @Test func missingFileIsACleanError() throws {
        let path = fixturesDirectory + "/does-not-exist.yaml"
        do {
            _ = try ScenarioLoader.load(path: path)
            Issue.record("a missing file loaded")
        } catch let errors as ScenarioErrors {
            #expect(errors.issues.count == 1)
            #expect(errors.issues.first?.mark == nil)
            #expect(errors.description == "\(path): error: cannot read scenario file: no such file\n"
                + "  hint: check the path (relative paths start from the current directory)")
        }
    }

    @Test func directoryIsACleanError() throws {
        do {
            _ = try ScenarioLoader.load(path: fixturesDirectory)
            Issue.record("a directory loaded")
        } catch let errors as ScenarioErrors {
            #expect(errors.issues.map(\.message) == ["cannot read scenario file: it is a directory"])
        }
    }

    /// Many broken variants of a valid file: each must be refused with issues
    /// that point into the file, never crash.
    @Test func brokenVariantsNeverCrash() throws {
        let lines = fullExample.components(separatedBy: "\n")
        var variants: [String] = []
        for i in lines.indices {
            var dropped = lines; dropped.remove(at: i)
            variants.append(dropped.joined(separator: "\n"))
            var cut = lines; cut[i] = String(cut[i].prefix(cut[i].count / 2))
            variants.append(cut.joined(separator: "\n"))
            var nulled = lines
            if let colon = nulled[i].firstIndex(of: ":") { nulled[i] = String(nulled[i][...colon]) }
            variants.append(nulled.joined(separator: "\n"))
        }
        var refused = 0
        for text in variants {
            do {
                _ = try ScenarioLoader.load(text: text, file: "v.yaml")
            } catch let errors as ScenarioErrors {
                refused += 1
                #expect(!errors.issues.isEmpty)
                for issue in errors.issues {
                    let line = try #require(issue.line)
                    #expect(line >= 1 && line <= lines.count + 1, "\(issue)")
                    #expect(!issue.message.isEmpty)
                }
            }
        }
        #expect(refused > variants.count / 2)
    }
}
