import HasimKernel
import HasimNetwork

// The replica IO thread: connects to the source, requests the binlog dump,
// writes the relay log and ACKs semi-sync events.

extension MySQLServer {
    // MARK: replica threads

    public var replicaStatus: ReplicaStatus? {
        guard source != nil else { return nil }
        let behind: SimTime?
        if !sqlRunning || ioState != "Yes" {
            behind = nil
        } else if relayPos < relayLog.count {
            behind = max(0, sim.now - relayLog[relayPos].originalCommit)
        } else {
            behind = 0
        }
        return ReplicaStatus(ioRunning: ioState, sqlRunning: sqlRunning, source: source,
                             lastIOError: lastIOError, lastSQLError: lastSQLError,
                             retrieved: retrieved, executed: storage.gtidExecuted,
                             relayLogPending: relayLog.count - relayPos, secondsBehind: behind,
                             autoPosition: !config.replicatesByPosition,
                             readMasterLogPos: sourcePosition, execMasterLogPos: execPosition)
    }

    /// Transactions received but not yet applied.
    public var relayLogBacklog: Int { relayLog.count - relayPos }

    func clearRelayLog() {
        relayLog.removeAll()
        relayIndex.removeAll()
        lastReceivedGTID = nil
        relayPos = 0
        retrieved = GTIDSet()
        lastIOError = nil
        lastSQLError = nil
    }

    public func startReplicaThreads() { startReplica(.all) }

    public func stopReplicaThreads() { stopReplica(.all) }

    /// START SLAVE [IO_THREAD | SQL_THREAD].
    public func startReplica(_ which: ReplicaThreads) {
        guard state == .running, source != nil else { return }
        sim.record(name, .replicaStarted, "\(which.statement("START")) source \(source!)")
        if which != .io && !sqlRunning {
            sqlRunning = true
            lastSQLError = nil
            resetApplier()
            sqlWake()
        }
        if which != .sql && ioState == "No" {
            lastIOError = nil
            ioConnect()
        }
    }

    /// STOP SLAVE [IO_THREAD | SQL_THREAD].
    public func stopReplica(_ which: ReplicaThreads) {
        let sqlStops = which != .io && sqlRunning, ioStops = which != .sql && ioState != "No"
        if sqlStops || ioStops { sim.record(name, .replicaStopped, which.statement("STOP")) }
        if which != .io {
            sqlRunning = false
            resetApplier()
        }
        if which != .sql {
            ioGeneration += 1
            if let c = ioConnection { network.close(c, from: .client) }
            ioConnection = nil
            ioState = "No"
        }
    }

    func ioConnect() {
        guard let source, state == .running else { return }
        ioGeneration += 1
        let gen = ioGeneration
        ioState = "Connecting"
        let link = ReplicaLink(server: self, generation: gen)
        network.connect(from: process, to: source, port: config.port, timeout: config.slaveNetTimeout,
                        delegate: link) { [unowned(unsafe) self] result in
            guard gen == self.ioGeneration else { return }
            switch result {
            case .success(let c):
                self.ioConnection = c
                self.ioState = "Yes"
                self.ioLastReceive = self.sim.now
                self.sim.record(self.name, .replicationConnected, "to \(source)")
                self.network.send(BinlogDumpRequest(replicaServerID: self.config.serverID,
                                                    gtids: self.storage.gtidExecuted.union(self.retrieved),
                                                    position: self.sourcePosition,
                                                    mariadbGTID: self.config.mariadbGTID,
                                                    startAfter: self.mariadbStartPosition,
                                                    semiSync: self.config.semiSync.replicaEnabled),
                                  on: c, from: .client)
                self.armReadTimeout(gen)
            case .failure(let e):
                let err = MySQLError(code: 2003, message: "error connecting to master '\(source):\(self.config.port)' (\(e == .refused ? 111 : 110)) - retry-time: \(self.config.connectRetry / Time.second)")
                self.ioFailed(err, retryAfter: self.config.connectRetry)
            }
        }
    }

    func ioFailed(_ err: MySQLError, retryAfter: SimTime) {
        lastIOError = err
        ioState = "Connecting"
        ioConnection = nil
        sim.record(name, .replicationIOError, "\(err.code) \(err.message)")
        ioGeneration += 1
        let gen = ioGeneration
        afterRunnable(retryAfter) { [unowned(unsafe) self] in
            guard gen == self.ioGeneration else { return }
            self.ioConnect()
        }
    }

    /// slave_net_timeout: no event or heartbeat for this long means the source is gone.
    func armReadTimeout(_ gen: Int64) {
        let due = ioLastReceive + config.slaveNetTimeout
        atRunnable(due) { [unowned(unsafe) self] in
            guard gen == self.ioGeneration, self.ioState == "Yes" else { return }
            if self.sim.now - self.ioLastReceive >= self.config.slaveNetTimeout {
                if let c = self.ioConnection { self.network.close(c, from: .client) }
                self.lastIOError = MySQLError(code: 2013, message: "Lost connection to MySQL server during query (read timeout \(self.config.slaveNetTimeout / Time.second)s)")
                self.sim.record(self.name, .replicationIOError, "2013 read timeout; reconnecting")
                self.ioConnection = nil
                self.ioConnect()
            } else {
                self.armReadTimeout(gen)
            }
        }
    }

