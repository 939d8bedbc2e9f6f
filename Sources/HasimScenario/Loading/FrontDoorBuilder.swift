import HasimKernel
import HasimNetwork
import HasimStrategies
import Yams

/// Reads the `front_door:` section (scenarios/README.md), reporting problems through the
/// scenario reader like every other section. Runs after topology and architecture.
struct FrontDoorBuilder {
    static let key = "front_door"
    static let kinds = ["vip", "dns", "proxy"]
    static let vipKeys = ["address", "site", "holder"]
    static let dnsKeys = ["name", "ttl", "api_delay", "client_cache"]
    static let proxyKeys = ["host", "port", "backends", "backup", "balance", "inter", "rise", "fall",
                            "timeout_check", "timeout_connect", "retries", "shutdown_sessions",
                            "check", "check_port", "fastinter", "downinter", "redispatch", "shutdown_backup_sessions", "spread_checks", "check_phase"]

    let b: ScenarioBuilder
    var r: YAMLNodeReader { b.r }

    init(_ builder: ScenarioBuilder) { b = builder }

    /// `ok` false: a problem was reported. `spec` nil with `ok`: no front door (the primary's IP).
    func read(_ node: Node?, architecture: Architecture?) -> (ok: Bool, spec: FrontDoorSpec?) {
        var spec: FrontDoorSpec?
        if let node {
            guard let m = r.mapping(node, path: Self.key, allowed: Self.kinds) else { return (false, nil) }
            guard let first = m.entries.first else {
                if m.suggestedKeys.isEmpty {
                    r.error(node, "front_door names no front door", hint: "add one of vip, dns, proxy, e.g. front_door: {vip: {address: 10.0.0.100, site: idc1}}")
                }
                return (false, nil)
            }
            for extra in m.entries.dropFirst() {
                r.error(extra.keyNode, "front_door has two front doors, '\(first.key)' and '\(extra.key)'",
                        hint: "the application reaches the primary one way; keep one of them")
            }
            guard m.entries.count == 1 else { return (false, nil) }
            let path = m.path(first.key)
            switch first.key {
            case "vip": spec = readVIP(first.value, path: path).map { .vip($0) }
            case "dns": spec = readDNS(first.value, path: path).map { .dns($0) }
            default: spec = readProxy(first.value, path: path).map { .proxy($0) }
            }
            let optionOK = checkStrategyOption(architecture, kind: first.key)
            return (spec != nil && optionOK, spec)
        }
        return (checkStrategyOption(architecture, kind: nil), nil)
    }

    private var primary: String? { b.databases?.first { $0.role == .primary }?.host }

    // MARK: - vip

    private func readVIP(_ node: Node, path: String) -> VIPFrontDoor? {
        guard let m = r.mapping(node, path: path, allowed: Self.vipKeys, required: ["address", "site"],
                                examples: ["address": "address: 10.0.0.100", "site": "site: idc1"]) else { return nil }
        var ok = true
        let address = m.value("address").flatMap { r.string($0, path: m.path("address")) }
        if let address, let n = m.value("address"), b.allHosts.contains(address) {
            r.error(n, "VIP address '\(address)' is the name of a host", hint: "give the VIP an address of its own, e.g. 10.0.0.100")
            ok = false
        }
        var site: String?
        if let n = m.value("site"), let s = r.string(n, path: m.path("site")) {
            if b.siteOf == nil || b.siteNames.contains(s) {
                site = s
            } else {
                var hint = Suggestions.hint(for: s, in: b.siteNames, listing: "sites")
                if let hostSite = b.siteOf?[s] { hint = "'\(s)' is a host; a VIP belongs to a site, here '\(hostSite)'" }
                r.error(n, "unknown site '\(s)' in \(m.path("site"))", hint: hint)
            }
        }
        var holder = primary
        if let n = m.value("holder"), let h = r.string(n, path: m.path("holder")) {
            holder = b.checkHost(h, n, path: m.path("holder")) ? h : nil
            if let h = holder, let site, let hs = b.siteOf?[h], hs != site {
                r.error(n, "holder '\(h)' is in site '\(hs)', outside the VIP's site '\(site)'",
                        hint: "a VIP is raised by a host of its own broadcast domain: \(hosts(in: site))")
                holder = nil
            }
        }
        guard let address, let site else { return nil }
        // Every database the VIP would follow on a failover must be in its broadcast domain.
        let siteNode = m.value("site")
        var refused = !ok || holder == nil
        for db in candidates() {
            guard let dbSite = b.siteOf?[db], dbSite != site else { continue }
            r.error(siteNode, "VIP \(address) lives in site '\(site)' but database '\(db)', which it would move to on failover, is in site '\(dbSite)'",
                    hint: "a VIP is answered through ARP inside one broadcast domain and cannot cross from \(site) to \(dbSite); "
                        + "across IDCs use DNS, e.g. front_door: {dns: {name: db.service.local, ttl: 5s}}")
            refused = true
        }
        guard !refused, let holder else { return nil }
        return VIPFrontDoor(address: address, site: site, holder: holder)
    }

