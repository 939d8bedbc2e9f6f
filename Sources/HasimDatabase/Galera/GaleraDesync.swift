import HasimKernel
import HasimNetwork

/// Read locks and desync (wsrep_desync). `FLUSH TABLES t WITH READ LOCK` makes the appliers
/// wait for the table: the node stays Synced, its receive queue grows and it sends FC_PAUSE, so
/// the whole cluster stops. A *global* `FLUSH TABLES WITH READ LOCK` first desyncs the node
/// (MariaDB sql/wsrep_mysqld.cc wsrep_to_isolation / sql_parse.cc: FTWRL calls
/// wsrep_desync, the node is "Donor/Desynced"), and a desynced node sends no flow control
/// (galera gcs/src/gcs.cpp: flow control is only checked in SYNCED and JOINED states; desync
/// releases a pause it had sent): the others go on committing while its queue grows. The same
/// exemption covers `SET GLOBAL wsrep_desync=ON` and a donor during SST.
extension GaleraNode {
    /// FLUSH TABLES [t] WITH READ LOCK: local writes and the appliers wait until UNLOCK TABLES.
    public func flushTablesWithReadLock(global: Bool) {
        guard state != .down, !readLocked else { return }
        readLocked = true
        donorLocks += 1
        if global { setDesync(true) }
        sim.record(name, .galeraState, global ? "FLUSH TABLES WITH READ LOCK (desynced)" : "FLUSH TABLES t WITH READ LOCK")
    }

    /// UNLOCK TABLES: the appliers resume; a node desynced by the lock resyncs.
    public func unlockTables() {
        guard state != .down, readLocked else { return }
        readLocked = false
        sim.record(name, .galeraState, "UNLOCK TABLES")
        if desynced { setDesync(false) }
        donorLocks -= 1
        if donorLocks == 0 { releaseLockedWrites() }
        if !committing { resumeCommits() }
    }

    /// SET GLOBAL wsrep_desync=ON/OFF.
    public func setDesync(_ on: Bool) {
        guard state != .down, on != desynced else { return }
        desynced = on
        if on {
            if state == .synced || state == .joined { setState(.donor) }
            // A desynced node takes back the pause it asked for.
            if fcSent {
                fcSent = false
                let m = GFlow(from: index, pause: false)
                for j in view { send(m, to: j) }
            }
        } else if state == .donor && !donating {
            // Back to Joined: it catches up with its queue under its own flow-control offset.
            setState(.joined)
            fcOffset = applyQueueLength
            joinedAt = lastSeqno
            committed()
        }
    }

    func releaseLockedWrites() {
        let w = lockedWrites
        lockedWrites.removeAll()
        for (q, id, s) in w { submit(q, id: id, from: s, retries: 0) }
    }
}

/// SIGSTOP / SIGCONT of mysqld (see HasimNetwork/ProcessPause.swift): its timers, CPU bursts
/// and received messages wait for SIGCONT; peers see a member that says nothing.
extension GaleraNode {
    public func pause() { if state != .down { network.pauseProcess(process, as: name) } }
    public func resume() { network.resumeProcess(process, as: name) }
    func afterRunnable(_ delay: SimTime, _ body: @escaping () -> Void) { network.timer(of: process, after: delay, body) }
}
