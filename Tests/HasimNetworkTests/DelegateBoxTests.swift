import Testing
import HasimKernel
@_spi(Oracle) @testable import HasimNetwork

/// A data segment's delegate is called at +0 through its box (`DelegateBox`, session 18): a box
/// the end lets go of during that call is kept until the call returns, then released, where the
/// call's own retain used to release the delegate.
@Suite struct DelegateBoxTests {
    /// Held by nothing but its connection end; `onReceive` runs inside `received`.
    final class Lone: ConnectionDelegate {
        var count = 0
        unowned let net: Network
        let onReceive: (Network, Connection) -> Void
        init(_ net: Network, _ onReceive: @escaping (Network, Connection) -> Void) {
            self.net = net
            self.onReceive = onReceive
        }
        func received(_ message: WireMessage, on connection: Connection) {
            onReceive(net, connection)
            // Still alive after its end dropped it: the delivery keeps its box.
            count += 1
        }
        func closed(_ connection: Connection, reason: CloseReason) {}
    }

    final class Server: Listener {
        let make: () -> ConnectionDelegate
        init(_ make: @escaping () -> ConnectionDelegate) { self.make = make }
        func accept(_ connection: Connection) -> ConnectionDelegate? { make() }
    }

    /// A client and a server whose end's delegate only the connection holds.
    final class Pair {
        let sim = Simulation(seed: 1)
        let net: Network
        let client: NetProcess
        let clientEnd: Recorder
        weak var serverDelegate: Lone?
        var connection: Connection?

        init(_ onReceive: @escaping (Network, Connection) -> Void) {
            net = Network(sim: sim)
            net.sameSite = LinkSpec(latency: .constant(Time.ms(1)))
            let a = net.addHost("a", site: "s1")
            let b = net.addHost("b", site: "s1")
            client = net.spawn("client", on: a)
            clientEnd = Recorder(sim: sim)
            let server = Server { [unowned(unsafe) self] in
                let d = Lone(self.net, onReceive)
                self.serverDelegate = d
                return d
            }
            net.listen(net.spawn("server", on: b), port: 1, server)
            net.connect(from: client, to: "b", port: 1, timeout: Time.s(5), delegate: clientEnd) { [unowned(unsafe) self] r in
                self.connection = try? r.get()
            }
            sim.run(until: sim.now + Time.ms(10))
        }
    }

    @Test func aDelegateThatClosesItsConnectionInReceivedLivesUntilItReturns() throws {
        final class Seen { var retired = -1 }
        let seen = Seen()
        let p = Pair { net, c in
            net.close(c, from: .server)
            seen.retired = c.ends[1].retired.count
        }
        let c = try #require(p.connection)
        #expect(p.serverDelegate != nil, "held by its end")
        p.net.send(Text(text: "bye"), on: c, from: .client)
        p.net.send(Text(text: "unread"), on: c, from: .client)
        p.sim.run(until: p.sim.now + Time.ms(10))
        #expect(seen.retired == 1, "its end let go of it during the call: its box is kept")
        #expect(p.serverDelegate == nil, "released once the delivery returned")
        #expect(c.ends[1].retired.isEmpty && c.ends[1].delivering == 0)
        #expect(p.clientEnd.closeReason == .closedByPeer)
        p.sim.close()
    }

    @Test func aDelegateReplacedInReceivedHandsOverTheNextSegment() throws {
        let next = Recorder(sim: Simulation(seed: 2))
        let p = Pair { _, c in c.setDelegate(next, for: .server) }
        let c = try #require(p.connection)
        weak var first = p.serverDelegate
        p.net.send(Text(text: "one"), on: c, from: .client)
        p.net.send(Text(text: "two"), on: c, from: .client)
        p.sim.run(until: p.sim.now + Time.ms(10))
        #expect(first == nil, "the replaced delegate was released after its delivery")
        #expect(next.received.map(\.1) == ["two"])
        #expect(c.ends[1].retired.isEmpty)
        p.sim.close()
    }
}
