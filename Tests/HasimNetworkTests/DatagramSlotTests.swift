import Testing
import HasimKernel
@_spi(Oracle) @testable import HasimNetwork

/// A datagram waits in the network's `datagrams` slots while in flight (session 16: a packet is
/// two words): every way it ends must free its slot.
@Suite struct DatagramSlotTests {
    final class Inbox: DatagramReceiver {
        var got: [Int64] = []
        func received(_ datagram: Datagram) { got.append(datagram.sequence) }
    }

    @Test func datagramsFreeTheirSlotsWhenDeliveredOrDropped() {
        let w = World()
        let inbox = Inbox()
        w.net.bind(w.server, port: 9, inbox)
        for i in 0..<3 { #expect(w.net.sendDatagram(from: w.client, sourcePort: 5, to: "b", port: 9, sequence: Int64(i))) }
        #expect(w.net.liveDatagrams == 3, "in flight")
        w.sim.run(until: w.sim.now + Time.ms(5))
        #expect(inbox.got == [0, 1, 2])
        #expect(w.net.liveDatagrams == 0)
        // Dropped on a cut path, to a dead host, and in flight when the receiver dies: freed each time.
        w.net.partition([w.a.id], [w.b.id])
        w.net.sendDatagram(from: w.client, sourcePort: 5, to: "b", port: 9, sequence: 3)
        w.net.heal([w.a.id], [w.b.id])
        w.net.sendDatagram(from: w.client, sourcePort: 5, to: "b", port: 9, sequence: 4)
        w.net.crashHost(w.b)
        w.sim.run(until: w.sim.now + Time.ms(5))
        w.net.sendDatagram(from: w.client, sourcePort: 5, to: "b", port: 9, sequence: 5)
        w.sim.run(until: w.sim.now + Time.ms(5))
        #expect(inbox.got == [0, 1, 2])
        #expect(w.net.liveDatagrams == 0)
    }
}
