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
            guard let m = r.mapping(node, path: path, allowed: ["host", "to", "check"], required: ["host", "to"],
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
            return .reattach(host: host, to: to, check: check)
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
        default:
            return nil
        }
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
