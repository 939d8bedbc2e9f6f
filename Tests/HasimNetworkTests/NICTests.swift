import Testing
import HasimKernel
@testable import HasimNetwork

/// A message of a given payload size.
struct Bulk: WireMessage {
    let bytes: Int
    var wireBytes: Int { bytes }
}

/// A director in front of one or two real servers, as an IPVS service with NAT or DSR.
final class TestDirector: PacketDirector {
    var servers: [Host]
    var next = 0
    var forwardsReplies: Bool
    var tunnelBytes: Int64 = 0
    var verdictNow = DirectorVerdict.forward
    var ended = 0
    init(servers: [Host], nat: Bool) { self.servers = servers; forwardsReplies = nat }
    func schedule(port: Int, from client: Host) -> Host? {
        guard !servers.isEmpty else { return nil }
        next += 1
        return servers[(next - 1) % servers.count]
    }
    func verdict(_ c: Connection) -> DirectorVerdict { verdictNow }
    func connectionEnded(_ c: Connection) { ended += 1 }
    func adopt(_ c: Connection) -> Bool { false }
}

@Suite struct NICTests {
    /// 100 segments of 1448 bytes plus headers at 10 Mbit/s take 121 ms on the wire; a second
    /// message waits for the first (FIFO). Flip: without a capacity only the latency counts.
    @Test func aLinkCapacitySerialisesAndQueuesMessages() throws {
        for limited in [true, false] {
            let w = World()
            if limited { w.net.setNIC(w.a, { var n = NIC(); n.bitsPerSecond = 10_000_000; return n }()) }
            let c = try #require(w.connect())
            let t0 = w.sim.now
            w.net.send(Bulk(bytes: 144_800), on: c, from: .client)
            w.net.send(Bulk(bytes: 144_800), on: c, from: .client)
            w.sim.run(until: t0 + Time.s(1))
            let times = w.serverEnd.received.map { $0.0 - t0 }
            #expect(times.count == 2)
            let wire = (144_800 + 100 * 66) * 8 * 100  // ns at 10 Mbit/s
            if limited {
                #expect(times == [SimTime(wire) + Time.ms(1), SimTime(2 * wire) + Time.ms(1)])
                #expect(w.a.nic.bytesOut >= 2 * 151_400)
                #expect(w.a.nic.maxQueueDelay >= SimTime(wire) - 1)
            } else {
                #expect(times == [Time.ms(1), Time.ms(1)])
            }
        }
    }

    /// Through a NAT director the reply passes the director's NIC; with direct server return
    /// it does not, so the director carries only the request's bytes.
    @Test func natCarriesRepliesThroughTheDirectorDSRDoesNot() throws {
        var outBytes: [Bool: Int64] = [:]
        for nat in [true, false] {
            let w = World()
            var m = NIC(); m.measured = true
            w.net.setNIC(w.c, m)
            let lbProcess = w.net.spawn("ipvs", on: w.c)
            let d = TestDirector(servers: [w.b], nat: nat)
            w.net.direct(lbProcess, port: 80, d)
            w.net.listen(w.server, port: 80, w.serverEnd)
            var conn: Connection?
            w.net.connect(from: w.client, to: "c", port: 80, timeout: Time.s(5), delegate: w.clientEnd) { r in
                if case .success(let c) = r { conn = c }
            }
            w.sim.run(until: w.sim.now + Time.ms(20))
            let c = try #require(conn)
            #expect(c.server === w.server)
            #expect(w.net.realServer(of: c) === w.b)
            w.net.send(Bulk(bytes: 500), on: c, from: .client)
            w.net.send(Bulk(bytes: 50_000), on: c, from: .server)
            w.sim.run(until: w.sim.now + Time.ms(20))
            #expect(w.serverEnd.received.count == 1)
            #expect(w.clientEnd.received.count == 1)
            outBytes[nat] = w.c.nic.bytesOut
            // The real server is deleted without expire_nodest_conn: the segment is dropped.
            d.verdictNow = .drop
            w.net.send(Bulk(bytes: 500), on: c, from: .client)
            w.sim.run(until: w.sim.now + Time.ms(20))
            #expect(w.serverEnd.received.count == 1)
            // With expire_nodest_conn the director's stack resets it.
            d.verdictNow = .reset
            w.sim.run(until: w.sim.now + Time.s(1))
            #expect(w.clientEnd.closeReason == .reset)
        }
        #expect(outBytes[true]! > 50_000)
        #expect(outBytes[false]! < 5_000)
    }

    /// No real server available: the director's host refuses the connection.
    @Test func aDirectorWithoutRealServersRefuses() throws {
        let w = World()
        let lbProcess = w.net.spawn("ipvs", on: w.c)
        w.net.direct(lbProcess, port: 80, TestDirector(servers: [], nat: true))
        var result: Result<Connection, ConnectError>?
        w.net.connect(from: w.client, to: "c", port: 80, timeout: Time.s(5), delegate: w.clientEnd) { result = $0 }
        w.sim.run(until: w.sim.now + Time.ms(20))
        guard case .failure(.refused) = result else { Issue.record("expected refused, got \(String(describing: result))"); return }
    }
}
