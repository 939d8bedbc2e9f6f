import HasimKernel
import HasimNetwork
import HasimStrategies
import Yams

/// Turns the node tree of one scenario file into a `Scenario`, recording every
/// problem in the reader. Sections are read in a fixed order (topology before
/// anything that names hosts) whatever their order in the file.
final class ScenarioBuilder {
    let r: YAMLNodeReader

    // What later sections check their references against.
    /// host -> site; nil when topology.sites could not be read (then host
    /// references are not checked, to avoid a cascade of follow-up errors).
    var siteOf: [String: String]?
    var siteNames: [String] = []
    var allHosts: [String] = []
    var databases: [DatabaseSpec]?
    /// The hosts named under topology.databases, even if some entries are wrong.
    var databaseHosts: [String] = []
    var duration: SimTime?
    var durationText = ""

    init(reader: YAMLNodeReader) { self.r = reader }

    static let rootKeys = ["name", "description", "duration", "quiesce", "seeds", "topology",
                           "mysql", "architecture", "workload", "faults", "expect", "group"]

    // MARK: - Root

    func build(_ root: Node) -> Scenario? {
        guard let m = r.mapping(root, path: "", allowed: Self.rootKeys + [FrontDoorBuilder.key],
                                required: ["name", "duration", "topology", "architecture", "workload"],
                                examples: ["name": "name: primary crash under load",
                                           "duration": "duration: 10m",
                                           "topology": "topology: {sites: ..., databases: ...}",
                                           "architecture": "architecture: {strategy: manual}",
                                           "workload": "workload: {client: app1}"])
        else { return nil }

        let name = m.value("name").flatMap { r.string($0, path: "name") }
        let description = m.value("description").flatMap { r.string($0, path: "description") } ?? ""

        if let node = m.value("duration") {
            duration = positiveDuration(node, path: "duration")
            if case .scalar(let s) = node { durationText = s.string }
        }
        // An absent optional section takes its default; a broken one is nil.
        let quiesce: SimTime? = m.value("quiesce").map { r.duration($0, path: "quiesce") } ?? Time.s(60)
        let seeds: [UInt64]? = m.value("seeds").map { readSeeds($0) } ?? [1]

        let topology = m.value("topology").flatMap { readTopology($0) }
        let mysql: MySQLSettings? = m.value("mysql").map { readMySQL($0) } ?? MySQLSettings()
        let architecture = m.value("architecture").flatMap { readArchitecture($0) }
        if let architecture { validateStrategy(architecture) }
        let workloads = m.value("workload").flatMap { readWorkloads($0) }
        let faults: [FaultSpec]? = m.value("faults").map { readFaults($0) } ?? []
        let expectations: [Expectation]? = m.value("expect").map { readExpectations($0) } ?? []
        // Read after topology and architecture: it checks hosts, sites and the strategy's options.
        let frontDoor = FrontDoorBuilder(self).read(m.value(FrontDoorBuilder.key), architecture: architecture)
        guard frontDoor.ok else { return nil }

        guard let name, let duration, let quiesce, let seeds, let topology, let mysql, let architecture,
              let workloads, let faults, let expectations else { return nil }
        return Scenario(name: name, description: description, file: r.file, duration: duration,
                        quiesce: quiesce, seeds: seeds, topology: topology, mysql: mysql,
                        architecture: architecture, workloads: workloads, faults: faults, frontDoor: frontDoor.spec,
                        expectations: expectations, group: m.value("group").flatMap { r.string($0, path: "group") })
    }

    func readSeeds(_ node: Node) -> [UInt64]? {
        guard let items = r.sequence(node, path: "seeds") else { return nil }
        if items.isEmpty {
            r.error(node, "seeds is empty", hint: "give at least one seed, e.g. seeds: [1, 2, 3]")
            return nil
        }
        var seeds: [UInt64] = []
        var ok = true
        for item in items {
            guard let v = r.int(item, path: "a seed") else { ok = false; continue }
            guard v >= 0 else {
                r.error(item, "seeds must be non-negative integers, found \(v)", hint: "e.g. seeds: [1, 2, 3]")
                ok = false
                continue
            }
            seeds.append(UInt64(v))
        }
        return ok ? seeds : nil
    }

    // MARK: - Durations and numbers with bounds

    func positiveDuration(_ node: Node, path: String) -> SimTime? {
        guard let t = r.duration(node, path: path) else { return nil }
        guard t > 0 else {
            r.error(node, "\(path) must be longer than 0", hint: "use a duration greater than 0")
            return nil
        }
        return t
    }

