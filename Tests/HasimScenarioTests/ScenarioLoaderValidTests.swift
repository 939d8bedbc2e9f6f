import HasimKernel
import HasimNetwork
import HasimStrategies
import HasimDatabase
import Testing
@testable import HasimScenario

/// A file using every key of the format.
let fullExample = """
name: manual failover under 500 writes/s
description: "primary host crash"
duration: 10m
quiesce: 90s
seeds: [1, 2, 3]
topology:
  sites:
    idc1: [db1, db2, app1]
    idc2: [db3]
  latency:
    same_site: {lognormal: {median: 0.2ms, sigma: 0.25}, loss: 0}
    cross_site: {constant: 5ms}
    links:
      - {between: [idc1, idc2], constant: 30ms, loss: 0.001}
      - {between: [idc2, idc2], uniform: {min: 1ms, max: 3ms}}
  databases:
    db3: {role: replica, source: db1}
    db1: {role: primary}
    db2: {role: replica, source: db1}
mysql:
  sql_thread_rate: 1500
  commit_latency: 1ms
  startup_time: 4s
  redo_apply_per_transaction: 150us
  checkpoint_interval: 30s
  autostart: false
  slave_net_timeout: 20s
  connect_retry: 10s
  heartbeat_period: 5s
architecture:
  strategy: manual
  options:
    detection_delay: 2m
    alert_after: 5
workload:
  client: app1
  address: db1
  writes_per_second: 500
  update_fraction: 0.5
  hot_rows: 10
  pool_size: 8
  connect_timeout: 2s
  query_timeout: 3s
  retries: 4
  retry_backoff: 1.5s
  probe_interval: 250ms
  probe_timeout: 2s
  start: 1m30s
faults:
  - {at: 60s, host_crash: db1, recover_after: 5m}
  - {at: 2m, process_crash: db2}
  - {at: 30s, partition: {between: [db1], and: [db2, app1], one_way: true}, recover_after: 20s}
  - at: 45s
    latency_spike: {between: [db1], and: [db3], add: 50ms}
    recover_after: 10s
expect:
  lost_transactions: 0
  write_downtime: {min: 10m, max: 25m}
  replication_crashes: {max: 0}
  rto: 1.5
  failovers: {min: 1}
"""

