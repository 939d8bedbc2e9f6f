import Foundation
import GRDB

/// A run as listed by `ResultsStore.runs()`, without its child rows.
public struct StoredRun: Sendable, Equatable {
    public var id: Int64
    public var scenarioName: String
    public var scenarioFile: String
    public var strategy: String
    public var seed: UInt64
    /// "complete" for runs written by `ResultsStore.write`; a streaming writer may
    /// leave "running" behind if it is interrupted.
    public var status: String
    /// The `invocations` row of the command that wrote the run.
    public var invocation: Int64

    public init(id: Int64, scenarioName: String, scenarioFile: String, strategy: String,
                seed: UInt64, status: String, invocation: Int64) {
        self.id = id
        self.scenarioName = scenarioName
        self.scenarioFile = scenarioFile
        self.strategy = strategy
        self.seed = seed
        self.status = status
        self.invocation = invocation
    }
}

public enum ResultsStoreError: Error, Equatable, CustomStringConvertible {
    /// The database was written by a newer hasim (higher schema version, or
    /// migrations this build does not know).
    case newerSchema(path: String, found: Int, supported: Int)
    /// No run with this id.
    case noSuchRun(Int64)
    /// The path is empty.
    case emptyPath
    /// The file exists but is not an SQLite database (SQLite's error 26).
    case notSQLite(path: String)
    /// An SQLite database of another application: hasim never adds its tables to it.
    case notHasimDatabase(path: String, tables: [String])

    public var description: String {
        switch self {
        case let .newerSchema(path, found, supported):
            return "results database \(path) has schema version \(found), newer than the version this "
                + "hasim supports (\(supported)); use a newer hasim or write to another database"
        case let .noSuchRun(id):
            return "no run with id \(id) in the results database"
        case .emptyPath:
            return "the results database path is empty; give a file such as results/run.sqlite"
        case let .notSQLite(path):
            return "\(path) is not an SQLite database; give a new file or a results database written by hasim"
        case let .notHasimDatabase(path, tables):
            let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", ..." : "")
            return "\(path) is an SQLite database of another application (tables: \(shown)); "
                + "hasim writes only to its own results databases: give another file"
        }
    }
}

/// The results database (SQLite through GRDB). See `Schema` for the tables.
///
/// All writes of one run happen in one transaction: a failed or interrupted
/// `write` leaves no trace of that run.
public final class ResultsStore: Sendable {
    public static let schemaVersion: Int = Schema.version

    public let path: String
    let dbQueue: DatabaseQueue

    /// Opens the database at `path`, creating it and its parent folder if needed,
    /// and migrates it to `schemaVersion`. Throws `ResultsStoreError.newerSchema`
    /// (without touching the file) if it was written by a newer hasim.
    public init(path: String) throws {
        guard !path.isEmpty else { throw ResultsStoreError.emptyPath }
        self.path = path
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)

