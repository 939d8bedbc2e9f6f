import HasimKernel
import HasimNetwork
import HasimStrategies
import Yams

// topology: sites, hosts, links and databases (read first: later sections name its hosts).

extension ScenarioBuilder {
    // MARK: - Hosts

    /// Checks that `name` is a host of some site; reports it at `node` otherwise.
    @discardableResult
    func checkHost(_ name: String, _ node: Node, path: String) -> Bool {
        guard let siteOf else { return true }
        if siteOf[name] != nil { return true }
        var hint: String
        if siteNames.contains(name) {
            let hosts = allHosts.filter { siteOf[$0] == name }
            hint = "'\(name)' is a site; name its hosts instead: \(hosts.joined(separator: ", "))"
        } else if let near = Suggestions.nearest(name, in: allHosts) {
            hint = "did you mean '\(near)'? hosts are declared under topology.sites"
        } else {
            hint = "hosts are declared under topology.sites: \(allHosts.joined(separator: ", "))"
        }
        r.error(node, "unknown host '\(name)' in \(path): it is not in any site", hint: hint)
        return false
    }

    func hostList(_ node: Node, path: String) -> [String]? {
        guard let items = r.stringList(node, path: path) else { return nil }
        if items.isEmpty {
            r.error(node, "\(path) is empty", hint: "list at least one host, e.g. [db1]")
            return nil
        }
        var ok = true
        for (name, item) in items where !checkHost(name, item, path: path) { ok = false }
        return ok ? items.map(\.0) : nil
    }

    // MARK: - Topology

    func readTopology(_ node: Node) -> Topology? {
        guard let m = r.mapping(node, path: "topology", allowed: ["sites", "latency", "databases", "machines", "nics"],
                                required: ["sites", "databases"],
                                examples: ["sites": "sites: {idc1: [db1, db2, app1]}",
                                           "databases": "databases: {db1: {role: primary}}"])
        else { return nil }
        let sites = m.value("sites").flatMap { readSites($0) }

        var sameSite = LinkSpec.sameSite
        var crossSite = LinkSpec.crossSite
        var links: [LinkOverride]? = []
        if let latency = m.value("latency"),
           let lm = r.mapping(latency, path: "topology.latency", allowed: ["same_site", "cross_site", "links"]) {
            if let n = lm.value("same_site"), let spec = readLinkSpec(n, path: "topology.latency.same_site", base: sameSite)?.spec {
                sameSite = spec
            }
            if let n = lm.value("cross_site"), let spec = readLinkSpec(n, path: "topology.latency.cross_site", base: crossSite)?.spec {
                crossSite = spec
            }
            if let n = lm.value("links") { links = readLinks(n, sameSite: sameSite, crossSite: crossSite) }
        }

        let issuesBefore = r.issues.count
        let databases = m.value("databases").flatMap { readDatabases($0) }
        // Only a clean databases section is worth handing to the strategy's checks.
        self.databases = r.issues.count == issuesBefore ? databases : nil

        let machines = m.value("machines").map { readMachines($0) } ?? []
        let nics = m.value("nics").map { readNICs($0) } ?? []
        guard let sites, let links, let databases, let machines, let nics else { return nil }
        return Topology(sites: sites, sameSite: sameSite, crossSite: crossSite, links: links, databases: databases,
                        machines: machines, nics: nics)
    }

    /// topology.machines: {bench: {cpus: 2, hosts: [app1, db1, db2]}}.
    func readMachines(_ node: Node) -> [MachineSpec]? {
        guard let m = r.mapping(node, path: "topology.machines", allowed: nil) else { return nil }
        var out: [MachineSpec] = []
        var placed: [String: String] = [:]
        var ok = true
        for entry in m.entries {
            let path = "topology.machines.\(entry.key)"
            guard let mm = r.mapping(entry.value, path: path, allowed: ["cpus", "hosts"], required: ["cpus", "hosts"],
                                     examples: ["cpus": "cpus: 2", "hosts": "hosts: [db1, db2, app1]"]),
                  let cpusNode = mm.value("cpus"), let hostsNode = mm.value("hosts")
            else { ok = false; continue }
            guard let cpus = r.int(cpusNode, path: "\(path).cpus") else { ok = false; continue }
            guard cpus >= 1, cpus <= 1024 else {
                r.error(cpusNode, "\(path).cpus must be from 1 to 1024 cores, found \(cpus)",
                        hint: "e.g. cpus: 2 (hosts not listed under a machine have their own, uncontended CPUs)")
                ok = false
                continue
            }
            guard let hosts = hostList(hostsNode, path: "\(path).hosts") else { ok = false; continue }
            for h in hosts {
                if let other = placed[h] {
                    r.error(hostsNode, "host '\(h)' is on two machines: '\(other)' and '\(entry.key)'",
                            hint: "a host runs on exactly one machine; remove it from one of them")
                    ok = false
                }
                placed[h] = entry.key
            }
            out.append(MachineSpec(name: entry.key, cpus: cpus, hosts: hosts))
        }
        return ok ? out : nil
    }

