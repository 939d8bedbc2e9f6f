import HasimKernel
import HasimNetwork
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
        return ok ? faults : nil
    }

    func readFault(_ node: Node, path: String) -> FaultSpec? {
        guard let m = r.mapping(node, path: path, allowed: ["at", "recover_after"] + Self.faultKinds,
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

        let kinds = m.entries.filter { Self.faultKinds.contains($0.key) }
        guard let first = kinds.first else {
            // A misspelt kind was already reported as an unknown key.
            if !m.suggestedKeys.isDisjoint(with: Self.faultKinds) { return nil }
            r.error(node, "\(path) has no fault kind",
                    hint: "add one of host_crash, process_crash, partition, latency_spike")
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
        guard ok, let at, let kind else { return nil }
        return FaultSpec(at: at, atLatest: atLatest, kind: kind, recoverAfter: recoverAfter)
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
        switch name {
        case .hostCrash:
            guard let host = r.string(node, path: path), checkHost(host, node, path: path) else { return nil }
            return .hostCrash(host: host)
        case .processCrash:
            guard let host = r.string(node, path: path), checkHost(host, node, path: path) else { return nil }
            if let databases, siteOf != nil, !databases.contains(where: { $0.host == host }) {
                r.error(node, "process_crash of '\(host)', which runs no database",
                        hint: "process_crash kills mysqld; databases: \(databases.map(\.host).joined(separator: ", "))")
                return nil
            }
            return .processCrash(host: host)
        case .partition, .latencySpike:
            let spike = name == .latencySpike
            guard let m = r.mapping(node, path: path, allowed: ["between", "and", spike ? "add" : "one_way"],
                                    required: spike ? ["between", "and", "add"] : ["between", "and"],
                                    examples: ["between": "between: [db1]", "and": "and: [db2, app1]", "add": "add: 50ms"])
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
            var oneWay = false
            if let n = m.value("one_way") {
                if let v = r.bool(n, path: m.path("one_way")) { oneWay = v } else { ok = false }
            }
            guard ok, let a, let b else { return nil }
            return .partition(a: a, b: b, oneWay: oneWay)
        }
    }

    func scalarText(_ node: Node) -> String {
        if case .scalar(let s) = node { return s.string }
        return YAMLNodeReader.describe(node)
    }

}
