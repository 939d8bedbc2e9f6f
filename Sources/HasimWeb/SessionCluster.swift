import HasimKernel
import HasimNetwork

/// A session change sent to other members (DeltaRequest / a ReplicatedMap put).
struct SessionReplica: WireMessage {
    var session: Int64
    /// The sender waits for the answer (BackupManager's synchronous send).
    var wantsAck: Bool
    var seq: Int64
}
struct ReplicaAck: WireMessage { var seq: Int64 }
/// Tribes membership: each member says it is alive every 500 ms.
struct ClusterHeartbeat: WireMessage { var route: Int32 }

/// Tomcat's session cluster (SimpleTcpCluster over Tribes), as the cluster how-to sets it
/// up: a member is alive while its heartbeats arrive (McastService frequency 500 ms,
/// dropTime 3 s); a changed session goes at the end of its request to every other member
/// (DeltaManager, asynchronous: channelSendOptions 8) or to one backup member, chosen
/// round robin among the live ones, and the request waits for its ack (BackupManager,
/// mapSendOptions 6: synchronised ack), at most the sender's timeout (3 s).
final class SessionCluster: ConnectionDelegate {
    static let heartbeat = Time.ms(500)
    static let dropTime = Time.s(3)
    static let ackTimeout = Time.s(3)

    unowned let tomcat: Tomcat
    let mode: SessionReplication
    /// Peers' addresses, by route (this member's own entry unused).
    let peers: [IPAddress]
    private var outgoing: [Connection?]
    private var connecting: [Bool]
    private var lastHeard: [SimTime]
    private var nextBackup = 0
    private var nextSeq: Int64 = 0
    private var waitingAcks: [Int64: () -> Void] = [:]
    private(set) var messagesSent = 0

    init(tomcat: Tomcat, mode: SessionReplication, peers: [IPAddress]) {
        self.tomcat = tomcat
        self.mode = mode
        self.peers = peers
        outgoing = Array(repeating: nil, count: peers.count)
        connecting = Array(repeating: false, count: peers.count)
        lastHeard = Array(repeating: Int64.min / 2, count: peers.count)
    }

    private var me: Int { Int(tomcat.route) }
    private var sim: Simulation { tomcat.sim }

    /// The JVM started: listen, and join (heartbeats to every peer).
    func started() {
        tomcat.network.listen(tomcat.process, port: Tomcat.clusterPort, tomcat)
        tomcat.every(Self.heartbeat) { [weak self] in self?.beat() }
    }

    func crashed() {
        outgoing = Array(repeating: nil, count: peers.count)
        connecting = Array(repeating: false, count: peers.count)
        lastHeard = Array(repeating: Int64.min / 2, count: peers.count)
        waitingAcks.removeAll()
    }

    private func alive(_ i: Int) -> Bool { i != me && sim.now - lastHeard[i] <= Self.dropTime }

    private func beat() {
        for i in peers.indices where i != me {
            if let c = outgoing[i], c.isOpen(for: .client) {
                tomcat.network.send(ClusterHeartbeat(route: tomcat.route), on: c, from: .client)
            } else if !connecting[i] {
                connect(i)
            }
        }
    }

    private func connect(_ i: Int) {
        connecting[i] = true
        tomcat.network.connect(from: tomcat.process, to: peers[i], port: Tomcat.clusterPort, timeout: Self.dropTime,
                               delegate: self, completion: tomcat.inThisLife { [weak self] (result: Result<Connection, ConnectError>) in
            guard let self else { return }
            self.connecting[i] = false
            if case .success(let c) = result { self.outgoing[i] = c }
        })
    }

    /// Sends a changed session as the mode does, then runs `done` (the response goes out).
    func replicate(_ session: Int64, then done: @escaping () -> Void) {
        switch mode {
        case .none:
            done()
        case .delta:
            for i in peers.indices where alive(i) { send(i, SessionReplica(session: session, wantsAck: false, seq: 0)) }
            done()
        case .backup:
            let live = peers.indices.filter(alive)
            guard !live.isEmpty else { done(); return }
            let target = live[nextBackup % live.count]
            nextBackup += 1
            nextSeq += 1
            let seq = nextSeq
            waitingAcks[seq] = done
            send(target, SessionReplica(session: session, wantsAck: true, seq: seq))
            tomcat.after(Self.ackTimeout) { [weak self] in
                // No ack: the send fails, the request goes on without its backup.
                if let d = self?.waitingAcks.removeValue(forKey: seq) { d() }
            }
        }
    }

    private func send(_ i: Int, _ m: WireMessage) {
        guard let c = outgoing[i], tomcat.network.send(m, on: c, from: .client) else { return }
        messagesSent += 1
    }

    // Both ends of cluster connections come here: the replicas and heartbeats this member
    // receives (server side) and the acks of its own sends (client side).
    func received(_ message: WireMessage, on connection: Connection) {
        guard tomcat.isAlive else { return }
        if let h = message as? ClusterHeartbeat {
            lastHeard[Int(h.route)] = sim.now
        } else if let r = message as? SessionReplica {
            if mode == .delta { tomcat.sessions[r.session] = sim.now } else { tomcat.backups[r.session] = sim.now }
            if r.wantsAck { tomcat.network.send(ReplicaAck(seq: r.seq), on: connection, from: .server) }
        } else if let a = message as? ReplicaAck {
            if let d = waitingAcks.removeValue(forKey: a.seq) { d() }
        }
    }

    func closed(_ connection: Connection, reason: CloseReason) {
        for i in outgoing.indices where outgoing[i] === connection { outgoing[i] = nil }
    }
}
