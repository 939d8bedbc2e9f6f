import HasimKernel
import HasimStrategies
import Yams

// faults: the operator's actions, on the same list and clock as what breaks.

extension ScenarioBuilder {
    func readOperatorAction(_ name: FaultKind.Name, _ node: Node, path: String) -> FaultKind? {
        switch name {
        case .switchover:
            guard toolHas(.switchover, node, path: path), let host = r.string(node, path: path),
                  replicaHost(host, node, path: path, action: "switchover promotes a replica of the primary") else { return nil }
            return .switchover(to: host)
        case .maintenance:
            guard toolHas(.maintenance, node, path: path), let what = r.string(node, path: path) else { return nil }
            guard what == "manager" else {
                r.error(node, "\(path) is '\(what)'; what stands down is the manager", hint: "write maintenance: manager")
                return nil
            }
            return .maintenance
        case .reattach:
            guard let m = r.mapping(node, path: path, allowed: ["host", "to", "check", "coordinates_at"], required: ["host", "to"],
                                    examples: ["host": "host: db1", "to": "to: db2"]),
                  let hn = m.value("host"), let host = r.string(hn, path: m.path("host")),
                  databaseHost(host, hn, path: m.path("host"), fault: "reattach makes mysqld a replica"),
                  let tn = m.value("to"), let to = r.string(tn, path: m.path("to")),
                  databaseHost(to, tn, path: m.path("to"), fault: "reattach points it at this mysqld")
            else { return nil }
            guard host != to else {
                r.error(tn, "\(m.path("to")) is '\(to)', the server being re-attached", hint: "name the new primary")
                return nil
            }
            var check = true
            if let c = m.value("check") {
                guard let b = r.bool(c, path: m.path("check")) else { return nil }
                check = b
            }
            var coordinatesAt: SimTime?
            if let c = m.value("coordinates_at") {
                // When the DBA read the new primary's SHOW MASTER STATUS (File, Position).
                guard let t = r.duration(c, path: m.path("coordinates_at")) else { return nil }
                coordinatesAt = t
            }
            return .reattach(host: host, to: to, check: check, coordinatesAt: coordinatesAt)
        case .reapplyBinlog:
            guard let m = r.mapping(node, path: path, allowed: ["from", "to"], required: ["from", "to"],
                                    examples: ["from": "from: db1", "to": "to: db2"]),
                  let fn = m.value("from"), let from = r.string(fn, path: m.path("from")),
                  databaseHost(from, fn, path: m.path("from"), fault: "reapply_binlog reads this mysqld's binary log"),
                  let tn = m.value("to"), let to = r.string(tn, path: m.path("to")),
                  databaseHost(to, tn, path: m.path("to"), fault: "reapply_binlog applies the events on this mysqld")
            else { return nil }
            guard from != to else {
                r.error(tn, "\(m.path("to")) is '\(to)', the server the events are read from", hint: "name the new primary")
                return nil
            }
            return .reapplyBinlog(from: from, to: to)
        case .skipReplicaError:
            // skip_replica_error: db3, or {host: db3, events: 5}
            let fault = "skip_replica_error repairs a replica's SQL thread"
            if case .scalar = node {
                guard let host = r.string(node, path: path), databaseHost(host, node, path: path, fault: fault) else { return nil }
                return .skipReplicaError(host: host, events: 1)
            }
            guard let m = r.mapping(node, path: path, allowed: ["host", "events"], required: ["host"],
                                    examples: ["host": "host: db3"]),
                  let hn = m.value("host"), let host = r.string(hn, path: m.path("host")),
                  databaseHost(host, hn, path: m.path("host"), fault: fault) else { return nil }
            var events = 1
            if let en = m.value("events") {
                guard let n = intAtLeast(1, en, path: m.path("events")) else { return nil }
                events = n
            }
            return .skipReplicaError(host: host, events: events)
        case .unlockTables:
            guard let host = r.string(node, path: path),
                  databaseHost(host, node, path: path, fault: "unlock_tables KILLs a session on mysqld") else { return nil }
            return .unlockTables(host: host)
        case .bootstrap:
            guard let host = r.string(node, path: path),
                  databaseHost(host, node, path: path, fault: "bootstrap sets pc.bootstrap on a Galera node") else { return nil }
            if let s = strategy, s.name != Galera.descriptor.name {
                r.error(node, "\(path): strategy '\(s.name)' runs no Galera node", hint: "bootstrap (pc.bootstrap=YES) is for strategy: galera")
                return nil
            }
            return .bootstrap(host: host)
        case .galeraNewCluster:
            return readGaleraNewCluster(node, path: path)
        default:
            return nil
        }
    }

    /// galera_new_cluster: most_advanced | DB_HOST | {host: most_advanced | DB_HOST, force: BOOL}
    private func readGaleraNewCluster(_ node: Node, path: String) -> FaultKind? {
        if let s = strategy, s.name != Galera.descriptor.name {
            r.error(node, "\(path): strategy '\(s.name)' runs no Galera node", hint: "galera_new_cluster is for strategy: galera")
            return nil
        }
        let fault = "galera_new_cluster starts mysqld --wsrep-new-cluster on a Galera node"
        var hostNode = node, hostPath = path, force = false
        if case .mapping = node {
            guard let m = r.mapping(node, path: path, allowed: ["host", "force"], required: ["host"],
                                    examples: ["host": "host: most_advanced"]),
                  let hn = m.value("host") else { return nil }
            hostNode = hn
            hostPath = m.path("host")
            if let f = m.value("force") {
                guard let b = r.bool(f, path: m.path("force")) else { return nil }
                force = b
            }
        }
        guard let host = r.string(hostNode, path: hostPath) else { return nil }
        // The runbook picks the node with the highest recovered seqno, and edits its grastate.dat.
        if host == "most_advanced" { return .galeraNewCluster(host: nil, force: true) }
        guard databaseHost(host, hostNode, path: hostPath, fault: fault + " (or most_advanced: the runbook picks it)") else { return nil }
        return .galeraNewCluster(host: host, force: force)
    }

    /// The strategy's tool has this command (OperatorCommands).
    private func toolHas(_ action: OperatorAction, _ node: Node, path: String) -> Bool {
        guard let s = strategy, !s.operatorActions.contains(action) else { return true }
        let have = StrategyCatalog.all.filter { $0.operatorActions.contains(action) }.map(\.name)
        r.error(node, "\(path): strategy '\(s.name)' has no \(action.rawValue) command",
                hint: "strategies with one: \(have.joined(separator: ", "))")
        return false
    }

    /// A database host that replicates from the scenario's primary.
    private func replicaHost(_ host: String, _ node: Node, path: String, action: String) -> Bool {
        guard databaseHost(host, node, path: path, fault: action) else { return false }
        guard let databases, let primary = databases.first(where: { $0.role == .primary }) else { return true }
        let replicas = databases.filter { $0.role == .replica && $0.source == primary.host }.map(\.host)
        if !replicas.contains(host) {
            r.error(node, "\(path): '\(host)' is not a replica of the primary \(primary.host)",
                    hint: replicas.isEmpty ? "give it role: replica, source: \(primary.host)" : "replicas: \(replicas.joined(separator: ", "))")
            return false
        }
        return true
    }
}
