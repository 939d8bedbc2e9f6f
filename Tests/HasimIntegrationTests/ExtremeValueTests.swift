import Foundation
import Testing
import Yams
import HasimKernel
import HasimScenario
import HasimStrategies
import HasimStore
import HasimResults

/// Issue 17, "Done means": each class of extreme value the mutation run met is either
/// refused at its line and column, or runs to the end; none traps, none hangs. Before,
/// 18 of them trapped (Int64 overflows: a 10-year timeout times a count, a lognormal
/// tail, `loss` near 1 retransmitting until the delay overflowed) and 9 hung (`0s`
/// intervals). The pairs flip the value across its bound.
@Suite struct ExtremeValueTests {
    /// A small manual-failover world with a crash and a recovery, so detection, failover,
    /// crash recovery, reconnects and replication all run; each case replaces one line.
    static func scenario(_ replace: [String: String] = [:], extra: String = "") -> String {
        var lines = [
            "name: extreme",
            "duration: 30s",
            "quiesce: 5s",
            "topology:",
            "  sites:",
            "    idc1: [db1, db2, app1]",
            "  latency:",
            "    same_site: {lognormal: {median: 0.2ms, sigma: 0.25}, loss: 0}",
            "  databases:",
            "    db1: {role: primary}",
            "    db2: {role: replica, source: db1}",
            "mysql:",
            "  commit_latency: 800us",
            "  redo_apply_per_transaction: 200us",
            "  checkpoint_interval: 60s",
            "architecture:",
            "  strategy: manual",
            "  options: {check_interval: 2s, detection_delay: 3s, promote_time: 1s, response_delay: 1s}",
            "workload:",
            "  client: app1",
            "  writes_per_second: 50",
            "  reads_per_second: 0",
            "  hot_rows: 100",
            "  query_timeout: 10s",
            "  connect_timeout: 5s",
            "faults:",
            "  - {at: 10s, host_crash: db1, recover_after: 10s}",
        ]
        for (key, value) in replace {
            guard let i = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + ":") }) else {
                Issue.record("no line \(key) in the base scenario"); continue
            }
            let indent = lines[i].prefix { $0 == " " }
            lines[i] = indent + key + ": " + value
        }
        return (lines + (extra.isEmpty ? [] : [extra])).joined(separator: "\n")
    }

    enum Outcome {
        case refused([ScenarioIssue])
        case ran(RunReport)
        case failed(String)
    }

    static func outcome(_ text: String) -> Outcome {
        let s: Scenario
        do { s = try ScenarioLoader.load(text: text, file: "extreme.yaml") } catch let e as ScenarioErrors {
            return .refused(e.issues)
        } catch { return .failed("\(error)") }
        do { return .ran(MetricsCalculator.report(try ScenarioRunner.run(s, seed: 1, watch: nil))) } catch {
            return .failed("\(error)")
        }
    }

    /// Refused, every issue located, one of them at `line`.
    static func expectRefused(_ text: String, line: Int, saying: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .refused(let issues) = outcome(text) else {
            Issue.record("accepted:\n\(text)", sourceLocation: sourceLocation); return
        }
        #expect(issues.allSatisfy { $0.mark != nil }, "\(issues)", sourceLocation: sourceLocation)
        #expect(issues.contains { $0.mark?.line == line && $0.message.contains(saying) },
                "\(issues.map(\.description))", sourceLocation: sourceLocation)
    }

    /// Runs to the end of its duration; every metric a number or "not defined" (NaN).
    @discardableResult
    static func expectRuns(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> RunReport? {
        switch outcome(text) {
        case .ran(let r):
            for m in r.metrics where !m.value.isNaN {
                #expect(m.value.isFinite && m.value >= 0, "\(m.name) = \(m.value)", sourceLocation: sourceLocation)
            }
            return r
        case .refused(let issues): Issue.record("refused: \(issues.map(\.description))", sourceLocation: sourceLocation)
        case .failed(let e): Issue.record("failed: \(e)", sourceLocation: sourceLocation)
        }
        return nil
    }

    static func metric(_ r: RunReport?, _ name: String) -> Double? { r?.metrics.first { $0.name == name }?.value }

    // MARK: - Durations at Int64's limit and at the horizon

    @Test func aDurationAtInt64sLimitIsRefused() {
        Self.expectRefused(Self.scenario(["duration": "2562047h"]), line: 2, saying: "too large")
        Self.expectRefused(Self.scenario(["duration": "9223372036854775807ns"]), line: 2, saying: "too large")
        Self.expectRefused(Self.scenario(["quiesce": "87841h"]), line: 3, saying: "too large")
    }

    /// Timeouts, costs and waits at the 10-year horizon: sums and products saturate.
    @Test(arguments: [
        ("commit_latency", "87840h"), ("redo_apply_per_transaction", "87840h"), ("query_timeout", "87840h"),
        ("connect_timeout", "87840h"), ("options", "{check_interval: 87840h, detection_delay: 87840h, promote_time: 87840h, response_delay: 87840h}"),
    ])
    func aTimeoutOrCostAtTheHorizonRunsToTheEnd(key: String, value: String) {
        let r = Self.expectRuns(Self.scenario([key: value]))
        #expect(r?.duration == Time.s(30))
    }

    @Test func aRecoveryAtTheHorizonRunsToTheEnd() {
        Self.expectRuns(Self.scenario(["- {at": "10s, host_crash: db1, recover_after: 87840h}"]))
    }

    // MARK: - Latency: constant, uniform, lognormal tail, spikes

    @Test(arguments: ["{constant: 87840h}", "{uniform: {min: 0s, max: 87840h}}", "{lognormal: {median: 87840h, sigma: 3}}",
                      "{lognormal: {median: 0.2ms, sigma: 3}}"])
    func anExtremeLatencyRunsToTheEnd(model: String) {
        let r = Self.expectRuns(Self.scenario(["same_site": model]))
        if model.hasPrefix("{constant") {
            // Nothing crosses a link that takes ten years: no write is acknowledged.
            #expect(Self.metric(r, "acknowledged_writes") == 0)
        }
    }

    @Test func aLatencySpikeAtTheHorizonRunsToTheEnd() {
        Self.expectRuns(Self.scenario(["- {at": "10s, latency_spike: {between: [db1], and: [app1, db2], add: 87840h}, recover_after: 5s}"]))
    }

    @Test func aLargeSigmaIsRefusedPastItsBound() {
        Self.expectRefused(Self.scenario(["same_site": "{lognormal: {median: 0.2ms, sigma: 3.5}}"]), line: 8, saying: "sigma")
    }

    // MARK: - Loss near 1

    /// `loss: 1` is a partition (refused with that hint); `loss` just below 1 used to
    /// retransmit until the delay overflowed: TCP now gives up after tcp_retries2.
    @Test func lossOfOneIsRefusedAndLossNearOneRunsWithNothingAcknowledged() {
        Self.expectRefused(Self.scenario(["same_site": "{lognormal: {median: 0.2ms, sigma: 0.25}, loss: 1}"]), line: 8, saying: "every packet lost")
        let dead = Self.expectRuns(Self.scenario(["same_site": "{lognormal: {median: 0.2ms, sigma: 0.25}, loss: 0.999999}"]))
        #expect(Self.metric(dead, "acknowledged_writes") == 0)
        // The flip: the same link without loss acknowledges writes.
        let alive = Self.expectRuns(Self.scenario())
        #expect((Self.metric(alive, "acknowledged_writes") ?? 0) > 100)
    }

    // MARK: - Rates, rows, auto-increment

    @Test func tinyRatesRunAndRatesBelowTheLimitAreRefused() {
        // One write per 1000 s: within 30 s only the probe writes (every 100 ms) arrive.
        let tiny = Self.expectRuns(Self.scenario(["writes_per_second": "0.001", "reads_per_second": "0.001"]))
        let normal = Self.expectRuns(Self.scenario())
        #expect((Self.metric(tiny, "acknowledged_writes") ?? .infinity) * 4 < (Self.metric(normal, "acknowledged_writes") ?? 0))
        Self.expectRefused(Self.scenario(["writes_per_second": "0.0001"]), line: 21, saying: "outside")
        Self.expectRefused(Self.scenario(["reads_per_second": "1e-12"]), line: 22, saying: "outside")
    }

    @Test func hugeHotRowsAreRefusedAndTheLargestAllowedRuns() {
        Self.expectRefused(Self.scenario(["hot_rows": "1000000000"]), line: 23, saying: "outside")
        Self.expectRuns(Self.scenario(["hot_rows": "1000000"]))
    }

    @Test func autoIncrementAtMySQLsLimitRunsAndPastItIsRefused() {
        Self.expectRuns(Self.scenario(["db1": "{role: primary, auto_increment_increment: 65535, auto_increment_offset: 65535}"]))
        Self.expectRefused(Self.scenario(["db1": "{role: primary, auto_increment_increment: 65536}"]), line: 10, saying: "outside")
    }

    // MARK: - Every 0s interval of the scenario keys

    @Test(arguments: [("checkpoint_interval", 15), ("query_timeout", 24), ("connect_timeout", 25)])
    func aZeroIntervalOrTimeoutIsRefused(key: String, line: Int) {
        Self.expectRefused(Self.scenario([key: "0s"]), line: line, saying: key)
    }

    // MARK: - Front doors: DNS TTL and the JVM's cache, proxy intervals

    @Test func dnsTTLAndJVMCacheAtTheHorizonRun() {
        Self.expectRuns(Self.scenario(extra: "front_door:\n  dns: {name: db.local, ttl: 87840h, api_delay: {min: 87840h, max: 87840h}, client_cache: 87840h}"))
        Self.expectRuns(Self.scenario(extra: "front_door:\n  dns: {name: db.local, ttl: 87840h, client_cache: forever}"))
    }

    // MARK: - Strategy options at both ends of their ranges

    /// Every architecture with every numeric option at the top of its range (gcache,
    /// last_failover_minute, 10-year timeouts ...) and then at the bottom (1 ms intervals):
    /// each runs to the end.
    @Test(arguments: ["drbd", "galera-haproxy", "galera", "heartbeat-mon", "keepalived", "mha", "mmm", "shared-disk", "vip-manual"])
    func everyOptionAtEachEndOfItsRangeRuns(architecture: String) throws {
        for end in ["upper", "lower"] {
            let text = try Self.withOptions(at: end, architecture: architecture)
            let r = Self.expectRuns(text)
            #expect(r != nil, "\(architecture) with every option at its \(end) bound")
        }
    }

    /// The architecture file, shortened, with each numeric option set to one end of its range.
    static func withOptions(at end: String, architecture: String) throws -> String {
        let text = try String(contentsOfFile: repoRoot + "/scenarios/architectures/\(architecture).yaml", encoding: .utf8)
        var doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        var arch = try #require(doc["architecture"] as? [String: Any])
        let strategy = try #require(arch["strategy"] as? String)
        let d = try #require(StrategyCatalog.descriptor(named: strategy))
        var options = (arch["options"] as? [String: Any]) ?? [:]
        for o in d.options {
            switch (o.range, end) {
            case (.durations(let r, _), "upper"): options[o.name] = OptionRange.written(r.upperBound)
            case (.durations(let r, _), _): options[o.name] = OptionRange.written(r.lowerBound)
            case (.integers(let r), "upper"): options[o.name] = r.upperBound
            case (.integers(let r), _): options[o.name] = r.lowerBound
            case (.numbers(let r, _, let upperOpen), "upper"): options[o.name] = upperOpen ? r.upperBound * 0.999 : r.upperBound
            case (.numbers(let r, let lowerOpen, _), _): options[o.name] = lowerOpen ? r.lowerBound + 0.001 : r.lowerBound
            default: continue
            }
        }
        arch["options"] = options
        doc["architecture"] = arch
        doc["duration"] = "40s"
        doc["quiesce"] = "5s"
        doc.removeValue(forKey: "seeds")
        doc.removeValue(forKey: "expect")
        doc["faults"] = [["at": "10s", "host_crash": "db1", "recover_after": "15s"]]
        var workload = try #require(doc["workload"] as? [String: Any])
        workload["writes_per_second"] = 50
        doc["workload"] = workload
        return try Yams.dump(object: doc)
    }
}
