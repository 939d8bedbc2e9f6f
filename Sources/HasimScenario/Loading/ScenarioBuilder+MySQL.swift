import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimStrategies
import Yams

// mysql: the server settings every database shares.

/// One key of the `mysql:` section, as `hasim list` and scenarios/README.md document it.
public struct MySQLKeyDoc: Sendable {
    public var key: String
    public var defaultValue: String
    public var unit: String
    public var help: String
    /// Where the default comes from.
    public var source: String
}

public enum MySQLKeyCatalog {
    /// Every `mysql:` key with its default, unit and source (the order of `hasim list`).
    public static let keys: [MySQLKeyDoc] = [
        .init(key: "sql_thread_rate", defaultValue: "2000", unit: "transactions/s",
              help: "what one replica SQL thread applies", source: "model calibration (validation/)"),
        .init(key: "sql_apply_sigma", defaultValue: "0", unit: "lognormal sigma (0...3)",
              help: "spread of one transaction's apply cost around 1/sql_thread_rate; also per database in topology.databases",
              source: "model parameter (0: every transaction costs the same)"),
        .init(key: "slave_parallel_workers", defaultValue: "0", unit: "workers (0: the SQL thread alone)",
              help: "replica workers applying at once, committing in order; also per database in topology.databases",
              source: "MariaDB slave_parallel_threads default 0 (MySQL 8.0.27+ replica_parallel_workers: 4)"),
        .init(key: "slave_parallel_mode", defaultValue: "conservative", unit: "conservative, optimistic or logical_clock",
              help: "conservative/logical_clock: only one source group commit's transactions at once; optimistic: any without a row in common",
              source: "MariaDB slave_parallel_mode default optimistic since 10.5.1 (conservative before); MySQL LOGICAL_CLOCK"),
        .init(key: "disk_fsync", defaultValue: "0s (not modelled)", unit: "duration (median)",
              help: "one fsync of the datadir's disk: commits wait for the redo (innodb_flush_log_at_trx_commit=1) and binlog (sync_binlog=1) fsyncs, shared by those queued meanwhile (group commit); commit_latency and sql_thread_rate become the CPU part",
              source: "this machine: fdatasync 4 KB p50 2-7 ms (validation/results/replica-lag.json); datacenter SSD 0.1-0.5 ms"),
        .init(key: "disk_fsync_append", defaultValue: "disk_fsync", unit: "duration (median)",
              help: "one fsync of the binlog, a growing file (the filesystem journal commits its new size too)",
              source: "this machine: fdatasync after a 1 KB append (validation/results/replica-lag-*.json)"),
        .init(key: "disk_fsync_sigma", defaultValue: "0.25", unit: "lognormal sigma (0...3)",
              help: "spread of one fsync's time (both kinds)", source: "model parameter (a shared disk has a long tail)"),
        .init(key: "disk_batching", defaultValue: "true", unit: "boolean",
              help: "fsyncs are requests to the machine's disk, whose flush covers every request queued before it started, from any log or server on it (hosts of one topology.machines entry share a disk); false: each log's fsync takes its own time",
              source: "Linux: ext4's jbd2 journal commit takes the sync writers of all threads (max_batch_time 15 ms), blk-flush merges pending cache flushes; this machine: 4 threads fdatasync-ing finish 3.7-13x (median 8.5x) the syncs of one (validation/results/fsync-concurrency.json)"),
        .init(key: "disk_flush_streaming", defaultValue: "0.47", unit: "fraction (0...1]",
              help: "a flush that starts right after the previous one because requests were queued takes this fraction of a lone fsync's time",
              source: "this machine: 0.47 (0.30-1.08) with 4 threads appending, 0.66 with 2, of a lone thread's flush (validation/results/fsync-concurrency.json); MariaDB with 4 workers ~0.65 per log (replica-lag-conservative4-paired.json); the validation scenarios use 0.33"),
        .init(key: "disk_flush_per_request", defaultValue: "0s", unit: "duration",
              help: "time a flush adds for each request it covers beyond the first",
              source: "model parameter (this machine: within the noise up to 4 threads, validation/results/fsync-concurrency.json)"),
        .init(key: "disk_flush_busy", defaultValue: "none (disk_flush_streaming x the lone time)", unit: "duration (median)",
              help: "median time of a flush that starts back to back (requests queued): the disk hides a lone fsync's tail under concurrency, whatever the fsync's kind; replaces disk_flush_streaming",
              source: "this machine: 0.8 ms (the validation scenarios, with disk_flush_per_request 0.1 ms); a lone append fsync p50 0.34 ms, p90 8 ms, mean 3.2 ms, 4 threads p50 0.56-0.70 ms, p90 0.9-1.8 ms (validation/results/fsync-concurrency.json; DiskConcurrencyTests replays it)"),
        .init(key: "commit_latency", defaultValue: "800us", unit: "duration",
              help: "primary time per write (execution + group-commit fsync)", source: "model calibration (validation/)"),
        .init(key: "startup_time", defaultValue: "600ms", unit: "duration", help: "mysqld start-up before crash recovery",
              source: "this machine: MariaDB 10.11 clean start to ready 0.59-0.77 s (validation/results/async-kill9.json)"),
        .init(key: "redo_apply_per_transaction", defaultValue: "150us", unit: "duration",
              help: "crash recovery cost per transaction since the last checkpoint",
              source: "this machine: MariaDB 10.11 ready 0.87-0.93 s after kill -9 with ~2,000 transactions to recover (validation/results/async-kill9.json)"),
        .init(key: "checkpoint_interval", defaultValue: "60s", unit: "duration", help: "bounds the redo to replay",
              source: "model"),
        .init(key: "autostart", defaultValue: "true", unit: "bool", help: "start mysqld when its host boots",
              source: "systemd unit enabled"),
        .init(key: "slave_net_timeout", defaultValue: "60s", unit: "duration", help: "replica read timeout",
              source: "MySQL 5.7.7+ default"),
        .init(key: "connect_retry", defaultValue: "60s", unit: "duration", help: "MASTER_CONNECT_RETRY",
              source: "MySQL default"),
        .init(key: "heartbeat_period", defaultValue: "30s", unit: "duration", help: "MASTER_HEARTBEAT_PERIOD; 0s disables",
              source: "MySQL: slave_net_timeout / 2"),
        .init(key: "log_slave_updates", defaultValue: "true", unit: "bool", help: "replicas write what they apply to their binlog",
              source: "MySQL 8.0 default ON (5.7: OFF)"),
        .init(key: "sync_binlog", defaultValue: "1", unit: "commit groups (0: the OS decides)",
              help: "fsync the binlog every N groups; a power loss takes the unsynced tail",
              source: "MySQL 5.7.7+/8.0 default 1 (MariaDB: 0); dev.mysql.com sysvar_sync_binlog"),
        .init(key: "innodb_flush_log_at_trx_commit", defaultValue: "1", unit: "0, 1 or 2",
              help: "1: redo flushed at commit; 2: written at commit, flushed each second; 0: both each second",
              source: "MySQL/MariaDB default 1; innodb_flush_log_at_timeout 1s"),
        .init(key: "flavor", defaultValue: "mysql", unit: "mysql or mariadb",
              help: "MySQL 8.0 (GTID sets, auto-position) or MariaDB 10.11 (domain-server-seq GTIDs, MASTER_USE_GTID)",
              source: "the two servers' GTID designs"),
        .init(key: "master_use_gtid", defaultValue: "slave_pos", unit: "slave_pos, current_pos or no",
              help: "MariaDB only: where a replica starts; a source lacking that GTID refuses it (1236)",
              source: "MariaDB 10.10+ default slave_pos (CHANGE MASTER TO)"),
        .init(key: "gtid_mode", defaultValue: "ON", unit: "ON or OFF",
              help: "OFF: file/position replication (no GTID auto-position, nothing skips repeated events)",
              source: "this model's usual setting (MySQL 8.0 default OFF)"),
        .init(key: "relay_log_info_repository", defaultValue: "TABLE", unit: "TABLE or FILE",
              help: "where the SQL thread's position lives (TABLE: in the applied transaction)",
              source: "MySQL 8.0 default TABLE (5.7: FILE); sync_relay_log_info 10000"),
        .init(key: "relay_log_recovery", defaultValue: "false", unit: "bool",
              help: "at start-up, drop the relay log and fetch again from the SQL thread's position",
              source: "MySQL default OFF"),
        .init(key: "binlog_expire", defaultValue: "30d (2592000s)", unit: "duration; 0s never",
              help: "binlogs older than this are purged; a replica needing them gets error 1236",
              source: "MySQL 8.0 binlog_expire_logs_seconds"),
        .init(key: "lock_wait_timeout", defaultValue: "flavor's: 86400s (mariadb), 31536000s (mysql)", unit: "duration",
              help: "a write that meets FLUSH TABLES WITH READ LOCK waits this long, then fails with 1205",
              source: "MariaDB 10.11 lock_wait_timeout 86400; MySQL 8.0 lock_wait_timeout 31536000 (server system variables)"),
        .init(key: "semi_sync", defaultValue: "off", unit: "mapping",
              help: "{enabled, wait_point, timeout, wait_for_slave_count, wait_no_slave}",
              source: "semisync plugins: after_sync, 10s, 1, ON"),
    ]
}

