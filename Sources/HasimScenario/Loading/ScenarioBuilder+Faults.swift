import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimStrategies
import Yams

// faults: what goes wrong, when, and where.

extension ScenarioBuilder {
    // MARK: - Faults

    static let faultKinds = FaultKind.names

    func readFaults(_ node: Node) -> [FaultSpec]? {
        guard let items = r.sequence(node, path: "faults") else { return nil }
        var faults: [FaultSpec] = []
        var ok = true
        for (i, item) in items.enumerated() {
            if let f = readFault(item, path: "faults[\(i)]") { faults.append(f) } else { ok = false }
        }
        guard ok, checkOverlappingWindows(faults, items, path: "faults") else { return nil }
        return faults
    }

    func readFault(_ node: Node, path: String) -> FaultSpec? {
        guard let m = r.mapping(node, path: path, allowed: ["at", "recover_after", "until"] + Self.faultKinds,
                                required: ["at"], examples: ["at": "at: 60s"])
        else { return nil }
        var ok = true
        var at: SimTime?, atLatest: SimTime?
        if let n = m.value("at"), let (t, latest) = readFaultTime(n, path: m.path("at")) {
            if let duration, (latest ?? t) > duration {
                r.error(n, "\(m.path("at")) is \(scalarText(n)), beyond the end of the run (duration: \(durationText))",
                        hint: "faults must start within the duration")
                ok = false
            } else {
                at = t
                atLatest = latest
            }
        }
        var recoverAfter: SimTime?
        if let n = m.value("recover_after") {
            if let t = positiveDuration(n, path: m.path("recover_after")) { recoverAfter = t } else { ok = false }
        }
        let until = readUntil(m, at: at.map { atLatest ?? $0 }, ok: &ok)

        let kinds = m.entries.filter { Self.faultKinds.contains($0.key) }
        guard let first = kinds.first else {
            // A misspelt kind was already reported as an unknown key.
            if !m.suggestedKeys.isDisjoint(with: Self.faultKinds) { return nil }
            r.error(node, "\(path) has no fault kind",
                    hint: "add one of " + Self.faultKinds.joined(separator: ", "))
            return nil
        }
        for extra in kinds.dropFirst() {
            r.error(extra.keyNode, "\(path) has two kinds, '\(first.key)' and '\(extra.key)'",
                    hint: "write one fault entry per kind")
            ok = false
        }
        guard !first.value.isNull else {
            r.error(first.value, "'\(m.path(first.key))' has no value",
                    hint: first.key.hasSuffix("crash") ? "name the host, e.g. \(first.key): db1" : "e.g. \(first.key): {between: [db1], and: [db2]}")
            return nil
        }
        let kind = readFaultKind(first.key, first.value, path: m.path(first.key))
        if let n = m.value("recover_after") ?? m.value("until"), let name = FaultKind.Name(rawValue: first.key),
           name.isOperatorAction, name != .maintenance {
            let key = m.value("recover_after") != nil ? "recover_after" : "until"
            r.error(n, "\(path): '\(first.key)' is an operator action: there is nothing to recover after it",
                    hint: "remove \(key); only maintenance (until the manager is started again) takes one")
            ok = false
        }
        if let at, case .reattach(_, _, _, let read?)? = kind, read > at, let n = first.value["coordinates_at"] {
            r.error(n, "\(m.path(first.key)).coordinates_at is after the re-attach itself (\(Time.text(at)))",
                    hint: "the DBA reads SHOW MASTER STATUS before typing CHANGE MASTER TO: give a time at or before at")
            ok = false
        }
        guard ok, let at, let kind else { return nil }
        return FaultSpec(at: at, atLatest: atLatest, kind: kind, recoverAfter: recoverAfter, until: until)
    }

    /// `at: 5m`, or `at: {uniform: [5m, 6m]}`: a window each seed draws its instant from.
    func readFaultTime(_ node: Node, path: String) -> (SimTime, SimTime?)? {
        guard case .mapping = node else { return r.duration(node, path: path).map { ($0, nil) } }
        guard let m = r.mapping(node, path: path, allowed: ["uniform"], required: ["uniform"],
                                examples: ["uniform": "uniform: [5m, 6m]"]),
              let w = m.value("uniform"), let items = r.sequence(w, path: m.path("uniform")) else { return nil }
        guard items.count == 2 else {
            r.error(w, "\(m.path("uniform")) needs two times, the earliest and the latest", hint: "e.g. at: {uniform: [5m, 6m]}")
            return nil
        }
        guard let lo = r.duration(items[0], path: m.path("uniform")), let hi = r.duration(items[1], path: m.path("uniform"))
        else { return nil }
        guard lo <= hi else {
            r.error(items[1], "\(m.path("uniform")): the latest time is before the earliest", hint: "swap the two times")
            return nil
        }
        return (lo, hi)
    }

