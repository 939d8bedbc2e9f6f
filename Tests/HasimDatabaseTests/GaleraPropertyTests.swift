import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase
import HasimWorkload

/// Safety over random latencies and kill times (issue 10): whatever the jitter and whenever
/// nodes die, come back or get cut off, no acknowledged commit is missing from a surviving
/// Primary Component, and its members agree on every row.
@Suite struct GaleraPropertyTests {
    @Test(arguments: Array(UInt64(1)...UInt64(16)))
    func acknowledgedCommitsSurviveAndMembersAgree(seed: UInt64) {
        var rng = SimRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15)
        let n = 3 + rng.below(3)
        let sigma = 0.1 + rng.unit() * 1.2
        let lab = GaleraLab(n: n, jitter: sigma, seed: seed)
        var apps: [ApplicationClient] = []
        for i in 0..<n {
            let a = lab.app(i, index: i)
            a.startWorkload(writesPerSecond: 40, updateFraction: 0.3, hotRows: 5, probeInterval: 0, start: 0, stop: Time.s(40))
            apps.append(a)
        }
        // A minority of the nodes fail at random times in [5 s, 30 s), in one of three ways; some return.
        var plan: [String] = []
        for _ in 0..<((n - 1) / 2) {
            let k = rng.below(n)
            let at = Time.s(5) + SimTime(rng.unit() * Double(Time.s(25)))
            let back = rng.chance(0.5) ? at + Time.s(3) + SimTime(rng.unit() * Double(Time.s(10))) : nil
            let node = lab.nodes[k]
            switch rng.below(3) {
            case 0:
                plan.append("host crash db\(k + 1) at \(Time.format(at))")
                lab.sim.at(at) { lab.net.crashHost(node.host) }
                if let b = back { lab.sim.at(b) { lab.net.restartHost(node.host) } }
            case 1:
                plan.append("kill -9 db\(k + 1) at \(Time.format(at))")
                lab.sim.at(at) { node.crash() }
                if let b = back { lab.sim.at(b) { node.start() } }
            default:
                plan.append("partition db\(k + 1) at \(Time.format(at))")
                let others = lab.nodes.filter { $0 !== node }.map(\.host.id)
                lab.sim.at(at) { lab.net.partition([node.host.id], others) }
                if let b = back { lab.sim.at(b) { lab.net.heal([node.host.id], others) } }
            }
        }
        lab.sim.run(until: Time.s(70))
        let primary = lab.nodes.filter { $0.isPrimary && $0.state == .synced }
        #expect(!primary.isEmpty, "seed \(seed), n \(n), sigma \(sigma): \(plan)")
        let acked = apps.flatMap(\.ledger)
        for m in primary {
            let missing = acked.filter { !m.storage.appliedTxids.contains($0.txid) }
            #expect(missing.isEmpty, "seed \(seed) \(plan): \(m.name) lacks \(missing.count) acknowledged commits")
        }
        for m in primary.dropFirst() {
            #expect(m.storage.appliedTxids == primary[0].storage.appliedTxids, "seed \(seed) \(plan): \(m.name) vs \(primary[0].name)")
            for k in 1...5 { #expect(m.storage.row(.counters, Int64(k)) == primary[0].storage.row(.counters, Int64(k))) }
        }
    }
}