    /// A binlog event from the source (`ReplicaLink` rebuilt it from its message).
    func ioReceived(_ event: BinlogEvent, index: Int, needsAck: Bool, generation: Int64) {
        guard generation == ioGeneration else { return }
        ioLastReceive = sim.now
        let g = event.gtid
        if sourcePosition != nil { sourcePosition = index + 1 }
        // replicate_same_server_id=0 (the default): the IO thread drops an event that carries
        // this server's own server_id, so an old master re-attached by file and position
        // before its own events in the new source's binlog does not apply them again.
        // (With GTIDs the sets already exclude them.)
        let own = config.replicatesByPosition && g.origin == config.serverID
        if !own, !config.skipsByGTIDSet || (!retrieved.contains(g) && !storage.gtidExecuted.contains(g)) {
            relayLog.append(event)
            relayIndex.append(index)
            lastReceivedGTID = g
            noteReceived(sourceIndex: index)
            retrieved.insert(g)
            sqlWake()
        }
        // Semi-sync: ACK once the event is in the relay log (written and flushed).
        if needsAck && config.semiSync.replicaEnabled, let c = ioConnection {
            network.send(SemiSyncAck(replicaServerID: config.serverID, index: index), on: c, from: .client)
        }
    }

    /// Any other message from the source: a heartbeat (the read timeout's clock), the dump
    /// thread's refusal.
    func ioReceived(_ message: WireMessage, generation: Int64) {
        guard generation == ioGeneration else { return }
        ioLastReceive = sim.now
        if let e = message.as(BinlogDumpError.self) {
            ioFatal(MySQLError(code: 1236, message: "Got fatal error 1236 from master when reading data from binary log: '\(e.message)'"))
        }
    }

    /// A fatal IO error: the IO thread stops (Slave_IO_Running: No); the SQL thread goes on
    /// with what the relay log holds. Nothing retries until START SLAVE.
    func ioFatal(_ err: MySQLError) {
        lastIOError = err
        ioGeneration += 1
        if let c = ioConnection { network.close(c, from: .client) }
        ioConnection = nil
        ioState = "No"
        replicationFailures.append(ReplicationFailure(time: sim.now, thread: "io", error: err, gtid: nil))
        sim.record(name, .replicationError, "Slave I/O thread stopped: \(err.message), Error_code: \(err.code)")
    }

    func ioClosed(generation: Int64) {
        guard generation == ioGeneration, state == .running else { return }
        // The source's kernel answered RST/FIN: noticed at once, reconnect now.
        let err = MySQLError(code: 2013, message: "Lost connection to MySQL server during query")
        lastIOError = err
        sim.record(name, .replicationIOError, "2013 connection to source lost; reconnecting")
        ioConnection = nil
        ioConnect()
    }
}


/// The IO thread's end of the replication connection.
final class ReplicaLink: ConnectionDelegate {
    /// unowned(unsafe): a weak reference gives the server a side table, and then every retain and
    /// release of the server (several per commit) takes the runtime's slow path. The server
    /// outlives its links (both live until Simulation.close, after which nothing is delivered).
    unowned(unsafe) let server: MySQLServer
    /// The same server lent at +0 for each event received (through `server` the call was a
    /// retain and a release of the server per event).
    private let serverRef: Unmanaged<MySQLServer>
    let generation: Int64
    init(server: MySQLServer, generation: Int64) {
        self.server = server
        serverRef = Unmanaged.passUnretained(server)
        self.generation = generation
    }
    /// The events received on this connection, as far as the next message needs (`BinlogStream`):
    /// decoded here, before the server's checks, so that no message is missed.
    private var stream = BinlogStream()

    func received(_ message: WireMessage, on connection: Connection) {
        let generation = generation
        // The common message first (WireMessage.as: one metadata comparison each).
        if let m = message.as(BinlogEventMessage.self) {
            let (e, index, needsAck) = stream.decode(m)
            serverRef._withUnsafeGuaranteedRef { $0.ioReceived(e, index: index, needsAck: needsAck, generation: generation) }
        } else if let m = message.as(BinlogEventWhole.self) {
            stream.note(m.event, index: m.index)
            serverRef._withUnsafeGuaranteedRef {
                $0.ioReceived(m.event, index: m.index, needsAck: m.needsAck, generation: generation)
            }
        } else {
            serverRef._withUnsafeGuaranteedRef { $0.ioReceived(message, generation: generation) }
        }
    }
    func closed(_ connection: Connection, reason: CloseReason) {
        server.ioClosed(generation: generation)
    }
}