    func readSites(_ node: Node) -> [Site]? {
        guard let m = r.mapping(node, path: "topology.sites", allowed: nil) else { return nil }
        if m.entries.isEmpty {
            r.error(node, "topology.sites has no sites", hint: "e.g. sites: {idc1: [db1, db2, app1]}")
            return nil
        }
        var sites: [Site] = []
        var hostSite: [String: String] = [:]
        var ok = true
        for entry in m.entries {
            guard let hosts = r.stringList(entry.value, path: "topology.sites.\(entry.key)") else { ok = false; continue }
            var names: [String] = []
            for (host, hostNode) in hosts {
                if host.trimmingWhitespace().isEmpty {
                    r.error(hostNode, "empty host name in topology.sites.\(entry.key)", hint: "e.g. [db1, db2, app1]")
                    ok = false
                    continue
                }
                if let other = hostSite[host] {
                    let message = other == entry.key
                        ? "host '\(host)' is listed twice in site '\(entry.key)'"
                        : "host '\(host)' is in two sites: '\(other)' and '\(entry.key)'"
                    r.error(hostNode, message, hint: "a host belongs to exactly one site; remove one of the two")
                    ok = false
                    continue
                }
                hostSite[host] = entry.key
                names.append(host)
            }
            sites.append(Site(name: entry.key, hosts: names))
        }
        // Even with a problem, later sections check their host names against what was read.
        siteOf = hostSite
        siteNames = sites.map(\.name)
        allHosts = sites.flatMap(\.hosts)
        return ok ? sites : nil
    }

    static let modelKeys = ["constant", "uniform", "lognormal"]

    /// A link spec: one latency model (constant, uniform or lognormal) and an
    /// optional loss. Without a model the base's model is kept.
    func readLinkSpec(_ node: Node, path: String, base: LinkSpec,
                      extraKeys: [String] = []) -> (spec: LinkSpec, mapping: YAMLMapping)? {
        guard let m = r.mapping(node, path: path, allowed: extraKeys + Self.modelKeys + ["loss"]) else { return nil }
        var spec = base
        var ok = true
        var modelKey: String?
        for entry in m.entries where Self.modelKeys.contains(entry.key) {
            if let first = modelKey {
                r.error(entry.keyNode, "\(path) has two latency models, '\(first)' and '\(entry.key)'",
                        hint: "keep one of constant, uniform, lognormal")
                ok = false
                continue
            }
            modelKey = entry.key
            guard !entry.value.isNull, let model = readLatencyModel(entry.key, entry.value, path: m.path(entry.key)) else {
                if entry.value.isNull { r.error(entry.value, "'\(m.path(entry.key))' has no value", hint: Self.modelHint) }
                ok = false
                continue
            }
            spec.latency = model
        }
        if let n = m.value("loss") {
            if let p = loss(n, path: m.path("loss")) { spec.loss = p } else { ok = false }
        }
        return ok ? (spec, m) : nil
    }

    static let modelHint = "e.g. {constant: 1ms}, {uniform: {min: 1ms, max: 3ms}} or {lognormal: {median: 0.2ms, sigma: 0.25}}"

    func readLatencyModel(_ kind: String, _ node: Node, path: String) -> LatencyModel? {
        switch kind {
        case "constant":
            return r.duration(node, path: path).map { .constant($0) }
        case "uniform":
            guard let m = r.mapping(node, path: path, allowed: ["min", "max"], required: ["min", "max"],
                                    examples: ["min": "min: 1ms", "max": "max: 3ms"]) else { return nil }
            let lo = m.value("min").flatMap { r.duration($0, path: m.path("min")) }
            let hi = m.value("max").flatMap { r.duration($0, path: m.path("max")) }
            guard let lo, let hi else { return nil }
            guard lo <= hi else {
                r.error(m.value("max"), "\(m.path("max")) is smaller than \(m.path("min"))",
                        hint: "swap min and max")
                return nil
            }
            return .uniform(min: lo, max: hi)
        case "lognormal":
            guard let m = r.mapping(node, path: path, allowed: ["median", "sigma"], required: ["median", "sigma"],
                                    examples: ["median": "median: 0.2ms", "sigma": "sigma: 0.25"]) else { return nil }
            let median = m.value("median").flatMap { positiveDuration($0, path: m.path("median")) }
            var sigma: Double?
            if let n = m.value("sigma") {
                sigma = number(in: Limits.sigma, n, path: m.path("sigma"),
                               hint: "0 is no spread; real networks are around 0.1 to 0.5")
            }
            guard let median, let sigma else { return nil }
            return .logNormal(median: median, sigma: sigma)
        default:
            return nil
        }
    }