        var config = Configuration()
        config.foreignKeysEnabled = true
        config.label = "hasim.results"
        // Two hasim processes may write one database: the second waits for the first's
        // transaction (one run) instead of failing at once with "database is locked".
        config.busyMode = .timeout(60)
        do {
            self.dbQueue = try Self.open(path: path, configuration: config)
        } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB {
            throw ResultsStoreError.notSQLite(path: path)
        }
    }

    private static func open(path: String, configuration config: Configuration) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: path, configuration: config)

        let migrator = Schema.migrator
        let (found, superseded, foreign) = try queue.read { db -> (Int?, Bool, [String]) in
            var found: Int?
            if try db.tableExists("schema_info") {
                found = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM schema_info")
            }
            // Tables of another application, in a file that hasim never initialised.
            let tables = found == nil
                ? try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations' ORDER BY name")
                : []
            return (found, try migrator.hasBeenSuperseded(db), tables)
        }
        if !foreign.isEmpty {
            try? queue.close()
            throw ResultsStoreError.notHasimDatabase(path: path, tables: foreign)
        }
        if let found, found > Schema.version {
            try? queue.close()
            throw ResultsStoreError.newerSchema(path: path, found: found, supported: Schema.version)
        }
        if superseded {
            try? queue.close()
            throw ResultsStoreError.newerSchema(path: path, found: found ?? Schema.version + 1,
                                                supported: Schema.version)
        }
        // Write-ahead log (set only on hasim's own databases, after the checks above): readers
        // (hasim report) never block a writer, and each run's transaction is durable once
        // committed, whatever happens to the process next.
        try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        try migrator.migrate(queue)
        return queue
    }

    /// Closes the database (also done on deinit). The store is unusable afterwards.
    public func close() throws {
        try dbQueue.close()
    }

    // MARK: - Writing

    /// Records one hasim command; runs it writes point at the returned id.
    /// With `plannedRuns`, the invocation is 'running' until `finishInvocation`: a command
    /// that writes its runs as they finish and is interrupted stays visibly incomplete.
    public func beginInvocation(command: String, arguments: [String], hasimVersion: String,
                                plannedRuns: Int? = nil) throws -> Int64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(arguments), as: UTF8.self)
        return try dbQueue.write { db in
            try db.execute(
                sql: "INSERT INTO invocations (command, arguments_json, hasim_version, status, runs_planned) VALUES (?, ?, ?, ?, ?)",
                arguments: [command, json, hasimVersion, plannedRuns == nil ? "complete" : "running", plannedRuns])
            return db.lastInsertedRowID
        }
    }

    /// Marks an invocation complete: every run it planned was written.
    public func finishInvocation(_ id: Int64) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE invocations SET status = 'complete' WHERE id = ?", arguments: [id])
        }
    }

    /// An invocation that did not complete (interrupted, or a write failed).
    public struct IncompleteInvocation: Sendable, Equatable {
        public var id: Int64
        public var command: String
        public var planned: Int?
        public var written: Int
    }

    /// Invocations still marked 'running', with how many of their runs were written.
    public func incompleteInvocations() throws -> [IncompleteInvocation] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.id, i.command, i.runs_planned,
                       (SELECT COUNT(*) FROM runs r WHERE r.invocation_id = i.id AND r.status = 'complete')
                FROM invocations i WHERE i.status <> 'complete' ORDER BY i.id
                """).map { IncompleteInvocation(id: $0[0], command: $0[1], planned: $0[2], written: $0[3]) }
        }
    }

    /// Writes the run with status 'complete' and all its child rows in one
    /// transaction, and returns the run id.
    public func write(_ run: RunReport, invocation: Int64) throws -> Int64 {
        try write(run, invocation: invocation, afterTable: { _ in })
    }

    /// `afterTable` is called inside the transaction after the rows of each table
    /// are inserted (with the table name); tests throw from it to interrupt a write.
    func write(_ run: RunReport, invocation: Int64,
               afterTable: (String) throws -> Void) throws -> Int64 {
        try dbQueue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (invocation_id, scenario_name, scenario_file, strategy, seed,
                                      duration_ns, parameters_json, hasim_version, status, scenario_yaml)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'complete', ?)
                    """,
                arguments: [invocation, run.scenarioName, run.scenarioFile, run.strategy,
                            Int64(bitPattern: run.seed), run.duration, run.parametersJSON,
                            run.hasimVersion, run.scenarioYAML.isEmpty ? nil : run.scenarioYAML])
            let id = db.lastInsertedRowID
            try afterTable("runs")

            let metric = try db.makeStatement(
                sql: "INSERT INTO metrics (run_id, name, value, unit) VALUES (?, ?, ?, ?)")
            for m in run.metrics {
                try metric.execute(arguments: [id, m.name, m.value.isNaN ? nil : m.value, m.unit])
            }
            try afterTable("metrics")

            let incident = try db.makeStatement(sql: """
                INSERT INTO incidents (run_id, fault_index, kind, target, start_ns,
                                       first_failure_ns, recovered_ns, rto_ns,
                                       detected_ns, failover_start_ns, failover_end_ns, writer_changed_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for i in run.incidents {
                try incident.execute(arguments: [id, i.faultIndex, i.kind, i.target, i.start,
                                                 i.firstFailure, i.recovered, i.rto,
                                                 i.detected, i.failoverStart, i.failoverEnd, i.writerChanged])
            }
            try afterTable("incidents")

            let event = try db.makeStatement(
                sql: "INSERT INTO timeline (run_id, seq, t_ns, node, kind, detail) VALUES (?, ?, ?, ?, ?, ?)")
            for (seq, e) in run.timeline.enumerated() {
                try event.execute(arguments: [id, seq, e.time, e.node, e.kind, e.detail])
            }
            try afterTable("timeline")

            let lost = try db.makeStatement(sql: """
                INSERT INTO lost_transactions (run_id, txid, kind, table_name, row_key, acked_at_ns, acked_by)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for l in run.lostTransactions {
                try lost.execute(arguments: [id, l.txid, l.kind, l.table, l.key, l.ackedAt, l.ackedBy])
            }
            try afterTable("lost_transactions")

            let replError = try db.makeStatement(sql: """
                INSERT INTO replication_errors (run_id, t_ns, node, thread, code, message)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            for e in run.replicationErrors {
                try replError.execute(arguments: [id, e.time, e.node, e.thread, e.code, e.message])
            }
            try afterTable("replication_errors")

            let probe = try db.makeStatement(
                sql: "INSERT INTO probes (run_id, t_ns, ok, latency_ns, error, group_index) VALUES (?, ?, ?, ?, ?, ?)")
            for p in run.probes {
                try probe.execute(arguments: [id, p.time, p.ok, p.latency, p.error, p.group])
            }
            try afterTable("probes")
            try Self.writeMeasurements(run, id: id, db: db)
            try afterTable("measurements")
            return id
        }
    }

    // MARK: - Reading

    /// Runs in id order; only complete runs unless `includeIncomplete`.
    public func runs(includeIncomplete: Bool = false) throws -> [StoredRun] {
        try dbQueue.read { db in
            let filter = includeIncomplete ? "" : "WHERE status = 'complete'"
            return try Row.fetchAll(db, sql: """
                SELECT id, scenario_name, scenario_file, strategy, seed, status, invocation_id
                FROM runs \(filter) ORDER BY id
                """).map { row in
                StoredRun(id: row[0], scenarioName: row[1], scenarioFile: row[2], strategy: row[3],
                          seed: UInt64(bitPattern: row[4] as Int64), status: row[5], invocation: row[6])
            }
        }
    }

    /// The run and all its child rows, in the order they were written.
    public func report(run id: Int64) throws -> RunReport {
        try dbQueue.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT scenario_name, scenario_file, strategy, seed, duration_ns, parameters_json, hasim_version,
                       scenario_yaml
                FROM runs WHERE id = ?
                """, arguments: [id])
            else { throw ResultsStoreError.noSuchRun(id) }

            var report = RunReport(
                scenarioName: row[0], scenarioFile: row[1], strategy: row[2],
                seed: UInt64(bitPattern: row[3] as Int64), duration: row[4],
                parametersJSON: row[5], hasimVersion: row[6])
            report.scenarioYAML = (row[7] as String?) ?? ""
            report.metrics = try Self.metrics(db, run: id)
            report.incidents = try Row.fetchCursor(db, sql: """
                SELECT \(Self.incidentColumns) FROM incidents WHERE run_id = ? ORDER BY rowid
                """, arguments: [id]).map(Self.incident).toArray()
            report.timeline = try Row.fetchCursor(db, sql: """
                SELECT t_ns, node, kind, detail FROM timeline WHERE run_id = ? ORDER BY seq
                """, arguments: [id]).map { r in
                TimelineRow(time: r[0], node: r[1], kind: r[2], detail: r[3])
            }.toArray()
            report.lostTransactions = try Row.fetchCursor(db, sql: """
                SELECT txid, kind, table_name, row_key, acked_at_ns, acked_by
                FROM lost_transactions WHERE run_id = ? ORDER BY rowid
                """, arguments: [id]).map { r in
                LostTransactionRow(txid: r[0], kind: r[1], table: r[2], key: r[3], ackedAt: r[4], ackedBy: r[5])
            }.toArray()
            report.replicationErrors = try Row.fetchCursor(db, sql: """
                SELECT t_ns, node, thread, code, message
                FROM replication_errors WHERE run_id = ? ORDER BY rowid
                """, arguments: [id]).map { r in
                ReplicationErrorRow(time: r[0], node: r[1], thread: r[2], code: r[3], message: r[4])
            }.toArray()
            report.probes = try Row.fetchCursor(db, sql: """
                SELECT t_ns, ok, latency_ns, error, group_index FROM probes WHERE run_id = ? ORDER BY rowid
                """, arguments: [id]).map { r in
                ProbeRow(time: r[0], ok: r[1], latency: r[2], error: r[3], group: r[4])
            }.toArray()
            try Self.readMeasurements(&report, id: id, db: db)
            return report
        }
    }

    /// The run's metrics in the order they were written. A NaN metric reads back as NaN.
    public func metrics(run id: Int64) throws -> [MetricValue] {
        try dbQueue.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [id]) != nil
            else { throw ResultsStoreError.noSuchRun(id) }
            return try Self.metrics(db, run: id)
        }
    }

    private static func metrics(_ db: Database, run id: Int64) throws -> [MetricValue] {
        try Row.fetchCursor(db, sql: """
            SELECT name, value, unit FROM metrics WHERE run_id = ? ORDER BY rowid
            """, arguments: [id]).map { r in
            MetricValue(name: r[0], value: (r[1] as Double?) ?? .nan, unit: r[2])
        }.toArray()
    }
}

