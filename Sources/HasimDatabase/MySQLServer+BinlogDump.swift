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

    /// Where `gtid` is in this binlog (searched from the end: a replica asks for a recent one).
    func binlogIndex(of gtid: GTID) -> Int? {
        var i = storage.binlog.count - 1
        while i >= storage.binlogPurged {
            if storage.binlog[i].gtid == gtid { return i }
            i -= 1
        }
        return nil
    }

    /// MariaDB: the GTID a replica asks to start after. A reconnect resumes after what the
    /// relay log holds; a fresh start uses gtid_slave_pos, or with current_pos the later of it
    /// and this server's own last binlogged transaction.
    var mariadbStartPosition: GTID? {
        guard config.mariadbGTID else { return nil }
        if let g = lastReceivedGTID { return g }
        guard config.masterUseGTID == .currentPos else { return slavePos }
        let ownSeq = storage.gtidExecuted.highest(of: config.serverID)
        let own: GTID? = ownSeq > 0 ? GTID(origin: config.serverID, seq: ownSeq) : nil
        switch (slavePos, own) {
        case (let s?, let o?): return o.seq > s.seq ? o : s
        case (let s, let o): return s ?? o
        }
    }

    /// Why the dump thread refuses a COM_BINLOG_DUMP(_GTID) at its start, in MySQL 8.0's
    /// words (rpl_binlog_sender.cc check_start_file / the GTID checks), or nil.
    func dumpRefusal(_ d: BinlogDumpRequest) -> String? {
        if d.mariadbGTID {
            // MariaDB (sql_repl.cc, ER_GTID_POSITION_NOT_FOUND_IN_BINLOG / ...2): the GTID the
            // replica starts after must be in this binlog.
            guard let g = d.startAfter else { return nil }
            if binlogIndex(of: g) != nil { return nil }
            let text = "Error: connecting slave requested to start from GTID 0-\(g.origin)-\(g.seq), which is not in the master's binlog"
            if storage.gtidExecuted.highestSeq > g.seq {
                return text + ". Since the master's binlog contains GTIDs with higher sequence numbers, it probably means that the slave has diverged due to executing extra erroneous transactions"
            }
            return text
        }
        if let position = d.position {
            if position > storage.binlog.count {
                return "Client requested master to start replication from position > file size"
            }
            if position < storage.binlogPurged {
                return "Could not find first log file name in binary log index file"
            }
            return nil
        }
        // The replica has transactions of this server that this server no longer has: its binlog
        // tail was lost (sync_binlog != 1 and a power loss).
        if d.gtids.missing(from: storage.gtidExecuted, origin: config.serverID) > 0 {
            return "Slave has more GTIDs than the master has, using the master's SERVER_UUID. This may indicate that the end of the binary log was truncated or that the last binary log file was lost, e.g., after a power or disk failure when sync_binlog != 1. The master may or may not have rolled back transactions that were already replicated to the slave. Suggest to replicate any transactions that master has rolled back from slave to master, and/or commit empty transactions on master to account for transactions that have been committed on master but are not included in GTID_EXECUTED."
        }
        if storage.binlogPurged > 0 && storage.binlog[..<storage.binlogPurged].contains(where: { !d.gtids.contains($0.gtid) }) {
            return "The slave is connecting using CHANGE MASTER TO MASTER_AUTO_POSITION = 1, but the master has purged binary logs containing GTIDs that the slave requires."
        }
        return nil
    }
}