    func nonNegativeNumber(_ node: Node, path: String) -> Double? {
        guard let v = r.number(node, path: path) else { return nil }
        guard v >= 0 else {
            r.error(node, "\(path) must not be negative, found \(v.plainDescription)", hint: "use 0 or a positive number")
            return nil
        }
        return v
    }

    func positiveNumber(_ node: Node, path: String) -> Double? {
        guard let v = r.number(node, path: path) else { return nil }
        guard v > 0 else {
            r.error(node, "\(path) must be greater than 0, found \(v.plainDescription)", hint: "use a positive number")
            return nil
        }
        return v
    }

    func intAtLeast(_ minimum: Int, _ node: Node, path: String) -> Int? {
        guard let v = r.int(node, path: path) else { return nil }
        guard v >= minimum else {
            r.error(node, "\(path) must be at least \(minimum), found \(v)", hint: "use a whole number of \(minimum) or more")
            return nil
        }
        return v
    }

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
        guard let m = r.mapping(node, path: "topology", allowed: ["sites", "latency", "databases"],
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

        guard let sites, let links, let databases else { return nil }
        return Topology(sites: sites, sameSite: sameSite, crossSite: crossSite, links: links, databases: databases)
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
                                               "read_only", "semi_sync"],
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

    // MARK: - MySQL

    static let mysqlKeys = ["sql_thread_rate", "commit_latency", "startup_time", "redo_apply_per_transaction",
                            "checkpoint_interval", "autostart", "slave_net_timeout", "connect_retry",
                            "heartbeat_period", "log_slave_updates", "semi_sync"]

