import Testing
import Foundation
@testable import HasimCLI
import HasimScenario
import HasimResults

/// A small scenario with a failover, partitions and retries: enough moving parts
/// that any hidden nondeterminism (hash order, wall clock) would show.
let determinismScenario = """
name: determinism probe
duration: 90s
quiesce: 10s
topology:
  sites:
    idc1: [db1, db2, app1]
  databases:
    db1: {role: primary}
    db2: {role: replica, source: db1}
mysql:
  sql_thread_rate: 250
architecture:
  strategy: manual
  options: {check_interval: 5s, alert_after: 2, detection_delay: 10s, promote_time: 5s, response_delay: 10s}
workload:
  client: app1
  writes_per_second: 300
faults:
  - {at: 10s, partition: {between: [db2], and: [app1]}, recover_after: 3s}
  - {at: 30s, host_crash: db1}
"""

@Suite struct DeterminismTests {
    func runToDatabase(seed: UInt64) throws -> [String: [String]] {
        let scenario = try ScenarioLoader.load(text: determinismScenario, file: "determinism.yaml")
        let reports = try Runner.run(Runner.jobs([scenario], seeds: [seed]), parallel: false)
        let path = temporaryPath("run.sqlite")
        try Runner.write(reports, to: path, command: "run", arguments: ["determinism.yaml", "--seed", "\(seed)"])
        return try allRows(of: path)
    }

    @Test func sameSeedGivesIdenticalDatabasesRowForRow() throws {
        let a = try runToDatabase(seed: 42)
        let b = try runToDatabase(seed: 42)
        #expect(a.keys.sorted() == b.keys.sorted())
        for table in a.keys.sorted() {
            #expect(a[table] == b[table], "table \(table) differs between two runs with one seed")
        }
        // The comparison is not vacuous: the run produced probes, a timeline and a failover.
        #expect((a["probes"]?.count ?? 0) > 500)
        #expect(a["timeline"]?.contains { $0.contains("failover_start") } == true)
    }

    @Test func anotherSeedGivesDifferentResults() throws {
        let a = try runToDatabase(seed: 42)
        let c = try runToDatabase(seed: 43)
        #expect(a["probes"] != c["probes"] || a["metrics"] != c["metrics"])
    }

    @Test func parallelAndSerialRunsAgree() throws {
        let scenario = try ScenarioLoader.load(text: determinismScenario, file: "determinism.yaml")
        let jobs = Runner.jobs([scenario], seeds: [1, 2, 3])
        let parallel = try Runner.run(jobs, parallel: true)
        let serial = try Runner.run(jobs, parallel: false)
        #expect(parallel == serial)
    }
}
