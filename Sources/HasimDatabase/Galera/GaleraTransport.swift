import HasimKernel
import HasimNetwork

/// Group communication (gcomm's transport): one TCP connection per peer on the group port,
/// messages queued while a connection is dialled, gcomm's receive thread, keepalives and the
/// inactivity check that drives membership (GaleraMembership.swift).
extension GaleraNode {
    // MARK: group transport

    func send(_ m: WireMessage, to j: Int) {
        if j == index { deliver(m); return }
        if trySend(m, to: j) { return }
        sendLater(m, to: j)
    }

    /// `m` could not go to `j` (no open connection): it waits for one, dialled now or soon.
    private func sendLater(_ m: WireMessage, to j: Int) {
        out[j] = nil
        // Messages wait for the connection (one keepalive is enough to announce us).
        if !(m is GKeepalive) || queued[j].isEmpty { queued[j].append(m) }
        // gcomm dials a peer that refused again only after a pause, not for every message.
        guard !connecting[j], sim.now - dialFailedAt[j] >= config.keepalivePeriod else { return }
        connecting[j] = true
        let l = life
        network.connect(from: process, to: peers[j].host.address, port: config.groupPort, timeout: config.keepalivePeriod,
                        delegate: OutDelegate()) { [unowned(unsafe) self] r in
            guard self.life == l else { return }
            self.connecting[j] = false
            if case .success(let c) = r {
                self.out[j] = c
                self.connectedAt[j] = self.sim.now
                let q = self.queued[j]
                self.queued[j].removeAll()
                for m in q { self.network.send(m, on: c, from: .client) }
            } else {
                // A member's messages wait for the next attempt (dropping some would leave a gap
                // in what it receives from us); others' are not worth keeping.
                if !self.view.contains(j) && !(self.installing && self.proposal.contains(j)) { self.queued[j].removeAll() }
                self.dialFailedAt[j] = self.sim.now
            }
        }
    }

    /// Sends `m` on the open connection to `j` (not this node), if there is one. The connection
    /// is used at +0 (`out.unretained`): no retain and release per message.
    @inline(__always)
    private func trySend<M: WireMessage>(_ m: M, to j: Int) -> Bool {
        guard let r = out.unretained(j) else { return false }
        return r._withUnsafeGuaranteedRef { c in c.isOpen(for: .client) && network.send(m, on: c, from: .client) }
    }

    /// `send(m, to: j)` for the commonest messages, an acknowledgement or a gap message (three
    /// words, inline in an existential): taken as its own type, its existential is made once,
    /// straight into the network's consuming parameter, instead of made by the caller, copied
    /// for the network and destroyed.
    @inline(__always)
    private func sendInline<M: WireMessage>(_ m: M, to j: Int) {
        if j == index { deliver(m); return }
        if trySend(m, to: j) { return }
        sendLater(m, to: j)
    }

    /// Drops the connection to `j` so the next message dials again (a path that lost a packet
    /// stays broken, as a real TCP connection that timed out).
    func redial(_ j: Int) {
        if let c = out[j] { network.close(c, from: .client) }
        out[j] = nil
    }

    func broadcast(_ m: WireMessage, to members: [Int]) { for j in members where j != index { send(m, to: j) } }

    /// `broadcast(m, to: members)` for a message inline in an existential (a packed write-set):
    /// made once per copy, straight into the network's parameter.
    @inline(__always)
    func broadcastInline<M: WireMessage>(_ m: M, to members: [Int]) {
        for j in members where j != index { sendInline(m, to: j) }
    }

    /// `broadcast(m, to: view)` for the per-write-set acknowledgements and gap messages: the
    /// members from the view's mask, in the same ascending order as `view` (kept sorted), without
    /// retaining the array for each message.
    @inline(__always)
    func broadcastToView<M: WireMessage>(_ m: M) {
        var rest = viewMask & ~(1 << UInt64(index))
        while rest != 0 {
            sendInline(m, to: rest.trailingZeroBitCount)
            rest &= rest - 1
        }
    }

    /// A message from another member: the gcomm thread takes it in arrival order, a write-set
    /// after its processing burst (acknowledgements and keepalives are cheap enough to count as free).
    /// While the thread is idle, a message that costs nothing would be handled at once
    /// (`GcommThread.run`): the commonest are, here, as their own types. Passed on as an existential,
    /// each was opened again by the thread and by `deliver` (a projection of the existential, a copy
    /// through its value witness into a frame of dynamic size and its destruction: about 120
    /// instructions a message, 12 group messages a write-set).
    fileprivate func receiveGroup(_ m: WireMessage) {
        if gcomm.idle(self), receiveAtOnce(m) { return }
        let cost = m.as(GPackedWriteSet.self) != nil || m.as(GWriteSet.self) != nil ? config.writeSetCost : 0
        gcomm.run(cost, m, on: self)
    }