extension ScenarioBuilder {
    // MARK: - MySQL

    static var mysqlKeys: [String] { MySQLKeyCatalog.keys.map(\.key) }

    func readMySQL(_ node: Node) -> ServerConfig? {
        guard let m = r.mapping(node, path: "mysql", allowed: Self.mysqlKeys) else { return nil }
        var s = ServerConfig()
        var ok = true
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        set("sql_thread_rate", { self.number(in: Limits.applyRate, $0, path: $1) }) { s.sqlThreadRate = $0 }
        set("sql_apply_sigma", { self.number(in: Limits.sigma, $0, path: $1) }) { s.sqlApplySigma = $0 }
        set("slave_parallel_workers", { self.int(in: 0...256, $0, path: $1, hint: "0 (the SQL thread alone) to 256") }) { s.parallelWorkers = $0 }
        set("slave_parallel_mode", { self.choice($0, path: $1, ParallelMode.self, listing: "modes") }) { s.parallelMode = $0 }
        var fsync: SimTime = 0, fsyncAppend: SimTime?, fsyncSigma = 0.25
        set("disk_fsync", r.duration) { fsync = $0 }
        set("disk_fsync_append", positiveDuration) { fsyncAppend = $0 }
        set("disk_fsync_sigma", { self.number(in: Limits.sigma, $0, path: $1) }) { fsyncSigma = $0 }
        if fsync > 0 {
            s.diskFsync = .logNormal(median: fsync, sigma: fsyncSigma)
            s.binlogFsync = fsyncAppend.map { .logNormal(median: $0, sigma: fsyncSigma) }
        } else if ok, let n = m.value("disk_fsync_append") {
            r.error(n, "mysql.disk_fsync_append needs mysql.disk_fsync", hint: "set disk_fsync (the redo log's fsync) too")
            ok = false
        }
        set("disk_batching", r.bool) { s.diskBatching = $0 }
        set("disk_flush_streaming", { self.number(in: 0.01...1, $0, path: $1) }) { s.diskFlushStreaming = $0 }
        set("disk_flush_per_request", r.duration) { s.diskFlushPerRequest = $0 }
        set("disk_flush_busy", positiveDuration) { s.diskFlushBusy = $0 }
        set("commit_latency", r.duration) { s.commitLatency = $0 }
        set("startup_time", r.duration) { s.startupTime = $0 }
        set("redo_apply_per_transaction", r.duration) { s.redoApplyPerTransaction = $0 }
        set("checkpoint_interval", positiveDuration) { s.checkpointInterval = $0 }
        set("autostart", r.bool) { s.autostart = $0 }
        set("slave_net_timeout", positiveDuration) { s.slaveNetTimeout = $0 }
        set("connect_retry", positiveDuration) { s.connectRetry = $0 }
        set("heartbeat_period", r.duration) { s.heartbeatPeriod = $0 }
        set("log_slave_updates", r.bool) { s.logSlaveUpdates = $0 }
        set("sync_binlog", { self.int(in: 0...1_000_000, $0, path: $1, hint: "0 (the OS decides), 1 (every commit) or N") }) { s.syncBinlog = $0 }
        set("innodb_flush_log_at_trx_commit", { self.int(in: 0...2, $0, path: $1, hint: "0, 1 or 2") }) { s.innodbFlushLogAtTrxCommit = $0 }
        set("flavor", { self.choice($0, path: $1, Flavor.self, listing: "flavors") }) { s.flavor = $0 }
        set("master_use_gtid", { self.choice($0, path: $1, MasterUseGTID.self, listing: "values") }) { s.masterUseGTID = $0 }
        set("gtid_mode", { self.onOff($0, path: $1) }) { s.gtidMode = $0 }
        set("relay_log_info_repository", { self.choice($0, path: $1, RelayLogInfoRepository.self, listing: "repositories") }) {
            s.relayLogInfoRepository = $0
        }
        set("relay_log_recovery", { self.onOff($0, path: $1) }) { s.relayLogRecovery = $0 }
        set("binlog_expire", r.duration) { s.binlogExpire = $0 }
        set("lock_wait_timeout", positiveDuration) { s.lockWaitTimeout = $0 }
        if let n = m.value("semi_sync") {
            if let ss = readSemiSync(n) { s.semiSync = ss } else { ok = false }
        }
        if ok, s.flavor == .mysql, let n = m.value("master_use_gtid") {
            r.error(n, "mysql.master_use_gtid is a MariaDB setting", hint: "add flavor: mariadb, or use gtid_mode for MySQL")
            ok = false
        }
        if ok, s.flavor == .mariadb, let n = m.value("gtid_mode") {
            r.error(n, "mysql.gtid_mode is a MySQL setting", hint: "MariaDB always logs GTIDs; use master_use_gtid: no for file/position")
            ok = false
        }
        return ok ? s : nil
    }