private extension Cursor {
    func toArray() throws -> [Element] { try Array(self) }
}

// MARK: - Reading for reports

/// A complete run with what a report needs to describe and re-run it, without its
/// child rows.
public struct RunDescription: Sendable, Equatable {
    public var id: Int64
    public var invocation: Int64
    public var scenarioName: String
    public var scenarioFile: String
    public var strategy: String
    public var seed: UInt64
    /// The scenario's duration (workload time), in ns.
    public var duration: Int64
    public var parametersJSON: String
    public var hasimVersion: String
    /// The run's resolved scenario is stored (schema v2): `hasim rerun` can reproduce it.
    public var hasStoredScenario: Bool = false
}

/// Probe writes issued in [start, start + width): how many committed, how many failed.
public struct ProbeBucket: Sendable, Equatable {
    public var start: Int64
    public var ok: Int
    public var failed: Int
}

/// A row of `invocations`.
public struct StoredInvocation: Sendable, Equatable {
    public var id: Int64
    public var command: String
    public var argumentsJSON: String
    public var hasimVersion: String
}

extension ResultsStore {
    /// Complete runs in id order, with parameters and version.
    public func runDescriptions() throws -> [RunDescription] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, invocation_id, scenario_name, scenario_file, strategy, seed, duration_ns,
                       parameters_json, hasim_version, scenario_yaml IS NOT NULL
                FROM runs WHERE status = 'complete' ORDER BY id
                """).map { r in
                RunDescription(id: r[0], invocation: r[1], scenarioName: r[2], scenarioFile: r[3], strategy: r[4],
                               seed: UInt64(bitPattern: r[5] as Int64), duration: r[6], parametersJSON: r[7],
                               hasimVersion: r[8], hasStoredScenario: r[9])
            }
        }
    }

    /// The metrics of every complete run, by run id, each run's in written order.
    /// A metric stored as NULL (NaN) reads back as NaN.
    public func allMetrics() throws -> [Int64: [MetricValue]] {
        try dbQueue.read { db in
            var out: [Int64: [MetricValue]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT m.run_id, m.name, m.value, m.unit FROM metrics m JOIN runs r ON r.id = m.run_id
                WHERE r.status = 'complete' ORDER BY m.run_id, m.rowid
                """)
            while let r = try rows.next() {
                out[r[0], default: []].append(MetricValue(name: r[1], value: (r[2] as Double?) ?? .nan, unit: r[3]))
            }
            return out
        }
    }

    /// The run's timeline in recorded order.
    public func timeline(run id: Int64) throws -> [TimelineRow] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT t_ns, node, kind, detail FROM timeline WHERE run_id = ? ORDER BY seq",
                             arguments: [id]).map { r in TimelineRow(time: r[0], node: r[1], kind: r[2], detail: r[3]) }
        }
    }

    /// The run's incidents in written order.
    public func incidents(run id: Int64) throws -> [IncidentRow] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.incidentColumns) FROM incidents WHERE run_id = ? ORDER BY rowid
                """, arguments: [id]).map(Self.incident)
        }
    }

    /// The run's probes counted per bucket of `width` ns (by issue time), buckets
    /// without probes left out, in time order.
    public func probeBuckets(run id: Int64, width: Int64) throws -> [ProbeBucket] {
        precondition(width > 0, "bucket width must be positive")
        return try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t_ns / ? AS b, SUM(ok), COUNT(*) FROM probes WHERE run_id = ? GROUP BY b ORDER BY b
                """, arguments: [width, id]).map { r in
                let ok: Int = r[1], n: Int = r[2]
                return ProbeBucket(start: (r[0] as Int64) * width, ok: ok, failed: n - ok)
            }
        }
    }

    /// Every invocation in id order.
    public func invocations() throws -> [StoredInvocation] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, command, arguments_json, hasim_version FROM invocations ORDER BY id")
                .map { r in StoredInvocation(id: r[0], command: r[1], argumentsJSON: r[2], hasimVersion: r[3]) }
        }
    }
}