    /// Handles `m` if it is one of the commonest messages and costs nothing. Generic and inlined,
    /// so the existential is opened once for the three tests (each `as` on the existential
    /// projected it again).
    @inline(__always)
    private func receiveAtOnce<M: WireMessage>(_ m: M) -> Bool {
        if let g = m.as(GSafe.self) { deliverSafe(g); return true }
        if let a = m.as(GAck.self) { deliverAck(a); return true }
        if let p = m.as(GPackedWriteSet.self), config.writeSetCost == 0 { deliverWriteSet(p); return true }
        return false
    }

    /// The gcomm thread has taken `m`.
    func gcommDone(_ m: WireMessage) { deliver(m) }

    /// `from` has received the write-set `stamp`.
    @inline(__always)
    private func deliverAck(_ a: GAck) {
        guard state != .down else { return }
        heard(a.from, clock: a.clock)
        acked(a.stamp, by: a.from)
    }

    /// `from`'s all-received-up-to.
    @inline(__always)
    private func deliverSafe(_ g: GSafe) {
        guard state != .down else { return }
        heard(g.from, clock: g.clock)
        safeReported(g.upTo, by: g.from)
    }

    /// A write-set from its origin.
    @inline(__always)
    private func deliverWriteSet(_ p: GPackedWriteSet) {
        guard state != .down else { return }
        let (stamp, ws) = (p.stamp, p.ws)
        heard(ws.origin, clock: stamp.t)
        received(stamp, ws)
    }

    fileprivate func deliver(_ m: WireMessage) {
        // WireMessage.as: one metadata comparison each, no runtime cast.
        if let a = m.as(GAck.self) {
            deliverAck(a)
            return
        } else if let g = m.as(GSafe.self) {
            deliverSafe(g)
            return
        }
        if let p = m.as(GPackedWriteSet.self) {
            deliverWriteSet(p)
            return
        }
        guard state != .down else { return }
        if let w = m.as(GWriteSet.self) {
            heard(w.ws.origin, clock: w.stamp.t)
            received(w.stamp, w.ws)
        } else if let k = m.as(GKeepalive.self) {
            heard(k.from, clock: k.clock)
        } else if let f = m.as(GFlow.self) {
            heard(f.from, clock: 0)
            if f.pause { pausedBy |= 1 << UInt64(f.from) } else { pausedBy &= ~(1 << UInt64(f.from)) }
            flowChanged()
        } else if let l = m.as(GLeave.self) {
            leftGracefully(l.from)
        } else if let j = m.as(GJoin.self) {
            heard(j.from, clock: j.clock)
            joinReceived(j)
        } else if let r = m.as(GStateRequest.self) {
            donate(to: r.from, joinerSeqno: r.seqno)
        } else if let t = m.as(GStateTransfer.self) {
            installState(t)
        }
    }

    /// (Inlined: a call of its own per group message cost more than its body.)
    @inline(__always)
    func heard(_ j: Int, clock c: Int64) {
        lastHeard[j] = sim.now
        if c > clock { clock = c }
    }

    func keepalive(_ l: Int64) {
        guard life == l, state != .down else { return }
        for j in peers.indices where j != index {
            send(GKeepalive(from: index, clock: clock, viewID: viewID), to: j)
        }
        afterRunnable(config.keepalivePeriod) { [unowned(unsafe) self] in self.keepalive(l) }
    }

    /// evs.inactive_check_period: look for silent members and for peers to merge with.
    func check(_ l: Int64) {
        guard life == l, state != .down else { return }
        checkMembership()
        afterRunnable(config.inactiveCheckPeriod) { [unowned(unsafe) self] in self.check(l) }
    }
}

/// A node's outgoing group connections, by member. They are owned here (`owned`); `refs` holds
/// the same references unretained so that sending reads one at +0: loading a class reference
/// out of an array retains it, and released it after the send, twice per group message.
struct GroupConnections {
    private var owned: [Connection?] = []
    private var refs: [Unmanaged<Connection>?] = []

    init(count: Int) {
        owned = Array(repeating: nil, count: count)
        refs = Array(repeating: nil, count: count)
    }

    subscript(j: Int) -> Connection? {
        get { owned[j] }
        set {
            owned[j] = newValue
            refs[j] = newValue.map { Unmanaged.passUnretained($0) }
        }
    }

    var indices: Range<Int> { owned.indices }
    var all: [Connection?] { owned }

    /// The connection to `j`, not retained: valid while `owned` holds it. Read as an element
    /// (not through a method taking a closure, which retained both arrays for the call).
    @inline(__always)
    func unretained(_ j: Int) -> Unmanaged<Connection>? { refs[j] }
}