@Suite struct ScenarioLoaderValidTests {
    @Test func fullExampleParsesToExactValues() throws {
        let s = try ScenarioLoader.load(text: fullExample, file: "full.yaml")
        #expect(s.name == "manual failover under 500 writes/s")
        #expect(s.description == "primary host crash")
        #expect(s.file == "full.yaml")
        #expect(s.duration == 600_000_000_000)
        #expect(s.quiesce == 90_000_000_000)
        #expect(s.seeds == [1, 2, 3])

        #expect(s.topology.sites.map(\.name) == ["idc1", "idc2"])
        #expect(s.topology.sites.map(\.hosts) == [["db1", "db2", "app1"], ["db3"]])
        #expect(s.topology.sameSite == LinkSpec(latency: .logNormal(median: 200_000, sigma: 0.25), loss: 0))
        #expect(s.topology.crossSite == LinkSpec(latency: .constant(5_000_000), loss: 0))
        #expect(s.topology.links.count == 2)
        #expect(s.topology.links.first?.siteA == "idc1")
        #expect(s.topology.links.first?.siteB == "idc2")
        #expect(s.topology.links.first?.spec == LinkSpec(latency: .constant(30_000_000), loss: 0.001))
        // Same-site override without loss keeps same_site's loss, takes its own model.
        #expect(s.topology.links.last?.spec == LinkSpec(latency: .uniform(min: 1_000_000, max: 3_000_000), loss: 0))
        // File order, not alphabetical.
        #expect(s.topology.databases.map(\.host) == ["db3", "db1", "db2"])
        #expect(s.topology.databases.map(\.role) == [.replica, .primary, .replica])
        #expect(s.topology.databases.map(\.source) == ["db1", nil, "db1"])
        #expect(s.topology.site(of: "db3") == "idc2")

        var mysql = ServerConfig()
        mysql.sqlThreadRate = 1500
        mysql.commitLatency = 1_000_000
        mysql.startupTime = 4_000_000_000
        mysql.redoApplyPerTransaction = 150_000
        mysql.checkpointInterval = 30_000_000_000
        mysql.autostart = false
        mysql.slaveNetTimeout = 20_000_000_000
        mysql.connectRetry = 10_000_000_000
        mysql.heartbeatPeriod = 5_000_000_000
        #expect(s.mysql == mysql)

        #expect(s.architecture.strategy == "manual")
        #expect(s.architecture.options["detection_delay"] == .duration(120_000_000_000))
        #expect(s.architecture.options["alert_after"] == .int(5))
        // Options not given take the descriptor's defaults.
        #expect(s.architecture.options["check_interval"] == .duration(60_000_000_000))
        #expect(s.architecture.options.values.count == ManualFailover.descriptor.options.count)

        let w = s.workload
        #expect(w.client == "app1")
        #expect(w.address == "db1")
        #expect(w.writesPerSecond == 500)
        #expect(w.updateFraction == 0.5)
        #expect(w.hotRows == 10)
        #expect(w.poolSize == 8)
        #expect(w.connectTimeout == 2_000_000_000)
        #expect(w.queryTimeout == 3_000_000_000)
        #expect(w.retries == 4)
        #expect(w.retryBackoff == 1_500_000_000)
        #expect(w.probeInterval == 250_000_000)
        #expect(w.probeTimeout == 2_000_000_000)
        #expect(w.start == 90_000_000_000)

        #expect(s.faults.map(\.at) == [60_000_000_000, 120_000_000_000, 30_000_000_000, 45_000_000_000])
        #expect(s.faults.map(\.kind) == [
            .hostCrash(host: "db1"),
            .processCrash(host: "db2"),
            .partition(a: ["db1"], b: ["db2", "app1"], oneWay: true, firewall: false),
            .latencySpike(a: ["db1"], b: ["db3"], add: 50_000_000),
        ])
        #expect(s.faults.map(\.recoverAfter) == [300_000_000_000, nil, 20_000_000_000, 10_000_000_000])

        #expect(s.expectations.map(\.metric) == ["lost_transactions", "write_downtime", "replication_crashes", "rto", "failovers"])
        #expect(s.expectations.map(\.bound) == [
            .equal(0),
            .range(min: 600, max: 1500),
            .range(min: nil, max: 0),
            .equal(1.5),
            .range(min: 1, max: nil),
        ])
        #expect(s.expectations.first?.mark == SourceMark(file: "full.yaml", line: 57, column: 3))
    }

    @Test func minimalFileTakesDefaults() throws {
        let s = try ScenarioLoader.load(text: """
            name: t
            duration: 1s
            topology:
              sites: {a: [db1, app]}
              databases: {db1: {role: primary}}
            architecture: {strategy: single}
            workload: {client: app}
            """, file: "min.yaml")
        #expect(s.description == "")
        #expect(s.quiesce == Time.s(60))
        #expect(s.seeds == [1])
        #expect(s.topology.sameSite == LinkSpec.sameSite)
        #expect(s.topology.crossSite == LinkSpec.crossSite)
        #expect(s.topology.links.isEmpty)
        #expect(s.mysql == ServerConfig())
        #expect(s.workload == WorkloadSpec(client: "app"))
        #expect(s.architecture.options == OptionValues(defaultsOf: SingleServer.descriptor.options))
        #expect(s.faults.isEmpty)
        #expect(s.expectations.isEmpty)
    }

    @Test func emptyOptionalSectionsMeanDefaults() throws {
        let s = try ScenarioLoader.load(text: """
            name: t
            duration: 1s
            topology:
              sites: {a: [db1, app]}
              databases: {db1: {role: primary}}
            architecture:
              strategy: single
              options:
            workload: {client: app}
            faults:
            expect:
            """, file: "x.yaml")
        #expect(s.faults.isEmpty)
        #expect(s.expectations.isEmpty)
    }

    @Test func loadsFromAPath() throws {
        let path = fixturesDirectory + "/good-scenario.yaml"
        let s = try ScenarioLoader.load(path: path)
        #expect(s.file == path)
        #expect(s.name == "fixture")
        #expect(s.topology.databases.map(\.host) == ["db1", "db2"])
    }

    /// The commented reference in scenarios/README.md must stay a valid scenario.
    @Test func readmeReferenceExampleLoads() throws {
        let readme = try #require(readText(repositoryRoot + "/scenarios/README.md"))
        let section = try #require(readme.range(of: "## Scenario file reference"))
        let rest = readme[section.upperBound...]
        let start = try #require(rest.range(of: "```yaml\n"))
        let end = try #require(rest[start.upperBound...].range(of: "```"))
        let yaml = String(rest[start.upperBound..<end.lowerBound])
        let s = try ScenarioLoader.load(text: yaml, file: "README.md")
        #expect(s.name == "manual failover under 500 writes/s")
        #expect(s.faults.count == 4)
        #expect(s.expectations.count == 3)
        #expect(s.architecture.options["detection_delay"] == .duration(Time.minute * 5))
    }
}

@Suite struct DurationParserTests {
    @Test(arguments: [
        ("100us", Int64(100_000)), ("250ms", 250_000_000), ("1.5s", 1_500_000_000), ("10s", 10_000_000_000),
        ("5m", 300_000_000_000), ("2h", 7_200_000_000_000), ("0.2ms", 200_000), ("1m30s", 90_000_000_000),
        ("0s", 0), ("7ns", 7), (" 3 s ", 3_000_000_000), (".5s", 500_000_000),
    ])
    func parsesDurations(text: String, ns: Int64) {
        #expect(DurationParser.parse(text) == .success(ns))
    }

    @Test func refusesBadDurations() {
        #expect(DurationParser.parse("30") == .failure(.bareNumber))
        #expect(DurationParser.parse("1.5") == .failure(.bareNumber))
        #expect(DurationParser.parse("-5s") == .failure(.negative))
        #expect(DurationParser.parse("5d") == .failure(.unknownUnit("d")))
        #expect(DurationParser.parse("") == .failure(.empty))
        #expect(DurationParser.parse("s") == .failure(.malformed))
        #expect(DurationParser.parse("1s2") == .failure(.malformed))
        #expect(DurationParser.parse("99999999999999h") == .failure(.tooLarge))
        // Int64 nanoseconds hold 292 years; the horizon keeps sums of durations safe.
        #expect(DurationParser.parse("2562047h") == .failure(.tooLarge))
        #expect(DurationParser.parse("87841h") == .failure(.tooLarge))
        #expect(DurationParser.parse("87840h") == .success(DurationParser.horizon))
    }

    @Test func suggestsNearestKey() {
        #expect(Suggestions.nearest("writes_per_sec", in: ScenarioBuilder.workloadKeys) == "writes_per_second")
        #expect(Suggestions.nearest("clinet", in: ScenarioBuilder.workloadKeys) == "client")
        #expect(Suggestions.nearest("zzz", in: ScenarioBuilder.workloadKeys) == nil)
    }
}
