import GRDB

/// Failed probe writes of one error code in one time bucket.
public struct ProbeErrorBucket: Sendable, Equatable {
    public var start: Int64
    /// MySQL error code; 0: no application thread took the write; -1: no answer within
    /// the probe timeout (the probe has no error code).
    public var code: Int
    public var count: Int
}

/// Reads for the report's charts over time: the stored series, the per-bucket commit
/// latency of every group, and failed probe writes by error code. Each reads one run's
/// rows only, so a report on hundreds of runs loads just the runs it draws.
extension ResultsStore {
    /// The run's `series` rows (throughput, lag_transactions, lag_seconds) in time order.
    public func series(run id: Int64) throws -> [SeriesRow] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t_ns, name, subject, value FROM series WHERE run_id = ? ORDER BY t_ns, rowid
                """, arguments: [id]).map { r in
                SeriesRow(time: r[0], name: r[1], subject: r[2], value: (r[3] as Double?) ?? .nan)
            }
        }
    }

    /// Commit latency per time bucket over every group (`group_index IS NULL`), in time
    /// order. A bucket in which no write was acknowledged has no row.
    public func latencyBuckets(run id: Int64) throws -> [LatencyRow] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT group_index, bucket_start_ns, count, p50_ns, p99_ns, p999_ns, max_ns FROM commit_latency
                WHERE run_id = ? AND group_index IS NULL AND bucket_start_ns IS NOT NULL ORDER BY bucket_start_ns
                """, arguments: [id]).map { r in
                LatencyRow(group: r[0], bucketStart: r[1], count: r[2], p50: r[3], p99: r[4], p999: r[5], max: r[6])
            }
        }
    }

    /// Failed probe writes counted per bucket of `width` ns (by issue time) and error code,
    /// in time then code order.
    public func probeErrorBuckets(run id: Int64, width: Int64) throws -> [ProbeErrorBucket] {
        precondition(width > 0, "bucket width must be positive")
        return try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t_ns / ? AS b, COALESCE(error, -1) AS code, COUNT(*) FROM probes
                WHERE run_id = ? AND ok = 0 GROUP BY b, code ORDER BY b, code
                """, arguments: [width, id]).map { r in
                ProbeErrorBucket(start: (r[0] as Int64) * width, code: r[1], count: r[2])
            }
        }
    }
}