/// gcomm's receive thread: exactly ProcessThread (HasimNetwork/Machine.swift) — messages taken
/// one at a time in arrival order, each after its CPU cost on the host's cores, the queue dropped
/// when the process restarts — but it queues the messages themselves instead of a closure per
/// message (a heap context per acknowledgement, the commonest message of a Galera run).
final class GcommThread {
    // The node is passed to each call rather than held: the thread is made in the node's init,
    // before the node can be referenced (a lazy property instead cost a check per message).
    private let machine: Machine
    private var jobs: [(cost: SimTime, message: WireMessage)] = []
    private var head = 0
    private var busy = false
    private var generation: UInt32

    init(machine: Machine, incarnation: UInt32) {
        self.machine = machine
        generation = incarnation
    }

    /// Whether a message that costs nothing would be handled at once (nothing queued, no burst in
    /// flight): the thread's queue is dropped first if the process restarted, as `run` does.
    @inline(__always)
    func idle(_ node: GaleraNode) -> Bool {
        if generation != node.process.incarnation { reset(node) }
        return !busy && head == jobs.count
    }

    func run(_ cost: SimTime, _ m: WireMessage, on node: GaleraNode) {
        if generation != node.process.incarnation { reset(node) }
        if !busy && head == jobs.count && cost == 0 { node.gcommDone(m); return }
        jobs.append((cost, m))
        if !busy { next(node) }
    }

    private func reset(_ node: GaleraNode) {
        jobs.removeAll(keepingCapacity: true)
        head = 0
        busy = false
        generation = node.process.incarnation
    }

    private func next(_ node: GaleraNode) {
        guard head < jobs.count else {
            busy = false
            if head > 0 { jobs.removeAll(keepingCapacity: true); head = 0 }
            return
        }
        busy = true
        let job = jobs[head]
        head += 1
        let g = generation
        if job.cost == 0 { node.gcommDone(job.message); next(node); return }
        // The job stays at `jobs[head - 1]` until its burst is done: the burst names only the
        // generation (a value job, no closure context per message).
        machine.compute(node.process, job.cost, node, tag: GaleraBurst.gcomm, Int64(g))
    }

    /// The burst of the job at `head - 1` is done (GaleraBurst.gcomm); `g` its generation.
    func done(_ g: UInt32, _ node: GaleraNode) {
        // A restart dropped the queue (and the job) meanwhile.
        guard generation == g else { return }
        node.gcommDone(jobs[head - 1].message)
        next(node)
    }
}

final class GroupListener: Listener {
    unowned let node: GaleraNode
    init(node: GaleraNode) { self.node = node }
    func accept(_ connection: Connection) -> ConnectionDelegate? { GroupIn(node: node) }
}

private final class GroupIn: ConnectionDelegate {
    // Unmanaged, used at +0: read for every message; a checked `unowned` costs a strong retain and
    // release per read (swift_unownedRetainStrong), and even `unowned(unsafe)` was retained and
    // released around the call. The node outlives its group connections: both live until
    // Simulation.close, after which no message is delivered.
    private let node: Unmanaged<GaleraNode>
    init(node: GaleraNode) { self.node = Unmanaged.passUnretained(node) }
    func received(_ message: WireMessage, on connection: Connection) {
        node._withUnsafeGuaranteedRef { $0.receiveGroup(message) }
    }
    func closed(_ connection: Connection, reason: CloseReason) {}
}

private final class OutDelegate: ConnectionDelegate {
    func received(_ message: WireMessage, on connection: Connection) {}
    func closed(_ connection: Connection, reason: CloseReason) {}
}

/// One value per peer, written for every group message received (`lastHeard`: `heard`; `safeUpTo`:
/// each gap message). An array in a class property checks that its buffer is not shared at every
/// write (a call per message); this fixed buffer, held by the node as a `let`, is written in place.
/// For plain values only (no references): they are never deinitialized.
final class PeerValues<Value> {
    private var base: UnsafeMutablePointer<Value>
    private(set) var count = 0

    init() {
        precondition(_isPOD(Value.self), "PeerValues holds plain values only")
        base = .allocate(capacity: 1)
    }
    deinit { base.deallocate() }

    /// `count` peers, each at `value`.
    func reset(count n: Int, to value: Value) {
        base.deallocate()
        base = .allocate(capacity: max(n, 1))
        base.initialize(repeating: value, count: n)
        count = n
    }

    subscript(j: Int) -> Value {
        @inline(__always) get {
            precondition(j >= 0 && j < count, "peer index out of range")
            return base[j]
        }
        @inline(__always) set {
            precondition(j >= 0 && j < count, "peer index out of range")
            base[j] = newValue
        }
    }
}

/// When each peer was last heard from.
typealias PeerTimes = PeerValues<SimTime>
