import GRDB

/// The schema v2 measurement tables (group metrics, failed writes by code, commit
/// latency, time series, observed failovers, split-brain sides, divergence pairs,
/// errant transactions): written in the run's transaction, read back in written order.
extension ResultsStore {
    static let incidentColumns = """
        fault_index, kind, target, start_ns, first_failure_ns, recovered_ns, rto_ns,
        detected_ns, failover_start_ns, failover_end_ns, writer_changed_ns
        """

    static func incident(_ r: Row) -> IncidentRow {
        var i = IncidentRow(faultIndex: r[0], kind: r[1], target: r[2], start: r[3],
                            firstFailure: r[4], recovered: r[5], rto: r[6])
        i.detected = r[7]
        i.failoverStart = r[8]
        i.failoverEnd = r[9]
        i.writerChanged = r[10]
        return i
    }

    static func writeMeasurements(_ run: RunReport, id: Int64, db: Database) throws {
        let gm = try db.makeStatement(sql: """
            INSERT INTO group_metrics (run_id, group_index, client, name, value, unit) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for m in run.groupMetrics {
            try gm.execute(arguments: [id, m.group, m.client, m.name, m.value.isNaN ? nil : m.value, m.unit])
        }
        let fw = try db.makeStatement(sql: """
            INSERT INTO failed_writes (run_id, group_index, code, attempts, probes) VALUES (?, ?, ?, ?, ?)
            """)
        for f in run.failedWrites { try fw.execute(arguments: [id, f.group, f.code, f.attempts, f.probes]) }
        let lat = try db.makeStatement(sql: """
            INSERT INTO commit_latency (run_id, group_index, bucket_start_ns, count, p50_ns, p99_ns, p999_ns, max_ns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for l in run.latency {
            try lat.execute(arguments: [id, l.group, l.bucketStart, l.count, l.p50, l.p99, l.p999, l.max])
        }
        let se = try db.makeStatement(sql: "INSERT INTO series (run_id, t_ns, name, subject, value) VALUES (?, ?, ?, ?, ?)")
        for p in run.series {
            try se.execute(arguments: [id, p.time, p.name, p.subject, p.value.isNaN ? nil : p.value])
        }
        let fo = try db.makeStatement(sql: """
            INSERT INTO failovers (run_id, t_ns, address, from_servers, to_servers, is_false) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for f in run.failovers { try fo.execute(arguments: [id, f.time, f.address, f.from, f.to, f.isFalse]) }
        let sb = try db.makeStatement(sql: """
            INSERT INTO split_brain_sides (run_id, address, side, writes, at_risk) VALUES (?, ?, ?, ?, ?)
            """)
        for b in run.splitBrainSides { try sb.execute(arguments: [id, b.address, b.side, b.writes, b.atRisk]) }
        let dv = try db.makeStatement(sql: """
            INSERT INTO divergence (run_id, server_a, server_b, relation, row_count) VALUES (?, ?, ?, ?, ?)
            """)
        for d in run.divergence { try dv.execute(arguments: [id, d.serverA, d.serverB, d.relation, d.rows]) }
        let er = try db.makeStatement(sql: """
            INSERT INTO errant_transactions (run_id, server, reference, count) VALUES (?, ?, ?, ?)
            """)
        for e in run.errantTransactions { try er.execute(arguments: [id, e.server, e.reference, e.count]) }
        let hs = try db.makeStatement(sql: "INSERT INTO http_status (run_id, kind, status, count) VALUES (?, ?, ?, ?)")
        for h in run.httpStatus { try hs.execute(arguments: [id, h.kind, h.status, h.count]) }
        let l4 = try db.makeStatement(sql: """
            INSERT INTO l4_load (run_id, mode, bandwidth_bps, bytes_in, bytes_out, peak_utilisation, queue_delay_max_ns,
                                 drops, dropped_packets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for l in run.l4Load {
            try l4.execute(arguments: [id, l.mode, l.bandwidth, l.bytesIn, l.bytesOut, l.peakUtilisation, l.queueDelayMax,
                                       l.drops, l.droppedPackets])
        }
    }

    static func readMeasurements(_ report: inout RunReport, id: Int64, db: Database) throws {
        report.groupMetrics = try Row.fetchAll(db, sql: """
            SELECT group_index, client, name, value, unit FROM group_metrics WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in
            GroupMetricRow(group: r[0], client: r[1], name: r[2], value: (r[3] as Double?) ?? .nan, unit: r[4])
        }
        report.failedWrites = try Row.fetchAll(db, sql: """
            SELECT group_index, code, attempts, probes FROM failed_writes WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in FailedWritesRow(group: r[0], code: r[1], attempts: r[2], probes: r[3]) }
        report.latency = try Row.fetchAll(db, sql: """
            SELECT group_index, bucket_start_ns, count, p50_ns, p99_ns, p999_ns, max_ns
            FROM commit_latency WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in
            LatencyRow(group: r[0], bucketStart: r[1], count: r[2], p50: r[3], p99: r[4], p999: r[5], max: r[6])
        }
        report.series = try Row.fetchAll(db, sql: """
            SELECT t_ns, name, subject, value FROM series WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in
            SeriesRow(time: r[0], name: r[1], subject: r[2], value: (r[3] as Double?) ?? .nan)
        }
        report.failovers = try Row.fetchAll(db, sql: """
            SELECT t_ns, address, from_servers, to_servers, is_false FROM failovers WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in FailoverRow(time: r[0], address: r[1], from: r[2], to: r[3], isFalse: r[4]) }
        report.splitBrainSides = try Row.fetchAll(db, sql: """
            SELECT address, side, writes, at_risk FROM split_brain_sides WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in SplitBrainSideRow(address: r[0], side: r[1], writes: r[2], atRisk: r[3]) }
        report.divergence = try Row.fetchAll(db, sql: """
            SELECT server_a, server_b, relation, row_count FROM divergence WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in DivergenceRow(serverA: r[0], serverB: r[1], relation: r[2], rows: r[3]) }
        report.errantTransactions = try Row.fetchAll(db, sql: """
            SELECT server, reference, count FROM errant_transactions WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in ErrantRow(server: r[0], reference: r[1], count: r[2]) }
        report.httpStatus = try Row.fetchAll(db, sql: """
            SELECT kind, status, count FROM http_status WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in HTTPStatusRow(kind: r[0], status: r[1], count: r[2]) }
        report.l4Load = try Row.fetchAll(db, sql: """
            SELECT mode, bandwidth_bps, bytes_in, bytes_out, peak_utilisation, queue_delay_max_ns, drops, dropped_packets
            FROM l4_load WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in
            L4LoadRow(mode: r[0], bandwidth: r[1], bytesIn: r[2], bytesOut: r[3], peakUtilisation: r[4], queueDelayMax: r[5],
                      drops: r[6], droppedPackets: r[7])
        }
    }

    /// The resolved scenario (YAML) stored with a run; nil for a run written before
    /// schema v2.
    public func scenarioYAML(run id: Int64) throws -> String? {
        try dbQueue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT scenario_yaml FROM runs WHERE id = ?", arguments: [id])
            else { throw ResultsStoreError.noSuchRun(id) }
            return row[0] as String?
        }
    }
}
