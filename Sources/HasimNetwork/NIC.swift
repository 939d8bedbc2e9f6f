import HasimKernel

/// A host's network interface: a capacity in bits/s and a per-packet CPU cost (the softirq
/// time of a host that forwards, e.g. an IPVS director), each direction a FIFO: a packet
/// starts serialising when the one before it is on the wire (`transmit`). Unlimited and
/// unmeasured by default (`shaped` false), so a packet to or from such a host costs one
/// test of a Bool and nothing moves in a scenario that sets no bandwidth.
///
/// The transmit queue holds at most `txQueueLen` frames (the qdisc's limit, `ip link ...
/// txqueuelen`, 1000 by default on Linux: DEFAULT_TX_QUEUE_LEN in include/uapi/linux/if_ether.h
/// ... net/ethernet/eth.c ether_setup): a message that finds it full is dropped at the tail,
/// and TCP retransmits it after its RTO. 0 (hasim's default for a host that sets nothing)
/// keeps the queue unbounded, so a saturated link shows as queueing delay only.
/// The receive side reserves its slot when the packet is sent (its arrival time is known
/// then), not in arrival order, which a jittered path may swap by a few microseconds.
public struct NIC: Sendable {
    /// Link capacity in bits per second; 0: unlimited.
    public var bitsPerSecond: Int64 = 0 { didSet { reshape() } }
    /// CPU time per packet through this host (both directions); 0: none.
    public var packetCost: SimTime = 0 { didSet { reshape() } }
    /// Counts bytes even when unlimited (a load balancer's host, to report its load).
    public var measured = false { didSet { reshape() } }
    /// The queues' limit in frames (txqueuelen; the receive side stands for the switch port's
    /// buffer in front of this interface, given the same limit); 0: unbounded.
    public var txQueueLen = 0 {
        didSet { rings = (FrameRing(txQueueLen), FrameRing(txQueueLen)) }
    }
    /// Messages dropped at the tail of a full queue (either direction), and their frames.
    public internal(set) var drops: Int64 = 0
    public internal(set) var droppedPackets: Int64 = 0
    /// When each queued frame leaves, per direction (0: transmit, 1: receive).
    private var rings = (FrameRing(0), FrameRing(0))
    /// Whether the interface limits or counts anything: kept as the three settings change, since
    /// every packet asks it of both hosts (computed, it was three loads and tests per host).
    private(set) var shaped = false
    private mutating func reshape() { shaped = bitsPerSecond > 0 || packetCost > 0 || measured }

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

    /// Offers a message to the queue of direction `out` at `t`: nil when it is dropped at the
    /// tail (the queue holds txQueueLen frames), else when its last bit has left (or arrived).
    mutating func offer(_ bytes: Int64, packets: Int64, at t: SimTime, out: Bool) -> SimTime? {
        guard txQueueLen > 0 else { return transmit(bytes, packets: packets, at: t, out: out) }
        let admitted = out ? rings.0.admits(packets, at: t) : rings.1.admits(packets, at: t)
        guard admitted else {
            drops += 1
            droppedPackets += packets
            return nil
        }
        let start = max(t, out ? freeAt.0 : freeAt.1)
        let end = transmit(bytes, packets: packets, at: t, out: out)
        if out { rings.0.enqueue(packets, from: start, to: end) } else { rings.1.enqueue(packets, from: start, to: end) }
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
    @inline(__always) func wireSize(_ p: Packet) -> (bytes: Int64, packets: Int64) {
        if case .data(let slot) = p, let m = messages[slot] { return NIC.wireBytes(payload: m.wireBytes) }
        return NIC.wireBytes(payload: 0)
    }

    /// When a packet sent now from `from` reaches `to` after `latency` on the path, through
    /// the sender's transmit queue and the receiver's receive queue.
    /// nil: dropped at the tail of the sender's full transmit queue.
    func shapedArrival(_ p: Packet, from: Host, to: Host, latency: SimTime, extraBytes: Int64 = 0) -> SimTime? {
        var t = sim.now
        let size = wireSize(p)
        let bytes = size.bytes + extraBytes * size.packets
        if from.nic.shaped {
            guard let end = from.nic.offer(bytes, packets: size.packets, at: t, out: true) else { return nil }
            t = end
        }
        t = Time.sum(t, latency)
        if to.nic.shaped {
            guard let end = to.nic.offer(bytes, packets: size.packets, at: t, out: false) else { return nil }
            t = end
        }
        return t
    }
}

/// The frames waiting in one direction of a bounded queue, FIFO: when each leaves. A ring of
/// fixed size, allocated once.
struct FrameRing: Sendable {
    private var leaves: [SimTime]
    private var head = 0
    private var count = 0
    init(_ capacity: Int) { leaves = Array(repeating: 0, count: capacity) }

    /// Whether `packets` more frames offered at `t` find room (frames gone by `t` free theirs).
    mutating func admits(_ packets: Int64, at t: SimTime) -> Bool {
        let cap = leaves.count
        while count > 0 && leaves[head] <= t {
            head = head + 1 == cap ? 0 : head + 1
            count -= 1
        }
        return count + Int(packets) <= cap
    }

    /// The frames of a message admitted, leaving one after another from `start` to `end`.
    mutating func enqueue(_ packets: Int64, from start: SimTime, to end: SimTime) {
        let cap = leaves.count
        guard cap > 0, packets > 0 else { return }
        let per = (end - start) / packets
        for k in 1...packets {
            leaves[(head + count) % cap] = k == packets ? end : start + per * k
            count += 1
        }
    }
}