    func readFaultKind(_ key: String, _ node: Node, path: String) -> FaultKind? {
        guard let name = FaultKind.Name(rawValue: key) else { return nil }
        if name.isOperatorAction { return readOperatorAction(name, node, path: path) }
        switch name {
        case .switchover, .maintenance, .reattach, .reapplyBinlog, .skipReplicaError, .unlockTables, .bootstrap, .galeraNewCluster:
            return nil  // read above
        case .hostCrash:
            guard let host = r.string(node, path: path), checkHost(host, node, path: path) else { return nil }
            if managedHosts.contains(host) {
                r.error(node, "\(host) in \(path) runs the managed LBaaS (web.l4 mode: lbaas): the provider runs it on hosts you cannot crash",
                        hint: "crash an Apache behind it, or model a balancer you run (mode: nat, dsr_l2 or dsr_l3)")
                return nil
            }
            return .hostCrash(host: host)
        case .processCrash:
            guard let host = r.string(node, path: path), databaseHost(host, node, path: path, fault: "process_crash kills mysqld")
            else { return nil }
            return .processCrash(host: host)
        case .pause:
            guard let host = r.string(node, path: path) else { return nil }
            // A Tomcat's JVM stops the same way (a hung Tomcat: its kernel keeps the
            // connections, nothing answers).
            if webTomcats?.contains(host) == true { return checkHost(host, node, path: path) ? .pause(host: host) : nil }
            guard databaseHost(host, node, path: path, fault: "pause stops mysqld or a Tomcat (kill -STOP)") else { return nil }
            return .pause(host: host)
        case .diskStall:
            guard let host = r.string(node, path: path), databaseHost(host, node, path: path, fault: "disk_stall hangs mysqld's writes")
            else { return nil }
            return .diskStall(host: host)
        case .stopReplica:
            // stop_replica: db2, or {host: db2, thread: io | sql | all}
            if case .scalar = node {
                guard let host = r.string(node, path: path), replicaHost(host, node, path: path) else { return nil }
                return .stopReplica(host: host, threads: .all)
            }
            guard let m = r.mapping(node, path: path, allowed: ["host", "thread"], required: ["host"],
                                    examples: ["host": "host: db2"]),
                  let hn = m.value("host"), let host = r.string(hn, path: m.path("host")) else { return nil }
            var threads = ReplicaThreads.all
            if let tn = m.value("thread") {
                guard let t = choice(tn, path: m.path("thread"), ReplicaThreads.self, listing: "threads") else { return nil }
                threads = t
            }
            guard replicaHost(host, hn, path: m.path("host")) else { return nil }
            return .stopReplica(host: host, threads: threads)
        case .slowDisk:
            guard let m = r.mapping(node, path: path, allowed: ["host", "factor"], required: ["host", "factor"],
                                    examples: ["host": "host: db1", "factor": "factor: 20"]),
                  let hn = m.value("host"), let host = r.string(hn, path: m.path("host")),
                  let fn = m.value("factor"), let factor = number(in: 1...1_000_000, fn, path: m.path("factor"),
                                                                 hint: "how many times slower: 1 is a healthy disk, 20 a badly degraded one"),
                  databaseHost(host, hn, path: m.path("host"), fault: "slow_disk slows mysqld's writes")
            else { return nil }
            return .slowDisk(host: host, factor: factor)
        case .readLock:
            // read_lock: db3, or {host: db3, global: true}
            if case .scalar = node {
                guard let host = r.string(node, path: path), databaseHost(host, node, path: path, fault: "read_lock is a statement on mysqld")
                else { return nil }
                return .readLock(host: host, global: false)
            }
            guard let m = r.mapping(node, path: path, allowed: ["host", "global"], required: ["host"],
                                    examples: ["host": "host: db3"]),
                  let hn = m.value("host"), let host = r.string(hn, path: m.path("host")),
                  databaseHost(host, hn, path: m.path("host"), fault: "read_lock is a statement on mysqld")
            else { return nil }
            var global = false
            if let g = m.value("global") {
                guard let b = r.bool(g, path: m.path("global")) else { return nil }
                global = b
            }
            return .readLock(host: host, global: global)
        case .drain, .remove:
            guard let host = r.string(node, path: path) else { return nil }
            // An Apache behind the L4 balancer: weight 0 (drain) or deleted from the service (remove).
            if webBalancedApaches.contains(host) { return name == .drain ? .drain(host: host) : .remove(host: host) }
            guard let tomcats = webTomcats, webHasApache else {
                r.error(node, "\(key) acts on mod_jk's members: the scenario has no web.apache",
                        hint: "add web: {apache: {hosts: [...]}, tomcat: {hosts: [...]}} and name a Tomcat host")
                return nil
            }
            guard tomcats.contains(host) else {
                r.error(node, "\(host) in \(path) is not one of web.tomcat.hosts\(webBalancedApaches.isEmpty ? "" : " nor an Apache behind web.l4")",
                        hint: Suggestions.hint(for: host, in: tomcats + webBalancedApaches, listing: "Tomcat hosts")
                            ?? "name a Tomcat host (mod_jk) or an Apache host behind web.l4 (the L4 pool)")
                return nil
            }
            return name == .drain ? .drain(host: host) : .remove(host: host)
        case .cpuLoad:
            guard let m = r.mapping(node, path: path, allowed: ["host", "threads"], required: ["host", "threads"],
                                    examples: ["host": "host: db1", "threads": "threads: 4"]),
                  let hn = m.value("host"), let host = r.string(hn, path: m.path("host")), checkHost(host, hn, path: m.path("host")),
                  let tn = m.value("threads"), let threads = number(in: 0...4096, tn, path: m.path("threads"),
                                                                   hint: "CPU-bound threads competing for the host's cores, e.g. 4")
            else { return nil }
            return .cpuLoad(host: host, threads: threads)
        case .partition, .latencySpike, .packetLoss:
            let spike = name == .latencySpike, lossy = name == .packetLoss
            let own = spike ? ["add"] : lossy ? ["rate"] : ["one_way", "firewall"]
            guard let m = r.mapping(node, path: path, allowed: ["between", "and"] + own,
                                    required: ["between", "and"] + (spike || lossy ? own : []),
                                    examples: ["between": "between: [db1]", "and": "and: [db2, app1]", "add": "add: 50ms",
                                               "rate": "rate: 0.3"])
            else { return nil }
            let a = m.value("between").flatMap { hostList($0, path: m.path("between")) }
            let b = m.value("and").flatMap { hostList($0, path: m.path("and")) }
            var ok = true
            if let a, let b, let andNode = m.value("and") {
                let both = a.filter { b.contains($0) }
                if !both.isEmpty {
                    r.error(andNode, "\(both.map { "'\($0)'" }.joined(separator: ", ")) on both sides of \(path)",
                            hint: "a host is on one side only")
                    ok = false
                }
            }
            if spike {
                let add = m.value("add").flatMap { positiveDuration($0, path: m.path("add")) }
                guard ok, let a, let b, let add else { return nil }
                return .latencySpike(a: a, b: b, add: add)
            }
            if lossy {
                let rate = m.value("rate").flatMap {
                    number(in: 0.000_001...1, $0, path: m.path("rate"),
                           hint: "the fraction of packets dropped each way, e.g. 0.3 (tc netem loss 30%); 1 drops all")
                }
                guard ok, let a, let b, let rate else { return nil }
                return .packetLoss(a: a, b: b, rate: rate)
            }
            var oneWay = false
            if let n = m.value("one_way") {
                if let v = r.bool(n, path: m.path("one_way")) { oneWay = v } else { ok = false }
            }
            var firewall = false
            if let n = m.value("firewall") {
                if let v = r.bool(n, path: m.path("firewall")) { firewall = v } else { ok = false }
            }
            guard ok, let a, let b else { return nil }
            return .partition(a: a, b: b, oneWay: oneWay, firewall: firewall)
        }
    }

