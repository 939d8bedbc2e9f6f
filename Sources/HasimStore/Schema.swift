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
    static let version = 5

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        // A v1 database is migrated in place: its runs keep their rows; the new
        // columns are NULL and the new tables empty for them (a v1 run has no stored
        // scenario, so `hasim rerun` refuses it with that reason).
        migrator.registerMigration("v2") { db in
            try db.execute(sql: v2)
        }
        // v3 adds the fleet tables (hasim fleet, docs/fleet.md); a v2 database keeps its runs.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: v3)
        }
        // v4 adds the web tier's requests by status (issue 16); a v3 database keeps its runs.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: v4)
        }
        // v5 adds the L4 director's load (issue 16); a v4 database keeps its runs.
        migrator.registerMigration("v5") { db in
            try db.execute(sql: v5)
        }
        return migrator
    }

    static let v5 = """
        UPDATE schema_info SET version = 5;

        -- The L4 director's load (runs with `web.l4`): what its NIC carried and how it coped.
        -- Bytes include headers (66 B per 1448-byte segment); peak_utilisation is the busiest
        -- second over the bandwidth (NULL when unlimited); drops are messages (frames in
        -- dropped_packets) dropped at the tail of its full transmit queue (txqueuelen).
        CREATE TABLE l4_load (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            mode TEXT NOT NULL,
            bandwidth_bps INTEGER NOT NULL,
            bytes_in INTEGER NOT NULL,
            bytes_out INTEGER NOT NULL,
            peak_utilisation REAL,
            queue_delay_max_ns INTEGER NOT NULL,
            drops INTEGER NOT NULL,
            dropped_packets INTEGER NOT NULL
        );
        CREATE INDEX l4_load_run_id ON l4_load(run_id);
        """

    static let v4 = """
        UPDATE schema_info SET version = 4;

        -- The web tier's users' requests (runs with `web:`): by kind (static, read, write)
        -- and HTTP status, 0 standing for no HTTP answer (refused, reset, timed out).
        CREATE TABLE http_status (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            status INTEGER NOT NULL,
            count INTEGER NOT NULL
        );
        CREATE INDEX http_status_run_id ON http_status(run_id);
        """

    static let v3 = """
        UPDATE schema_info SET version = 3;

        -- One architecture's fleet study: N clusters over a horizon, R replications.
        CREATE TABLE fleet_studies (
            id INTEGER PRIMARY KEY,
            invocation_id INTEGER NOT NULL REFERENCES invocations(id) ON DELETE CASCADE,
            scenario_name TEXT NOT NULL,
            scenario_file TEXT NOT NULL,
            strategy TEXT NOT NULL,
            clusters INTEGER NOT NULL,
            servers_per_cluster INTEGER NOT NULL,
            horizon_ns INTEGER NOT NULL,
            replications INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            config_json TEXT NOT NULL,
            library_runs INTEGER NOT NULL,
            compound_incidents INTEGER NOT NULL,
            hasim_version TEXT NOT NULL
        );

        -- Per study and metric: the mean over replications and its 95 % confidence interval.
        CREATE TABLE fleet_metrics (
            study_id INTEGER NOT NULL REFERENCES fleet_studies(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            unit TEXT NOT NULL,
            mean REAL NOT NULL,
            ci_low REAL NOT NULL,
            ci_high REAL NOT NULL,
            UNIQUE (study_id, name)
        );

        -- Every replication's value, so intervals can be recomputed and shards merged.
        CREATE TABLE fleet_replications (
            study_id INTEGER NOT NULL REFERENCES fleet_studies(id) ON DELETE CASCADE,
            replication INTEGER NOT NULL,
            name TEXT NOT NULL,
            value REAL NOT NULL,
            UNIQUE (study_id, replication, name)
        );
        """

    static let v2 = """
        UPDATE schema_info SET version = 2;

        -- Runs are written as they finish (issue 17): an invocation is 'running' until the
        -- command completes, so an interrupted one is visible with how many runs it planned.
        -- Invocations of v1 databases were written whole: 'complete'.
        ALTER TABLE invocations ADD COLUMN status TEXT NOT NULL DEFAULT 'complete';
        ALTER TABLE invocations ADD COLUMN runs_planned INTEGER;

        -- The fully resolved scenario (YAML, every default filled in); NULL for v1 runs.
        ALTER TABLE runs ADD COLUMN scenario_yaml TEXT;

        ALTER TABLE probes ADD COLUMN group_index INTEGER NOT NULL DEFAULT 0;

        ALTER TABLE incidents ADD COLUMN detected_ns INTEGER;
        ALTER TABLE incidents ADD COLUMN failover_start_ns INTEGER;
        ALTER TABLE incidents ADD COLUMN failover_end_ns INTEGER;
        ALTER TABLE incidents ADD COLUMN writer_changed_ns INTEGER;

        -- Per application group (index in the scenario's workloads; client "app", "app2", ...).
        CREATE TABLE group_metrics (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            group_index INTEGER NOT NULL,
            client TEXT NOT NULL,
            name TEXT NOT NULL,
            value REAL,
            unit TEXT NOT NULL,
            UNIQUE (run_id, group_index, name)
        );

        -- Failed write attempts per group and MySQL error code (0: no application thread).
        CREATE TABLE failed_writes (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            group_index INTEGER NOT NULL,
            code INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            probes INTEGER NOT NULL
        );
        CREATE INDEX failed_writes_run_id ON failed_writes(run_id);

        -- Commit latency: group_index NULL = every group; bucket_start_ns NULL = whole run.
        CREATE TABLE commit_latency (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            group_index INTEGER,
            bucket_start_ns INTEGER,
            count INTEGER NOT NULL,
            p50_ns INTEGER NOT NULL,
            p99_ns INTEGER NOT NULL,
            p999_ns INTEGER NOT NULL,
            max_ns INTEGER NOT NULL
        );
        CREATE INDEX commit_latency_run_id ON commit_latency(run_id);

        -- Time series at the run's sample interval: throughput (per client, writes/s),
        -- lag_transactions and lag_seconds (per replica; NULL seconds: a thread stopped).
        CREATE TABLE series (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            t_ns INTEGER NOT NULL,
            name TEXT NOT NULL,
            subject TEXT NOT NULL,
            value REAL
        );
        CREATE INDEX series_run_id ON series(run_id);

        -- Observed changes of the server acknowledging an application address's writes.
        CREATE TABLE failovers (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            t_ns INTEGER NOT NULL,
            address TEXT NOT NULL,
            from_servers TEXT NOT NULL,
            to_servers TEXT NOT NULL,
            is_false INTEGER NOT NULL CHECK (is_false IN (0, 1))
        );
        CREATE INDEX failovers_run_id ON failovers(run_id);

        CREATE TABLE split_brain_sides (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            address TEXT NOT NULL,
            side TEXT NOT NULL,
            writes INTEGER NOT NULL,
            at_risk INTEGER NOT NULL
        );
        CREATE INDEX split_brain_sides_run_id ON split_brain_sides(run_id);

        CREATE TABLE divergence (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            server_a TEXT NOT NULL,
            server_b TEXT NOT NULL,
            relation TEXT NOT NULL,
            row_count INTEGER NOT NULL
        );
        CREATE INDEX divergence_run_id ON divergence(run_id);

        CREATE TABLE errant_transactions (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            server TEXT NOT NULL,
            reference TEXT NOT NULL,
            count INTEGER NOT NULL
        );
        CREATE INDEX errant_transactions_run_id ON errant_transactions(run_id);

        -- The headline now also shows max/mean RTO and the observed failovers.
        DROP VIEW run_summary;
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
            MAX(CASE WHEN m.name = 'mean_rto' THEN m.value END) AS mean_rto,
            MAX(CASE WHEN m.name = 'lost_transactions' THEN m.value END) AS lost_transactions,
            MAX(CASE WHEN m.name = 'replication_crashes' THEN m.value END) AS replication_crashes,
            MAX(CASE WHEN m.name = 'divergence' THEN m.value END) AS divergence,
            MAX(CASE WHEN m.name = 'split_brain_time' THEN m.value END) AS split_brain_time,
            MAX(CASE WHEN m.name = 'failovers' THEN m.value END) AS failovers,
            MAX(CASE WHEN m.name = 'false_failovers' THEN m.value END) AS false_failovers,
            MAX(CASE WHEN m.name = 'commit_latency_p99' THEN m.value END) AS commit_latency_p99
        FROM runs r
        LEFT JOIN metrics m ON m.run_id = r.id
        WHERE r.status = 'complete'
        GROUP BY r.id
        ORDER BY r.id;
        """

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
