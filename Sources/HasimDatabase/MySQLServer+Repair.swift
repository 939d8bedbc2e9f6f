import HasimKernel

// What a DBA or a tool's online switch does by hand on one server: take and release the
// global read lock from its own session, and skip the event a stopped SQL thread failed on.

extension TraceKind {
    /// A replica's failing event was skipped by hand (its row change is not applied).
    public static let eventSkipped = TraceKind("event_skipped")
}

extension MySQLServer {
    func executeAdministrative(_ query: Query, id: Int64, from s: Session) {
        switch query {
        case .flushTablesWithReadLock:
            flushTablesWithReadLock(global: true)
        case .unlockTables:
            unlockTables()
        case .skipReplicaEvent:
            // ER_SLAVE_SQL_THREAD_MUST_STOP-like: the skip needs the SQL thread stopped.
            if sqlRunning { reply(s, id, .error(.replicaRunning)); return }
            skipFailedEvent()
        default:
            break
        }
        reply(s, id, .ok(affected: 0, insertID: nil))
    }

    /// The event at the head of the relay log is the one the SQL thread stopped on. MySQL with
    /// gtid_mode=ON refuses sql_slave_skip_counter: the DBA commits an empty transaction with its
    /// GTID, so the restarted SQL thread skips it as already executed. Otherwise
    /// sql_slave_skip_counter=1 moves the SQL thread's position past it (MariaDB also records it
    /// in gtid_slave_pos). Either way its row change is never applied here: the replica now
    /// differs from its source by that row, which is the price of the repair.
    func skipFailedEvent() {
        guard relayPos < relayLog.count else { return }
        let event = relayLog[relayPos]
        if config.skipsByGTIDSet {
            storage.markExecuted(event.gtid)
            sim.record(name, .eventSkipped, "SET GTID_NEXT='\(event.gtid)'; BEGIN; COMMIT; SET GTID_NEXT='AUTOMATIC'")
            return
        }
        if relayPos < relayIndex.count { noteExecuted(sourceIndex: relayIndex[relayPos]) }
        relayPos += 1
        if config.mariadbGTID { slavePos = event.gtid }
        sim.record(name, .eventSkipped, "SET GLOBAL sql_slave_skip_counter=1 (event \(event.gtid))")
    }
}