    /// The primary and the replicas a failover promotes: those replicating from the primary.
    private func candidates() -> [String] {
        guard let dbs = b.databases, let p = primary else { return [] }
        return [p] + dbs.filter { $0.role == .replica && $0.source == p }.map(\.host)
    }

    private func hosts(in site: String) -> String {
        "site \(site) has " + b.allHosts.filter { b.siteOf?[$0] == site }.joined(separator: ", ")
    }

    // MARK: - dns

    private func readDNS(_ node: Node, path: String) -> DNSFrontDoor? {
        guard let m = r.mapping(node, path: path, allowed: Self.dnsKeys, required: ["name", "ttl"],
                                examples: ["name": "name: db.service.local", "ttl": "ttl: 30s"]) else { return nil }
        var ok = true
        var name = m.value("name").flatMap { r.string($0, path: m.path("name")) }
        if let n = name, let node = m.value("name"), b.allHosts.contains(n) {
            r.error(node, "DNS name '\(n)' is the name of a host", hint: "use a service name, e.g. db.service.local")
            name = nil
        }
        let ttl = m.value("ttl").flatMap { r.duration($0, path: m.path("ttl")) }
        var door = DNSFrontDoor(name: name ?? "", ttl: ttl ?? 0, target: primary ?? "")
        if let n = m.value("api_delay") {
            if case .uniform(let lo, let hi)? = b.readLatencyModel("uniform", n, path: m.path("api_delay")) {
                door.apiDelayMin = lo
                door.apiDelayMax = hi
            } else {
                ok = false
            }
        }
        if let n = m.value("client_cache") {
            if case .scalar(let s) = n, s.string == "forever" {
                door.clientCache = nil
            } else if case .scalar(let s) = n, !n.isNull, case .success(let t) = DurationParser.parse(s.string) {
                door.clientCache = t
            } else {
                r.error(n, "expected a duration or 'forever' for \(m.path("client_cache")), found \(YAMLNodeReader.describe(n))",
                        hint: "the JVM's networkaddress.cache.ttl: e.g. 30s (the JDK default), 0s (no cache) or forever (-1)")
                ok = false
            }
        }
        guard ok, name != nil, ttl != nil, primary != nil else { return nil }
        return door
    }

    // MARK: - proxy

