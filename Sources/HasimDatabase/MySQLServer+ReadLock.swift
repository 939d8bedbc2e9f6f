import HasimKernel
import HasimNetwork

// FLUSH TABLES WITH READ LOCK / LOCK TABLES ... READ on a plain mysqld (a backup tool, a DBA's
// consistent snapshot, a forgotten session). A write waits for the lock (MDL) - it does not
// fail - until UNLOCK TABLES or lock_wait_timeout, then fails with 1205. Reads and SELECT 1
// answer as usual, so a health check that only reads or pings misses it (MHA's ping_type=
// INSERT writes and catches it). On a replica the applier waits too: the lag grows.
// (MySQL sql/lock.cc Global_read_lock, sql/mdl.cc; lock_wait_timeout: MySQL 8.0 default
// 31536000 s, MariaDB 10.11 86400 s - the servers' system-variable references.)

extension MySQLServer {
    struct LockWaiter {
        var session: Session
        var queryID: Int64
        var query: Query
        var serial: Int64
    }

    /// lock_wait_timeout as configured, or the flavour's default.
    var effectiveLockWaitTimeout: SimTime {
        config.lockWaitTimeout ?? (config.flavor == .mariadb ? Time.s(86_400) : Time.s(31_536_000))
    }

    /// FLUSH TABLES [t] WITH READ LOCK: from now on writes and the replica's applier wait.
    /// (The model has one table, so a table lock and a global one block the same writes.)
    public func flushTablesWithReadLock(global: Bool) {
        guard state == .running, !readLocked else { return }
        readLocked = true
        sim.record(name, .readLock, global ? "FLUSH TABLES WITH READ LOCK" : "FLUSH TABLES t WITH READ LOCK")
    }

    /// UNLOCK TABLES: the waiting statements run, in the order they came, and the applier goes on.
    public func unlockTables() {
        guard readLocked else { return }
        readLocked = false
        sim.record(name, .readLock, "UNLOCK TABLES")
        let waiting = lockWaiters
        lockWaiters.removeAll()
        guard state == .running else { return }
        // A client that gave up meanwhile closed its connection: its statement was aborted.
        for w in waiting where w.session.connection.isOpen(for: .server) { execute(w.query, id: w.queryID, from: w.session) }
        if !diskStalled { releaseStalledApplies() }
    }

    /// A write that found the read lock: it waits for UNLOCK TABLES or lock_wait_timeout.
    func waitForReadLock(_ query: Query, id: Int64, from s: Session) {
        lockWaitSerial += 1
        lockWaiters.append(LockWaiter(session: s, queryID: id, query: query, serial: lockWaitSerial))
        sim.schedule(after: effectiveLockWaitTimeout, handler, tag: Tag.lockWaitTimeout.rawValue,
                     arg: ((life & 0x7FFF_FFFF) << 32) | (lockWaitSerial & 0xFFFF_FFFF))
    }

    /// lock_wait_timeout ran out for one waiting statement: ER_LOCK_WAIT_TIMEOUT.
    func lockWaitTimedOut(serial: Int64) {
        guard let i = lockWaiters.firstIndex(where: { $0.serial & 0xFFFF_FFFF == serial }) else { return }
        let w = lockWaiters.remove(at: i)
        reply(w.session, w.queryID, .error(.lockWaitTimeout))
    }

    /// The replica applier's transactions that were held by a stalled disk or a read lock.
    func releaseStalledApplies() {
        let applied = stalledApplies
        stalledApplies.removeAll()
        if state == .running { for arg in applied { sqlApplied(arg) } }
    }
}

extension TraceKind {
    public static let readLock = TraceKind("read_lock")
}
