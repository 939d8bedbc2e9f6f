import Testing
import HasimKernel
@_spi(Oracle) @testable import HasimNetwork

/// Each site pair's link is resolved into `Network.paths` when a link or a default changes
/// (session 16): a packet reads one entry instead of the optional table and the defaults.
@Suite struct LinkTableTests {
    @Test func linksResolveSetLinksAndDefaults() {
        let sim = Simulation(seed: 1)
        let net = Network(sim: sim)
        let a = net.addHost("a", site: "s1"), b = net.addHost("b", site: "s1")
        let c = net.addHost("c", site: "s2"), d = net.addHost("d", site: "s3")
        #expect(net.link(a, b) == .sameSite && net.link(a, c) == .crossSite)
        let fast = LinkSpec(latency: .constant(Time.us(50)))
        net.sameSite = fast
        #expect(net.link(a, b) == fast && net.link(c, c) == fast && net.link(a, c) == .crossSite)
        let wan = LinkSpec(latency: .constant(Time.ms(30)), loss: 0.01)
        net.setLink("s1", "s3", wan)
        #expect(net.link(a, d) == wan && net.link(d, b) == wan && net.link(c, d) == .crossSite)
        // A site added later keeps the links set before it.
        let e = net.addHost("e", site: "s4")
        #expect(net.link(a, d) == wan && net.link(e, a) == .crossSite && net.link(e, e) == fast)
        let slow = LinkSpec(latency: .constant(Time.ms(8)))
        net.crossSite = slow
        #expect(net.link(e, a) == slow && net.link(a, d) == wan)
    }
}
