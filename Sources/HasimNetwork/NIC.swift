import HasimKernel

/// A host's network interface: a capacity in bits/s and a per-packet CPU cost (the softirq
/// time of a host that forwards, e.g. an IPVS director), each direction a FIFO: a packet
/// starts serialising when the one before it is on the wire (`transmit`). Unlimited and
/// unmeasured by default (`shaped` false), so a packet to or from such a host costs one
/// test of a Bool and nothing moves in a scenario that sets no bandwidth.
///
/// Approximation: the queue is unbounded (no `txqueuelen` tail drop); a saturated link
/// shows as queueing delay, and the applications' own timeouts turn that into errors.
/// The receive side reserves its slot when the packet is sent (its arrival time is known
/// then), not in arrival order, which a jittered path may swap by a few microseconds.
public struct NIC: Sendable {
    /// Link capacity in bits per second; 0: unlimited.
    public var bitsPerSecond: Int64 = 0
    /// CPU time per packet through this host (both directions); 0: none.
    public var packetCost: SimTime = 0
    /// Counts bytes even when unlimited (a load balancer's host, to report its load).
    public var measured = false
    var shaped: Bool { bitsPerSecond > 0 || packetCost > 0 || measured }

    /// When each direction's wire is free again (0: transmit, 1: receive).
    var freeAt: (SimTime, SimTime) = (0, 0)
    public internal(set) var bytesOut: Int64 = 0
    public internal(set) var bytesIn: Int64 = 0
    /// The longest a packet waited for the wire, either direction.
    public internal(set) var maxQueueDelay: SimTime = 0
    /// Bytes per one-second window, per direction, and the busiest window so far.
    var window: (index: Int64, out: Int64, in: Int64) = (0, 0, 0)
    public internal(set) var peakBytesPerSecond: Int64 = 0

    public init() {}

    /// TCP segments of at most 1448 payload bytes (MSS with timestamps), each with 66 bytes
    /// of Ethernet, IP and TCP headers: what a message of `payload` bytes puts on the wire.
    @inline(__always) static func wireBytes(payload: Int) -> (bytes: Int64, packets: Int64) {
        let packets = Int64(max(1, (payload + 1447) / 1448))
        return (Int64(payload) + packets * 66, packets)
    }

    /// Puts `bytes` (in `packets` frames) on this interface's wire in direction `out` (true:
    /// sending) at `t`; returns when the last bit has left (or arrived).
    mutating func transmit(_ bytes: Int64, packets: Int64, at t: SimTime, out: Bool) -> SimTime {
        var cost = packets * packetCost
        if bitsPerSecond > 0 { cost += bytes * 8 * 1_000_000_000 / bitsPerSecond }
        let free = out ? freeAt.0 : freeAt.1
        let start = max(t, free)
        let end = start + cost
        if out { freeAt.0 = end; bytesOut += bytes } else { freeAt.1 = end; bytesIn += bytes }
        if start - t > maxQueueDelay { maxQueueDelay = start - t }
        let w = end / Time.s(1)
        if w > window.index { window = (w, 0, 0) }
        if out { window.out += bytes } else { window.in += bytes }
        peakBytesPerSecond = max(peakBytesPerSecond, max(window.out, window.in))
        return end
    }

    /// The busiest second's traffic over the capacity (0 when unlimited).
    public var peakUtilisation: Double {
        bitsPerSecond > 0 ? Double(peakBytesPerSecond * 8) / Double(bitsPerSecond) : 0
    }
}

extension Network {
    /// Sets a host's interface (capacity, per-packet cost, measurement).
    public func setNIC(_ host: Host, _ nic: NIC) { host.nic = nic }

    /// The bytes a packet puts on the wire.
    @inline(__always) static func wireSize(_ p: Packet) -> (bytes: Int64, packets: Int64) {
        if case .data(let m) = p { return NIC.wireBytes(payload: m.wireBytes) }
        return NIC.wireBytes(payload: 0)
    }

    /// When a packet sent now from `from` reaches `to` after `latency` on the path, through
    /// the sender's transmit queue and the receiver's receive queue.
    func shapedArrival(_ p: Packet, from: Host, to: Host, latency: SimTime, extraBytes: Int64 = 0) -> SimTime {
        var t = sim.now
        let size = Self.wireSize(p)
        let bytes = size.bytes + extraBytes * size.packets
        if from.nic.shaped { t = from.nic.transmit(bytes, packets: size.packets, at: t, out: true) }
        t = Time.sum(t, latency)
        if to.nic.shaped { t = to.nic.transmit(bytes, packets: size.packets, at: t, out: false) }
        return t
    }
}
