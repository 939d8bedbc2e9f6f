import GRDB

/// The results database schema, one GRDB migration per schema version.
///
/// Conventions: snake_case names; every simulated time is an INTEGER count of
/// nanoseconds with an `_ns` suffix; seeds (UInt64) are stored as INTEGER by bit
/// pattern (`Int64(bitPattern:)`), so seeds above Int64.max read back as negative
/// numbers in raw SQL (the `run_summary` view also shows them as exact unsigned
/// text in `seed_text`). No wall-clock timestamps anywhere: two invocations with
/// the same inputs produce databases identical row for row.
///
/// Child rows keep the order they had in the `RunReport`: timeline rows carry an
/// explicit `seq`; the other child tables are read back `ORDER BY rowid`, which is
/// insertion order because a run's children are inserted in one transaction.
enum Schema {
    /// Bump together with a new migration that updates `schema_info`.
    static let version = 1

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        return migrator
    }

    static let v1 = """
        CREATE TABLE schema_info (
            version INTEGER NOT NULL
        );
        INSERT INTO schema_info (version) VALUES (1);

        -- One row per hasim command that wrote to this database.
        CREATE TABLE invocations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            command TEXT NOT NULL,
            arguments_json TEXT NOT NULL,
            hasim_version TEXT NOT NULL
        );

        -- One row per simulated run (one scenario, one seed). Only rows with
        -- status 'complete' hold a full set of child rows.
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            invocation_id INTEGER NOT NULL REFERENCES invocations(id) ON DELETE CASCADE,
            scenario_name TEXT NOT NULL,
            scenario_file TEXT NOT NULL,
            strategy TEXT NOT NULL,
            seed INTEGER NOT NULL,
            duration_ns INTEGER NOT NULL,
            parameters_json TEXT NOT NULL,
            hasim_version TEXT NOT NULL,
            status TEXT NOT NULL
        );
        CREATE INDEX runs_invocation_id ON runs(invocation_id);

        -- value is NULL when the metric is NaN (SQLite cannot store NaN).
        CREATE TABLE metrics (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value REAL,
            unit TEXT NOT NULL,
            UNIQUE (run_id, name)
        );

        CREATE TABLE incidents (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            fault_index INTEGER NOT NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            start_ns INTEGER NOT NULL,
            first_failure_ns INTEGER,
            recovered_ns INTEGER,
            rto_ns INTEGER
        );
        CREATE INDEX incidents_run_id ON incidents(run_id);

        CREATE TABLE timeline (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            t_ns INTEGER NOT NULL,
            node TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        );

        CREATE TABLE lost_transactions (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            txid INTEGER NOT NULL,
            kind TEXT NOT NULL,
            table_name TEXT NOT NULL,
            row_key INTEGER NOT NULL,
            acked_at_ns INTEGER NOT NULL,
            acked_by TEXT NOT NULL
        );
        CREATE INDEX lost_transactions_run_id ON lost_transactions(run_id);

        CREATE TABLE replication_errors (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            t_ns INTEGER NOT NULL,
            node TEXT NOT NULL,
            thread TEXT NOT NULL,
            code INTEGER NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX replication_errors_run_id ON replication_errors(run_id);

        CREATE TABLE probes (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            t_ns INTEGER NOT NULL,
            ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
            latency_ns INTEGER,
            error INTEGER
        );
        CREATE INDEX probes_run_id ON probes(run_id);

        -- One row per complete run with the headline metrics pivoted into columns
        -- (NULL when the run did not record that metric). For notebooks:
        --   pd.read_sql("SELECT * FROM run_summary", conn)
        CREATE VIEW run_summary AS
        SELECT
            r.id AS run_id,
            r.invocation_id AS invocation_id,
            r.scenario_name AS scenario,
            r.scenario_file AS scenario_file,
            r.strategy AS strategy,
            r.seed AS seed,
            printf('%llu', r.seed) AS seed_text,
            r.duration_ns AS duration_ns,
            MAX(CASE WHEN m.name = 'write_downtime' THEN m.value END) AS write_downtime,
            MAX(CASE WHEN m.name = 'rto' THEN m.value END) AS rto,
            MAX(CASE WHEN m.name = 'lost_transactions' THEN m.value END) AS lost_transactions,
            MAX(CASE WHEN m.name = 'replication_crashes' THEN m.value END) AS replication_crashes,
            MAX(CASE WHEN m.name = 'divergence' THEN m.value END) AS divergence
        FROM runs r
        LEFT JOIN metrics m ON m.run_id = r.id
        WHERE r.status = 'complete'
        GROUP BY r.id
        ORDER BY r.id;
        """
}