    /// ON/OFF as MySQL writes it, or true/false.
    func onOff(_ node: Node, path: String) -> Bool? {
        if case .scalar = node, node.tagName == .bool { return r.bool(node, path: path) }
        guard let v = r.string(node, path: path) else { return nil }
        switch v.uppercased() {
        case "ON": return true
        case "OFF": return false
        default:
            r.error(node, "expected ON or OFF for \(path), found '\(v)'", hint: "write ON or OFF (or true/false)")
            return nil
        }
    }

    /// One of an enum's raw values, case-insensitive.
    func choice<E: RawRepresentable & CaseIterable>(_ node: Node, path: String, _ type: E.Type, listing: String) -> E?
    where E.RawValue == String {
        guard let v = r.string(node, path: path) else { return nil }
        if let e = E.allCases.first(where: { $0.rawValue.lowercased() == v.lowercased() }) { return e }
        r.error(node, "unknown \(path) '\(v)'", hint: Suggestions.hint(for: v, in: E.allCases.map(\.rawValue), listing: listing))
        return nil
    }

    func readSemiSync(_ node: Node) -> SemiSyncConfig? {
        guard let m = r.mapping(node, path: "mysql.semi_sync",
                                allowed: ["enabled", "wait_point", "timeout", "wait_for_slave_count", "wait_no_slave"])
        else { return nil }
        var s = SemiSyncConfig()
        // A semi_sync section turns both plugins on unless it says enabled: false; the runner
        // leaves them off on a database whose topology entry says semi_sync: false.
        s.sourceEnabled = true
        s.replicaEnabled = true
        var ok = true
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        set("enabled", r.bool) { s.sourceEnabled = $0; s.replicaEnabled = $0 }
        set("timeout", positiveDuration) { s.timeout = $0 }
        set("wait_for_slave_count", { self.int(in: 1...65_535, $0, path: $1, hint: "rpl_semi_sync_master_wait_for_slave_count: 1 to 65535") }) { s.waitForReplicaCount = $0 }
        set("wait_no_slave", r.bool) { s.waitNoReplica = $0 }
        if let n = m.value("wait_point"), let v = r.string(n, path: m.path("wait_point")) {
            let choices = SemiSyncWaitPoint.allCases.map(\.rawValue)
            if let point = SemiSyncWaitPoint(rawValue: v.lowercased()) {
                s.waitPoint = point
            } else {
                r.error(n, "unknown wait_point '\(v)'", hint: Suggestions.hint(for: v, in: choices, listing: "wait points"))
                ok = false
            }
        }
        return ok ? s : nil
    }
}
