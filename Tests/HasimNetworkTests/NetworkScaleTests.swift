import Testing
import HasimKernel
@_spi(Oracle) @testable import HasimNetwork

/// A large topology costs memory and time only where faults touch it (issue 17): building
/// 10,000 hosts was O(n³) with a dense n×n matrix (~900 MB at that size).
@Suite struct NetworkScaleTests {
    @Test func tenThousandHostsBuildAndPartitionPairwise() {
        let sim = Simulation(seed: 1)
        let net = Network(sim: sim)
        var ids: [HostID] = []
        for i in 0..<10_000 { ids.append(net.addHost("h\(i)", site: i < 5_000 ? "a" : "b").id) }
        #expect(net.canReach(ids[0], ids[9_999]))
        net.partition([ids[0], ids[1]], [ids[9_999]])
        #expect(!net.canReach(ids[0], ids[9_999]))
        #expect(!net.canReach(ids[9_999], ids[1]))
        // Only the named pairs: the rest of the topology is untouched.
        #expect(net.canReach(ids[2], ids[9_999]))
        // The flip: healing restores the path.
        net.heal([ids[0], ids[1]], [ids[9_999]])
        #expect(net.canReach(ids[0], ids[9_999]))
    }

    @Test func aOneWayPartitionBlocksOneDirection() {
        let sim = Simulation(seed: 1)
        let net = Network(sim: sim)
        let a = net.addHost("a", site: "s").id, b = net.addHost("b", site: "s").id
        net.partition([a], [b], oneWay: true)
        #expect(!net.canReach(a, b))
        #expect(net.canReach(b, a))
    }
}
