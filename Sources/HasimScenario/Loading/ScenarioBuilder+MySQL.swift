import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimStrategies
import Yams

// mysql: the server settings every database shares.

extension ScenarioBuilder {
    // MARK: - MySQL

    static let mysqlKeys = ["sql_thread_rate", "commit_latency", "startup_time", "redo_apply_per_transaction",
                            "checkpoint_interval", "autostart", "slave_net_timeout", "connect_retry",
                            "heartbeat_period", "log_slave_updates", "semi_sync"]

    func readMySQL(_ node: Node) -> ServerConfig? {
        guard let m = r.mapping(node, path: "mysql", allowed: Self.mysqlKeys) else { return nil }
        var s = ServerConfig()
        var ok = true
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        set("sql_thread_rate", { self.number(in: Limits.applyRate, $0, path: $1) }) { s.sqlThreadRate = $0 }
        set("commit_latency", r.duration) { s.commitLatency = $0 }
        set("startup_time", r.duration) { s.startupTime = $0 }
        set("redo_apply_per_transaction", r.duration) { s.redoApplyPerTransaction = $0 }
        set("checkpoint_interval", positiveDuration) { s.checkpointInterval = $0 }
        set("autostart", r.bool) { s.autostart = $0 }
        set("slave_net_timeout", positiveDuration) { s.slaveNetTimeout = $0 }
        set("connect_retry", positiveDuration) { s.connectRetry = $0 }
        set("heartbeat_period", r.duration) { s.heartbeatPeriod = $0 }
        set("log_slave_updates", r.bool) { s.logSlaveUpdates = $0 }
        if let n = m.value("semi_sync") {
            if let ss = readSemiSync(n) { s.semiSync = ss } else { ok = false }
        }
        return ok ? s : nil
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
        set("wait_for_slave_count", { self.intAtLeast(1, $0, path: $1) }) { s.waitForReplicaCount = $0 }
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