    func readMySQL(_ node: Node) -> MySQLSettings? {
        guard let m = r.mapping(node, path: "mysql", allowed: Self.mysqlKeys) else { return nil }
        var s = MySQLSettings()
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

    func readSemiSync(_ node: Node) -> SemiSyncSettings? {
        guard let m = r.mapping(node, path: "mysql.semi_sync",
                                allowed: ["enabled", "wait_point", "timeout", "wait_for_slave_count", "wait_no_slave"])
        else { return nil }
        var s = SemiSyncSettings()
        s.enabled = true  // a semi_sync section turns it on unless it says enabled: false
        var ok = true
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        set("enabled", r.bool) { s.enabled = $0 }
        set("timeout", positiveDuration) { s.timeout = $0 }
        set("wait_for_slave_count", { self.intAtLeast(1, $0, path: $1) }) { s.waitForReplicaCount = $0 }
        set("wait_no_slave", r.bool) { s.waitNoReplica = $0 }
        if let n = m.value("wait_point"), let v = r.string(n, path: m.path("wait_point")) {
            let choices = ["after_sync", "after_commit"]
            if choices.contains(v.lowercased()) {
                s.waitPoint = v.lowercased()
            } else {
                r.error(n, "unknown wait_point '\(v)'", hint: Suggestions.hint(for: v, in: choices, listing: "wait points"))
                ok = false
            }
        }
        return ok ? s : nil
    }

    // MARK: - Architecture

    var architectureNode: Node?

    func readArchitecture(_ node: Node) -> Architecture? {
        if case .scalar = node, let name = node.string {
            r.error(node, "expected a mapping for architecture, found '\(name)'",
                    hint: "write 'architecture: {strategy: \(name)}'")
            return nil
        }
        guard let m = r.mapping(node, path: "architecture", allowed: ["strategy", "options"], required: ["strategy"],
                                examples: ["strategy": "strategy: \(StrategyCatalog.names.first ?? "manual")"])
        else { return nil }
        architectureNode = node
        guard let strategyNode = m.value("strategy"), let name = r.string(strategyNode, path: "architecture.strategy")
        else { return nil }
        guard let descriptor = StrategyCatalog.descriptor(named: name) else {
            let known = "known strategies: " + StrategyCatalog.names.joined(separator: ", ")
            let near = Suggestions.nearest(name, in: StrategyCatalog.names)
            r.error(strategyNode, "unknown strategy '\(name)'", hint: near.map { "did you mean '\($0)'? \(known)" } ?? known)
            return nil
        }
        var given: [String: OptionValue] = [:]
        var ok = true
        if let optionsNode = m.value("options"), let om = r.mapping(optionsNode, path: "architecture.options", allowed: nil) {
            let names = descriptor.options.map(\.name)
            for entry in om.entries {
                guard let spec = descriptor.option(entry.key) else {
                    let hint = names.isEmpty
                        ? "strategy '\(name)' takes no options"
                        : Suggestions.hint(for: entry.key, in: names, listing: "options of '\(name)'")
                    r.error(entry.keyNode, "unknown option '\(entry.key)' for strategy '\(name)'", hint: hint)
                    ok = false
                    continue
                }
                if let value = readOption(spec, entry.value, path: om.path(entry.key)) {
                    given[spec.name] = value
                } else {
                    ok = false
                }
            }
        } else if m.value("options") != nil {
            ok = false
        }
        guard ok else { return nil }
        return Architecture(strategy: name, options: OptionValues(defaultsOf: descriptor.options, overrides: given))
    }

    func readOption(_ spec: OptionSpec, _ node: Node, path: String) -> OptionValue? {
        switch spec.kind {
        case .duration: return r.duration(node, path: path).map { .duration($0) }
        case .int: return r.int(node, path: path).map { .int($0) }
        case .double: return r.number(node, path: path).map { .double($0) }
        case .bool: return r.bool(node, path: path).map { .bool($0) }
        case .string:
            guard let s = r.string(node, path: path) else { return nil }
            if !spec.choices.isEmpty && !spec.choices.contains(s) {
                r.error(node, "'\(s)' is not a valid value for \(path)",
                        hint: Suggestions.nearest(s, in: spec.choices).map { "did you mean '\($0)'?" }
                            ?? "one of: " + spec.choices.joined(separator: ", "))
                return nil
            }
            return .string(s)
        }
    }

    // MARK: - Workload

    static let workloadKeys = ["client", "address", "writes_per_second", "reads_per_second", "update_fraction", "hot_rows", "pool_size", "app_threads",
                               "connect_timeout", "query_timeout", "retries", "retry_backoff", "probe_interval", "probe_timeout", "start"]

    /// One application group (a mapping) or several (a list of mappings), e.g. two
    /// application servers writing to two masters.
    func readWorkloads(_ node: Node) -> [WorkloadSpec]? {
        guard case .sequence(let seq) = node else { return readWorkload(node).map { [$0] } }
        if seq.isEmpty {
            r.error(node, "workload has no application group", hint: "e.g. workload: [{client: app1}, {client: app2, address: db2}]")
            return nil
        }
        var out: [WorkloadSpec] = []
        var ok = true
        for item in seq {
            if let w = readWorkload(item) { out.append(w) } else { ok = false }
        }
        return ok ? out : nil
    }

    func readWorkload(_ node: Node) -> WorkloadSpec? {
        guard let m = r.mapping(node, path: "workload", allowed: Self.workloadKeys, required: ["client"],
                                examples: ["client": "client: \(allHosts.first { !databaseHosts.contains($0) } ?? "app1")"])
        else { return nil }
        var ok = true
        var client: String?
        if let n = m.value("client"), let c = r.string(n, path: "workload.client") {
            if checkHost(c, n, path: "workload.client") { client = c } else { ok = false }
        }
        if client == nil { ok = false }
        // Read the rest even without a valid client, to report all of its problems.
        var w = WorkloadSpec(client: client ?? "")
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        set("address", r.string) { w.address = $0 }
        // 0: a read-only application group (e.g. behind MMM's reader VIPs): no writes, no probes.
        set("writes_per_second", rate) { w.writesPerSecond = $0 }
        set("reads_per_second", rate) { w.readsPerSecond = $0 }
        set("update_fraction", r.probability) { w.updateFraction = $0 }
        set("hot_rows", { self.int(in: Limits.hotRows, $0, path: $1) }) { w.hotRows = $0 }
        set("pool_size", { self.int(in: Limits.connections, $0, path: $1) }) { w.poolSize = $0 }
        set("app_threads", { self.int(in: Limits.connections, $0, path: $1) }) { w.appThreads = $0 }
        set("connect_timeout", positiveDuration) { w.connectTimeout = $0 }
        set("query_timeout", positiveDuration) { w.queryTimeout = $0 }
        set("retries", { self.int(in: Limits.retries, $0, path: $1) }) { w.retries = $0 }
        set("retry_backoff", r.duration) { w.retryBackoff = $0 }
        set("probe_interval", positiveDuration) { w.probeInterval = $0 }
        set("probe_timeout", positiveDuration) { w.probeTimeout = $0 }
        set("start", r.duration) { w.start = $0 }
        if let n = m.value("start"), let duration, w.start >= duration {
            r.error(n, "workload.start is not before the end of the run (duration: \(durationText))",
                    hint: "start the workload earlier or make the duration longer")
            ok = false
        }
        return ok ? w : nil
    }

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

    // MARK: - Expectations

    /// The metrics `expect:` accepts: every run-level metric of docs/metrics.md.
    static let metrics = ["write_downtime", "rto", "max_rto", "mean_rto", "incidents", "unrecovered_incidents",
                          "lost_transactions", "lost_span", "final_primary_ambiguous", "writes_at_risk",
                          "replication_crashes", "divergence", "split_brain_divergence", "errant_transactions",
                          "lost_reads", "acknowledged_writes", "failed_writes", "split_brain_time", "split_brain_writes",
                          "two_writable_primaries_time", "false_failovers", "failovers", "announced_failovers",
                          "duplicate_vip_time", "commit_latency_p50", "commit_latency_p99", "commit_latency_p999",
                          "max_lag_transactions", "max_lag_seconds"]

    func readExpectations(_ node: Node) -> [Expectation]? {
        guard let m = r.mapping(node, path: "expect", allowed: nil) else { return nil }
        var result: [Expectation] = []
        var ok = true
        for entry in m.entries {
            guard Self.metrics.contains(entry.key) else {
                r.error(entry.keyNode, "unknown metric '\(entry.key)' in expect",
                        hint: Suggestions.hint(for: entry.key, in: Self.metrics, listing: "metrics"))
                ok = false
                continue
            }
            let path = "expect.\(entry.key)"
            var bound: Expectation.Bound?
            if case .mapping = entry.value {
                if let bm = r.mapping(entry.value, path: path, allowed: ["min", "max"]) {
                    var lo: Double?, hi: Double?, valid = true
                    if let n = bm.value("min") { lo = expectedNumber(n, path: bm.path("min")); valid = valid && lo != nil }
                    if let n = bm.value("max") { hi = expectedNumber(n, path: bm.path("max")); valid = valid && hi != nil }
                    if !bm.has("min") && !bm.has("max") {
                        r.error(entry.value, "\(path) has neither min nor max", hint: "e.g. {min: 10s, max: 2m} or {max: 0}")
                    } else if let lo, let hi, lo > hi {
                        r.error(bm.value("max"), "\(bm.path("max")) is smaller than \(bm.path("min"))", hint: "swap min and max")
                    } else if valid {
                        bound = .range(min: lo, max: hi)
                    }
                }
            } else if entry.value.isNull {
                r.error(entry.value, "'\(path)' has no value", hint: "e.g. \(entry.key): 0 or \(entry.key): {max: 10}")
            } else if let v = expectedNumber(entry.value, path: path) {
                bound = .equal(v)
            }
            guard let bound else { ok = false; continue }
            result.append(Expectation(metric: entry.key, bound: bound, mark: r.mark(entry.keyNode)))
        }
        return ok ? result : nil
    }

    /// A number, or a duration string converted to seconds.
    func expectedNumber(_ node: Node, path: String) -> Double? {
        if case .scalar(let s) = node, !node.isNull {
            switch node.tagName {
            case .int, .float:
                return r.number(node, path: path)
            default:
                if case .success(let t) = DurationParser.parse(s.string) { return Time.seconds(t) }
            }
        }
        r.error(node, "expected a number or a duration for \(path), found \(YAMLNodeReader.describe(node))",
                hint: "e.g. 0, 2.5 or 30s (durations are compared in seconds)")
        return nil
    }

    // MARK: - Strategy checks

    /// Runs the strategy's own topology checks, reported at the architecture section.
    func validateStrategy(_ architecture: Architecture) {
        guard let databases, let siteOf, let descriptor = StrategyCatalog.descriptor(named: architecture.strategy)
        else { return }
        let topology = StrategyTopology(
            primaries: databases.filter { $0.role == .primary }.map(\.host),
            replicas: databases.filter { $0.role == .replica }
                .compactMap { d in d.source.map { StrategyTopology.Replica(host: d.host, source: $0) } },
            siteOf: siteOf)
        for problem in descriptor.validate(topology) {
            r.error(architectureNode, problem, hint: "the databases and their roles are under topology.databases")
        }
        for problem in descriptor.validateOptions(topology, architecture.options) {
            r.error(architectureNode, problem, hint: "see `hasim list` for the strategy's options")
        }
    }
}
