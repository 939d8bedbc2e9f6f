import HasimKernel

/// One UDP datagram as the receiving socket sees it: who sent it (the source address and
/// port of its IP and UDP headers) and what it carries. Small and by value: it travels in
/// the network's slots (`Network.datagrams`) while in flight, as a TCP segment's message does.
public struct Datagram: Sendable, Equatable {
    /// The sending host (the source address of the IP header) and its socket's port.
    public var source: HostID
    public var sourcePort: Int
    /// The destination port.
    public var port: Int
    /// The application's bytes, reduced to what hasim's programs write: a sequence number,
    /// and the host an echo names in its reply (an echo server writes its host name).
    public var sequence: Int64
    public var name: HostID?

    public init(source: HostID, sourcePort: Int, port: Int, sequence: Int64, name: HostID? = nil) {
        self.source = source
        self.sourcePort = sourcePort
        self.port = port
        self.sequence = sequence
        self.name = name
    }
}

/// A program's bound UDP socket: told of each datagram that reaches it.
public protocol DatagramReceiver: AnyObject {
    func received(_ datagram: Datagram)
}

/// UDP: no connection, no acknowledgement, no retransmission, and no confirmation of the
/// neighbour entry (Linux's `dst_confirm` comes from TCP's forward progress only), so a
/// datagram to a VIP goes wherever the sender's ARP cache says and is silently lost if that
/// host is down, no longer holds the address, or is cut off.
extension Network {
    /// `bind(port)`: the process receives the datagrams its host gets on that port, until it dies.
    public func bind(_ p: NetProcess, port: Int, _ receiver: DatagramReceiver) {
        p.datagramSockets[port] = receiver
    }

    /// `sendto(address:port)` from the process's socket bound to `sourcePort`. Returns false when
    /// the datagram did not leave the host: the process or its host is down, or the address does
    /// not resolve now (a VIP's entry INCOMPLETE, or cached on a host that dropped the address).
    /// Linux queues a few datagrams on an INCOMPLETE entry (`unres_qlen_bytes`) and sends them
    /// with the ARP reply; hasim answers a broadcast at once when anyone holds the address, so
    /// the entry is INCOMPLETE only while nobody does, when Linux drops that queue too.
    @discardableResult
    public func sendDatagram(from p: NetProcess, sourcePort: Int, to address: IPAddress, port: Int,
                             sequence: Int64, name: HostID? = nil) -> Bool {
        guard p.isAlive, let target = resolve(address, from: p.host) else { return false }
        let d = Datagram(source: p.host.id, sourcePort: sourcePort, port: port, sequence: sequence, name: name)
        send(.datagram(datagrams.store(d)), from: p.host, to: hosts[target.raw], connection: nil, side: .client, reliable: false)
        return true
    }

    /// A reply to a datagram's source address and port (a host's own address: no VIP involved).
    @discardableResult
    public func reply(to d: Datagram, from p: NetProcess, sequence: Int64, name: HostID? = nil) -> Bool {
        sendDatagram(from: p, sourcePort: d.port, to: host(d.source).address, port: d.sourcePort,
                     sequence: sequence, name: name)
    }

    /// The receiving kernel hands it to the live process bound to its port; none: dropped
    /// (the ICMP port-unreachable it would send tells an unconnected sender nothing).
    func deliverDatagram(_ d: Datagram, to host: Host) {
        for p in host.processes where p.isAlive {
            if let r = p.datagramSockets[d.port] { r.received(d); return }
        }
    }
}
