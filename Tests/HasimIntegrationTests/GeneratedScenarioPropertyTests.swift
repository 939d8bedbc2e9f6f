import Foundation
import Testing
import PropertyBased
import Yams
import HasimKernel
import HasimScenario
import HasimResults
@testable import HasimCLI

/// Issue 17: no valid scenario crashes or hangs hasim. Random scenarios built from each seed
/// architecture — random faults of every kind at random times on random hosts (partitions
/// between random groups, latency spikes, crashes with and without recovery), random load and
/// latency jitter, short runs — must load, run to the end (the kernel's watchdog turns a
/// livelock into an error, which fails here), give metrics inside their definitions, and give
/// the same results when run again.
@Suite struct GeneratedScenarioPropertyTests {
    static let architectures: [String] = {
        (try? ScenarioFiles.expand([repoRoot + "/scenarios/architectures"])) ?? []
    }()

    @Test func randomScenariosRunToTheEndWithinTheMetricsDefinitions() async throws {
        let files = Self.architectures
        #expect(files.count >= 10)
        await propertyCheck(count: 24, input: Gen.int(in: 0...(files.count - 1)), Gen.uint64(in: 1...UInt64(1 << 40))) { index, caseSeed in
            let text = try GeneratedScenario.yaml(architecture: files[index], caseSeed: caseSeed)
            let context = "\((files[index] as NSString).lastPathComponent), case \(caseSeed):\n\(text)"
            let scenario: Scenario
            do {
                scenario = try ScenarioLoader.load(text: text, file: "generated.yaml")
            } catch {
                Issue.record("the generator made a scenario the loader refuses (\(error)) — \(context)")
                return
            }
            let seed = caseSeed % 1000
            let first = MetricsCalculator.report(try ScenarioRunner.run(scenario, seed: seed))
            let again = MetricsCalculator.report(try ScenarioRunner.run(scenario, seed: seed))
            #expect(Rerun.differences(first, again).isEmpty, "not deterministic — \(context)")

            func metric(_ name: String) -> Double? { first.metrics.first { $0.name == name }?.value }
            let duration = Double(scenario.duration) / 1e9
            for m in first.metrics where !m.value.isNaN {
                #expect(m.value.isFinite, "\(m.name) = \(m.value) — \(context)")
                #expect(m.value >= 0, "\(m.name) = \(m.value) < 0 — \(context)")
            }
            if let down = metric("write_downtime") {
                #expect(down <= duration + 1e-6, "write_downtime \(down) s > run of \(duration) s — \(context)")
            }
            if let lost = metric("lost_transactions"), let acked = metric("acknowledged_writes") {
                #expect(lost <= acked, "lost \(lost) > acknowledged \(acked) — \(context)")
            }
        }
    }
}

/// Builds a random variation of an architecture file from one seed (so a failing case is
/// reproduced from the (file, seed) pair the property check prints).
enum GeneratedScenario {
    static func yaml(architecture file: String, caseSeed: UInt64) throws -> String {
        var rng = SplitMix(seed: caseSeed)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        guard var doc = try Yams.load(yaml: text) as? [String: Any],
              var topology = doc["topology"] as? [String: Any],
              let sites = topology["sites"] as? [String: Any] else {
            throw CLIError("\(file): not an architecture file with topology.sites")
        }
        let hosts = sites.keys.sorted().flatMap { (sites[$0] as? [String]) ?? [] }
        let databases = ((topology["databases"] as? [String: Any]) ?? [:]).keys.sorted()
        let durationS = rng.int(30...120)
        doc["duration"] = "\(durationS)s"
        doc["quiesce"] = "\(rng.int(5...20))s"
        doc.removeValue(forKey: "seeds")
        var latency = (topology["latency"] as? [String: Any]) ?? [:]
        latency["same_site"] = ["lognormal": ["median": "\(rng.int(20...500))us", "sigma": Double(rng.int(0...100)) / 100]]
        topology["latency"] = latency
        doc["topology"] = topology
        var workload = (doc["workload"] as? [String: Any]) ?? [:]
        workload["writes_per_second"] = rng.int(20...400)
        doc["workload"] = workload

        var faults: [[String: Any]] = []
        // Partition windows so far: the loader refuses two that overlap on a host pair (the
        // first one's heal would end both), so a generated one that overlaps is left out.
        var partitionWindows: [ClosedRange<Int>] = []
        for _ in 0..<rng.int(0...3) {
            let at = rng.int(1...(durationS - 5))
            var fault: [String: Any] = ["at": "\(at)s"]
            switch rng.int(0...3) {
            case 0: fault["host_crash"] = databases.isEmpty ? hosts[rng.int(0...(hosts.count - 1))] : databases[rng.int(0...(databases.count - 1))]
            case 1: fault["process_crash"] = databases.isEmpty ? hosts[0] : databases[rng.int(0...(databases.count - 1))]
            case 2:
                let shuffled = rng.shuffle(hosts)
                let cut = rng.int(1...(max(1, shuffled.count - 1)))
                guard cut < shuffled.count else { continue }
                fault["partition"] = ["between": Array(shuffled[..<cut]), "and": Array(shuffled[cut...])]
            default:
                let shuffled = rng.shuffle(hosts)
                guard shuffled.count >= 2 else { continue }
                fault["latency_spike"] = ["between": [shuffled[0]], "and": Array(shuffled[1...]), "add": "\(rng.int(1...200))ms"]
            }
            var end = Int.max
            if rng.int(0...1) == 1 {
                let recover = rng.int(1...60)
                fault["recover_after"] = "\(recover)s"
                end = at + recover
            }
            if fault["partition"] != nil {
                let window = at...end
                guard !partitionWindows.contains(where: { $0.overlaps(window) }) else { continue }
                partitionWindows.append(window)
            }
            faults.append(fault)
        }
        doc["faults"] = faults
        return try Yams.dump(object: doc, sortKeys: true)
    }
}

/// SplitMix64: the test's own small deterministic generator (hasim's kernel streams are for runs).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ r: ClosedRange<Int>) -> Int {
        r.lowerBound + Int(next() % UInt64(r.upperBound - r.lowerBound + 1))
    }
    mutating func shuffle<T>(_ xs: [T]) -> [T] {
        var a = xs
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(0...i)) }
        return a
    }
}
