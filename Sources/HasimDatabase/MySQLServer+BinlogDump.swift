import HasimKernel
import HasimNetwork

// The source side of replication: a session that sent COM_BINLOG_DUMP becomes
// the binlog dump thread streaming events (and heartbeats) to one replica.

extension MySQLServer {
    // MARK: dump threads (source side)

    func binlogEvent(at index: Int) -> BinlogEvent? {
        index < storage.binlog.count ? storage.binlog[index] : nil
    }
    var binlogCount: Int { storage.binlog.count }
    var heartbeatPeriod: SimTime { config.heartbeatPeriod }
}


/// A client connection on the server: runs queries, or, after COM_BINLOG_DUMP,
/// becomes the binlog dump thread that streams events to a replica.
final class Session: ConnectionDelegate {
    unowned let server: MySQLServer
    let connection: Connection
    private(set) var isDump = false
    private(set) var isSemiSync = false
    var replicaID: UInt32 = 0
    var dumpPosition = 0
    var replicaHas = GTIDSet()
    var lastSent: SimTime = 0
    var heartbeatArmed = false

    init(server: MySQLServer, connection: Connection) {
        self.server = server
        self.connection = connection
    }

    func received(_ message: WireMessage, on connection: Connection) {
        if let q = message as? QueryMessage {
            server.execute(q.query, id: q.id, from: self)
        } else if let ack = message as? SemiSyncAck {
            server.semiSyncAck(replica: ack.replicaServerID, index: ack.index)
        } else if let d = message as? BinlogDumpRequest {
            isDump = true
            isSemiSync = d.semiSync
            replicaID = d.replicaServerID
            // GTID auto-position sends what the replica lacks; file/position starts at the position.
            replicaHas = d.position == nil ? d.gtids : GTIDSet()
            dumpPosition = d.position ?? 0
            lastSent = server.sim.now
            pump()
            armHeartbeat()
        }
    }

    func closed(_ connection: Connection, reason: CloseReason) {
        server.sessionClosed(self)
    }

    /// Sends every binlog event the replica lacks, in binlog order.
    func pump() {
        guard connection.isOpen else { return }
        while let e = server.binlogEvent(at: dumpPosition) {
            let index = dumpPosition
            dumpPosition += 1
            if replicaHas.contains(e.gtid) { continue }
            server.network.send(BinlogEventMessage(event: e, index: index, needsAck: isSemiSync && server.wantsAck(index: index)),
                                on: connection, from: .server)
            lastSent = server.sim.now
        }
    }

    /// MASTER_HEARTBEAT_PERIOD: when idle, tell the replica we are alive.
    func armHeartbeat() {
        let period = server.heartbeatPeriod
        guard period > 0 else { return }
        server.sim.at(lastSent + period) { [weak self] in
            guard let self, self.connection.isOpen, self.server.state == .running else { return }
            if self.server.sim.now - self.lastSent >= period {
                self.server.network.send(HeartbeatMessage(), on: self.connection, from: .server)
                self.lastSent = self.server.sim.now
            }
            self.armHeartbeat()
        }
    }
}