    func readLinks(_ node: Node, sameSite: LinkSpec, crossSite: LinkSpec) -> [LinkOverride]? {
        guard let items = r.sequence(node, path: "topology.latency.links") else { return nil }
        var links: [LinkOverride] = []
        var seen: [Set<String>: Int] = [:]
        var ok = true
        for (i, item) in items.enumerated() {
            let path = "topology.latency.links[\(i)]"
            guard let m = r.mapping(item, path: path, allowed: ["between"] + Self.modelKeys + ["loss"],
                                    required: ["between"], examples: ["between": "between: [idc1, idc2]"]),
                  let betweenNode = m.value("between"),
                  let names = r.stringList(betweenNode, path: m.path("between"))
            else { ok = false; continue }
            guard names.count == 2 else {
                r.error(betweenNode, "\(m.path("between")) must name exactly two sites, found \(names.count)",
                        hint: "e.g. between: [idc1, idc2]")
                ok = false
                continue
            }
            var known = true
            for (name, n) in names where !siteNames.contains(name) && siteOf != nil {
                var hint = Suggestions.hint(for: name, in: siteNames, listing: "sites")
                if siteOf?[name] != nil { hint = "'\(name)' is a host; links are between sites: \(siteNames.joined(separator: ", "))" }
                r.error(n, "unknown site '\(name)' in \(m.path("between"))", hint: hint)
                known = false
            }
            let a = names[0].0, b = names[1].0
            let pair: Set<String> = [a, b]
            if let line = seen[pair] {
                r.error(betweenNode, "the link between '\(a)' and '\(b)' is already given at line \(line)",
                        hint: "give each pair of sites once")
                ok = false
                continue
            }
            seen[pair] = betweenNode.mark?.line ?? 0
            let base = a == b ? sameSite : crossSite
            guard let spec = readLinkSpec(item, path: path, base: base, extraKeys: ["between"])?.spec, known
            else { ok = false; continue }
            links.append(LinkOverride(siteA: a, siteB: b, spec: spec))
        }
        return ok ? links : nil
    }