    private func readProxy(_ node: Node, path: String) -> ProxyFrontDoor? {
        guard let m = r.mapping(node, path: path, allowed: Self.proxyKeys, required: ["host", "backends"],
                                examples: ["host": "host: lb1", "backends": "backends: [db1, db2]"]) else { return nil }
        var ok = true
        var s = ProxySettings()
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        let databaseHosts = b.databaseHosts
        var host: String?
        if let n = m.value("host"), let h = r.string(n, path: m.path("host")), b.checkHost(h, n, path: m.path("host")) {
            if databaseHosts.contains(h) {
                r.error(n, "the proxy cannot run on database host '\(h)'",
                        hint: "put it on its own host or on the application's host")
            } else {
                host = h
            }
        }
        var backends: [String]?
        if let n = m.value("backends"), let list = b.hostList(n, path: m.path("backends")) {
            let notDB = list.filter { !databaseHosts.contains($0) }
            let dup = list.enumerated().filter { i, h in list[..<i].contains(h) }.map(\.element)
            if !notDB.isEmpty {
                r.error(n, "\(notDB.map { "'\($0)'" }.joined(separator: ", ")) in \(m.path("backends")) \(notDB.count == 1 ? "runs" : "run") no database",
                        hint: "backends are database hosts: \(databaseHosts.joined(separator: ", "))")
            } else if !dup.isEmpty {
                r.error(n, "'\(dup[0])' is listed twice in \(m.path("backends"))", hint: "one server line per database")
            } else {
                backends = list
            }
        }
        var backup: [String] = []
        if let n = m.value("backup") {
            if let list = b.hostList(n, path: m.path("backup")) {
                if let backends, let stray = list.first(where: { !backends.contains($0) }) {
                    r.error(n, "backup server '\(stray)' is not one of the backends",
                            hint: "backup marks some of the backends: \(backends.joined(separator: ", "))")
                    ok = false
                } else if let backends, backends.allSatisfy(list.contains) {
                    r.error(n, "every backend is a backup", hint: "leave at least one backend out of backup")
                    ok = false
                }
                backup = list
            } else {
                ok = false
            }
        }
        set("port", { self.port($0, path: $1) }) { s.port = $0 }
        set("balance", { self.choice($0, path: $1, ProxySettings.Balance.allCases.map(\.rawValue)) }) { s.balance = ProxySettings.Balance(rawValue: $0)! }
        set("inter", b.positiveDuration) { s.inter = $0 }
        // Counts of checks and retries: bounded like every count of a scenario (issue 17).
        set("rise", { self.b.int(in: Limits.checkCount, $0, path: $1) }) { s.rise = $0 }
        set("fall", { self.b.int(in: Limits.checkCount, $0, path: $1) }) { s.fall = $0 }
        set("timeout_check", b.positiveDuration) { s.timeoutCheck = $0 }
        set("timeout_connect", b.positiveDuration) { s.timeoutConnect = $0 }
        set("retries", { self.b.int(in: Limits.retries, $0, path: $1) }) { s.retries = $0 }
        set("shutdown_sessions", r.bool) { s.shutdownSessions = $0 }
        set("fastinter", b.positiveDuration) { s.fastinter = $0 }
        set("downinter", b.positiveDuration) { s.downinter = $0 }
        set("redispatch", r.bool) { s.redispatch = $0 }
        set("shutdown_backup_sessions", r.bool) { s.shutdownBackupSessions = $0 }
        set("spread_checks", { n, path in
            guard let v = self.b.intAtLeast(0, n, path: path) else { return nil }
            guard v <= 50 else {
                self.r.error(n, "\(path) must be at most 50, found \(v)", hint: "HAProxy's spread-checks is a percentage between 0 and 50")
                return nil
            }
            return v
        }) { s.spreadChecks = $0 }
        set("check_phase", { self.choice($0, path: $1, ["start", "random"]) }) { s.randomCheckPhase = $0 == "random" }
        var checkPort = 9200
        set("check_port", { self.port($0, path: $1) }) { checkPort = $0 }
        var check = "mysql-check"
        set("check", { self.choice($0, path: $1, ["mysql-check", "httpchk"]) }) { check = $0 }
        s.check = check == "httpchk" ? .httpChk(port: checkPort) : .mysqlCheck
        guard ok, let host, let backends else { return nil }
        return ProxyFrontDoor(host: host, backends: backends, backup: backup, settings: s)
    }

    private func port(_ node: Node, path: String) -> Int? {
        guard let p = r.int(node, path: path) else { return nil }
        guard (1...65535).contains(p) else {
            r.error(node, "\(path) must be between 1 and 65535, found \(p)", hint: "MySQL's port is 3306")
            return nil
        }
        return p
    }

    private func choice(_ node: Node, path: String, _ choices: [String]) -> String? {
        guard let s = r.string(node, path: path) else { return nil }
        guard choices.contains(s) else {
            r.error(node, "'\(s)' is not a valid value for \(path)", hint: Suggestions.hint(for: s, in: choices, listing: "choices"))
            return nil
        }
        return s
    }

    // MARK: - the strategy's front_door option

    /// A strategy told to move a VIP or change a DNS record needs one to exist.
    private func checkStrategyOption(_ architecture: Architecture?, kind: String?) -> Bool {
        guard case .string(let wanted)? = architecture?.options["front_door"], wanted == "vip" || wanted == "dns",
              kind != wanted else { return true }
        let have = kind.map { "the scenario's front door is \($0)" } ?? "the scenario has no front_door section"
        r.error(b.architectureNode, "option front_door is '\(wanted)' but \(have)",
                hint: wanted == "vip" ? "add front_door: {vip: {address: 10.0.0.100, site: <the primary's site>}}, or use front_door: auto"
                                      : "add front_door: {dns: {name: db.service.local, ttl: 30s}}, or use front_door: auto")
        return false
    }
}