    /// A host that runs a database (the fault acts on its mysqld).
    func databaseHost(_ host: String, _ node: Node, path: String, fault: String) -> Bool {
        guard checkHost(host, node, path: path) else { return false }
        if let databases, siteOf != nil, !databases.contains(where: { $0.host == host }) {
            let kind = fault.split(separator: " ").first.map(String.init) ?? path
            r.error(node, "\(kind) of '\(host)', which runs no database",
                    hint: "\(fault); databases: \(databases.map(\.host).joined(separator: ", "))")
            return false
        }
        return true
    }

    /// A database host that replicates from another (STOP SLAVE needs a replica).
    func replicaHost(_ host: String, _ node: Node, path: String) -> Bool {
        guard databaseHost(host, node, path: path, fault: "stop_replica runs STOP SLAVE on a replica") else { return false }
        if let databases, let spec = databases.first(where: { $0.host == host }), spec.source == nil {
            let replicas = databases.filter { $0.source != nil }.map(\.host)
            r.error(node, "\(path): '\(host)' is not a replica (it has no source)",
                    hint: replicas.isEmpty ? "give it a source in topology.databases" : "replicas: \(replicas.joined(separator: ", "))")
            return false
        }
        return true
    }

    func scalarText(_ node: Node) -> String {
        if case .scalar(let s) = node { return s.string }
        return YAMLNodeReader.describe(node)
    }

}