    func readDatabases(_ node: Node) -> [DatabaseSpec]? {
        guard let m = r.mapping(node, path: "topology.databases", allowed: nil) else { return nil }
        if m.entries.isEmpty {
            r.error(node, "topology.databases has no databases", hint: "e.g. databases: {db1: {role: primary}}")
            return nil
        }
        databaseHosts = m.entries.map(\.key)
        var specs: [DatabaseSpec] = []
        var sourceNodes: [String: Node] = [:]
        var ok = true
        for entry in m.entries {
            let host = entry.key
            let path = "topology.databases.\(host)"
            if !checkHost(host, entry.keyNode, path: "topology.databases") { ok = false }
            guard let dm = r.mapping(entry.value, path: path,
                                     allowed: ["role", "source", "auto_increment_increment", "auto_increment_offset",
                                               "read_only", "semi_sync", "sql_thread_rate", "sql_apply_sigma",
                                               "slave_parallel_workers", "sync_binlog", "innodb_flush_log_at_trx_commit"],
                                     required: ["role"], examples: ["role": "role: primary"])
            else { ok = false; continue }
            guard let roleNode = dm.value("role"), let roleText = r.string(roleNode, path: dm.path("role")) else {
                ok = false
                continue
            }
            guard let role = DatabaseRole(rawValue: roleText) else {
                // MySQL's own older words (CHANGE MASTER TO, SHOW SLAVE STATUS) are the likeliest slip.
                let legacy = ["master": "primary", "slave": "replica", "source": "primary"][roleText.lowercased()]
                r.error(roleNode, "unknown role '\(roleText)' for \(host)",
                        hint: legacy.map { "did you mean '\($0)'? (hasim uses MySQL 8.0's words: primary, replica)" }
                            ?? Suggestions.hint(for: roleText, in: ["primary", "replica"], listing: "roles"))
                ok = false
                continue
            }
            var source: String?
            if let sourceNode = dm.value("source") {
                // A primary with a source is the active side of a dual-master pair.
                guard let s = r.string(sourceNode, path: dm.path("source")) else { ok = false; continue }
                source = s
                sourceNodes[host] = sourceNode
            } else if role == .replica {
                r.error(entry.value, "missing required key 'source' in \(path)",
                        hint: "a replica names the database it replicates from, e.g. 'source: db1'")
                ok = false
                continue
            }
            var spec = DatabaseSpec(host: host, role: role, source: source)
            if let n = dm.value("auto_increment_increment") {
                if let v = int(in: Limits.autoIncrement, n, path: dm.path("auto_increment_increment")) { spec.autoIncrementIncrement = v } else { ok = false }
            }
            if let n = dm.value("auto_increment_offset") {
                if let v = int(in: Limits.autoIncrement, n, path: dm.path("auto_increment_offset")) { spec.autoIncrementOffset = v } else { ok = false }
            }
            if spec.autoIncrementOffset > spec.autoIncrementIncrement, let n = dm.value("auto_increment_offset") {
                r.error(n, "auto_increment_offset \(spec.autoIncrementOffset) is larger than auto_increment_increment \(spec.autoIncrementIncrement)",
                        hint: "MySQL ignores such an offset; for a dual-master pair use increment 2 with offsets 1 and 2")
                ok = false
            }
            if let n = dm.value("read_only") {
                if let v = r.bool(n, path: dm.path("read_only")) { spec.readOnly = v } else { ok = false }
            }
            if let n = dm.value("semi_sync") {
                if let v = r.bool(n, path: dm.path("semi_sync")) { spec.semiSync = v } else { ok = false }
            }
            if let n = dm.value("sql_thread_rate") {
                if let v = number(in: Limits.applyRate, n, path: dm.path("sql_thread_rate")) { spec.sqlThreadRate = v } else { ok = false }
            }
            if let n = dm.value("sql_apply_sigma") {
                if let v = number(in: Limits.sigma, n, path: dm.path("sql_apply_sigma")) { spec.sqlApplySigma = v } else { ok = false }
            }
            if let n = dm.value("sync_binlog") {
                if let v = int(in: 0...1_000_000, n, path: dm.path("sync_binlog"), hint: "0 (the OS decides), 1 (every commit) or N") {
                    spec.syncBinlog = v
                } else { ok = false }
            }
            if let n = dm.value("innodb_flush_log_at_trx_commit") {
                if let v = int(in: 0...2, n, path: dm.path("innodb_flush_log_at_trx_commit"), hint: "0, 1 or 2") {
                    spec.innodbFlushLogAtTrxCommit = v
                } else { ok = false }
            }
            if let n = dm.value("slave_parallel_workers") {
                if let v = int(in: 0...256, n, path: dm.path("slave_parallel_workers"), hint: "0 (the SQL thread alone) to 256") {
                    spec.parallelWorkers = v
                } else { ok = false }
            }
            specs.append(spec)
        }
        let names = m.entries.map(\.key)
        let nameSet = Set(names)
        for spec in specs {
            guard let source = spec.source, let sourceNode = sourceNodes[spec.host] else { continue }
            if source == spec.host {
                r.error(sourceNode, "\(spec.host) cannot replicate from itself",
                        hint: Suggestions.hint(for: source, in: names.filter { $0 != spec.host }, listing: "databases"))
                ok = false
            } else if !nameSet.contains(source) {
                r.error(sourceNode, "source '\(source)' of \(spec.host) is not a database",
                        hint: Suggestions.hint(for: source, in: names, listing: "databases").map {
                            $0.hasPrefix("did") ? $0 : "a source must be listed under topology.databases; \($0)"
                        })
                ok = false
            }
        }
        if ok { ok = checkReplicationLoops(specs, sourceNodes: sourceNodes) }
        return ok ? specs : nil
    }

    /// Every chain of sources must end at a primary: db2 <- db3 <- db2 is a loop.
    /// (A primary may itself replicate from its peer: that is dual-master, not a loop.)
    func checkReplicationLoops(_ specs: [DatabaseSpec], sourceNodes: [String: Node]) -> Bool {
        let primaries = Set(specs.filter { $0.role == .primary }.map(\.host))
        let sourceOf = Dictionary(specs.compactMap { d in d.source.map { (d.host, $0) } }, uniquingKeysWith: { a, _ in a })
        var reported: Set<String> = []
        // Hosts whose chain was already walked (to a primary, a dead end or a reported loop):
        // each host is walked once, so a chain of n replicas is checked in O(n), not O(n³).
        var settled: Set<String> = []
        var ok = true
        for spec in specs where spec.role == .replica && !settled.contains(spec.host) {
            var chain = [spec.host]
            var position = [spec.host: 0]
            var current = spec.host
            while !primaries.contains(current), !settled.contains(current), let next = sourceOf[current] {
                if let start = position[next] {
                    let loop = Array(chain[start...]) + [next]
                    if reported.isDisjoint(with: loop) {
                        r.error(sourceNodes[spec.host], "replication loop: " + loop.joined(separator: " -> "),
                                hint: "a chain of sources must end at a database with role: primary")
                    }
                    reported.formUnion(loop)
                    ok = false
                    break
                }
                position[next] = chain.count
                chain.append(next)
                current = next
            }
            settled.formUnion(chain)
        }
        return ok
    }

}