/// A client connection on the server: runs queries, or, after COM_BINLOG_DUMP,
/// becomes the binlog dump thread that streams events to a replica.
final class Session: ConnectionDelegate {
    // unowned(unsafe): read for every message; a checked `unowned` costs a strong retain and
    // release per read (swift_unownedRetainStrong). The server outlives its sessions: both live until
    // Simulation.close, after which no message is delivered.
    unowned(unsafe) let server: MySQLServer
    /// The same server, lent at +0 to the dump thread's loop (`pump`): each read of the
    /// unowned(unsafe) `server` there, and of its network and clock through it, was a retain and
    /// a release (about six per event sent).
    private let serverRef: Unmanaged<MySQLServer>
    let connection: Connection
    private(set) var isDump = false
    private(set) var isSemiSync = false
    var replicaID: UInt32 = 0
    var dumpPosition = 0
    var replicaHas = GTIDSet()
    var lastSent: SimTime = 0
    var heartbeatArmed = false
    /// The events sent on this connection, as far as the next message needs (`BinlogStream`).
    private var stream = BinlogStream()

    init(server: MySQLServer, connection: Connection) {
        self.server = server
        serverRef = Unmanaged.passUnretained(server)
        self.connection = connection
    }

    func received(_ message: WireMessage, on connection: Connection) {
        if let q = message.as(QueryMessage.self) {
            if let w = q.packedWrite {
                // The server lent at +0 (see `serverRef`): read through the unowned(unsafe)
                // reference, each use in the inlined write path was a retain and a release.
                serverRef._withUnsafeGuaranteedRef {
                    $0.executeWrite(table: w.table, isUpdate: w.isUpdate, key: w.key, txid: w.txid, id: q.id, from: self)
                }
            } else {
                server.execute(q.query, id: q.id, from: self)
            }
        } else if let ack = message.as(SemiSyncAck.self) {
            server.semiSyncAck(replica: ack.replicaServerID, index: ack.index)
        } else if let d = message.as(BinlogDumpRequest.self) {
            isDump = true
            server.refreshDumpSessions()
            if let refusal = server.dumpRefusal(d) {
                server.network.send(BinlogDumpError(message: refusal), on: connection, from: .server)
                server.network.close(connection, from: .server)
                server.sessionClosed(self)
                return
            }
            isSemiSync = d.semiSync
            stream = BinlogStream()
            replicaID = d.replicaServerID
            // GTID auto-position sends what the replica lacks; file/position starts at the position.
            replicaHas = d.position == nil && !d.mariadbGTID ? d.gtids : GTIDSet()
            let start = d.mariadbGTID ? d.startAfter.flatMap(server.binlogIndex).map { $0 + 1 } : d.position
            dumpPosition = max(start ?? 0, server.storage.binlogPurged)
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
        serverRef._withUnsafeGuaranteedRef { server in
            // What the replica holds is skipped without reading it (the same events as the loop's
            // check, found by GTID runs): a new source's binary log is a failover's whole history.
            dumpPosition = server.storage.binlog.skipPacked(heldIn: replicaHas, from: dumpPosition)
            while let e = server.binlogEvent(at: dumpPosition) {
                let index = dumpPosition
                dumpPosition += 1
                if replicaHas.contains(e.gtid) { continue }
                let needsAck = isSemiSync && server.wantsAck(index: index)
                if let m = stream.encode(e, index: index, needsAck: needsAck) {
                    server.network.send(m, on: connection, from: .server)
                } else {
                    stream.note(e, index: index)
                    server.network.send(BinlogEventWhole(event: e, index: index, needsAck: needsAck),
                                        on: connection, from: .server)
                }
                lastSent = server.sim.now
            }
        }
    }

    /// MASTER_HEARTBEAT_PERIOD: when idle, tell the replica we are alive.
    func armHeartbeat() {
        let period = server.heartbeatPeriod
        guard period > 0 else { return }
        // Held strongly: a closed session may be dropped by its server before this fires (it then
        // finds its connection closed); a weak capture would give every session a side table and
        // make each of its retains and releases the runtime's slow path.
        server.atRunnable(lastSent + period) { [self] in
            guard self.connection.isOpen, self.server.state == .running else { return }
            if self.server.sim.now - self.lastSent >= period {
                self.server.network.send(HeartbeatMessage(), on: self.connection, from: .server)
                self.lastSent = self.server.sim.now
            }
            self.armHeartbeat()
        }
    }
}
