import HasimKernel
import HasimNetwork
import HasimStrategies
import Yams

// workload: the client applications.

/// The keys of a `protocol: udp` workload group, as `hasim list` and scenarios/README.md document them.
public enum UDPClientKeyCatalog {
    public static let keys: [MySQLKeyDoc] = [
        .init(key: "protocol", defaultValue: "mysql", unit: "mysql or udp",
              help: "udp: the group is a UDP client (no SQL) sending one datagram to its address every datagram_interval; a UDP echo on every database host answers with its host's name. UDP never confirms the client's neighbour entry for a VIP (only TCP progress and ARP replies do)",
              source: "validation/experiments/vip_udp.py (the real run of this client)"),
        .init(key: "datagram_interval", defaultValue: "50ms", unit: "duration (> 0)",
              help: "time between two datagrams of a udp group (the first at a seeded phase within one interval of start)",
              source: "validation/experiments/vip_udp.py: sendto every 50 ms"),
        .init(key: "udp_port", defaultValue: "9", unit: "port (1...65535)",
              help: "the port the udp group sends to and the echoes listen on",
              source: "validation/experiments/vip_udp.py: VIP:9"),
    ]
}

extension ScenarioBuilder {
    // MARK: - Workload

    static let workloadKeys = ["client", "address", "writes_per_second", "reads_per_second", "update_fraction", "hot_rows", "pool_size", "app_threads",
                               "connect_timeout", "query_timeout", "retries", "retry_backoff", "probe_interval", "probe_timeout", "start",
                               "protocol", "datagram_interval", "udp_port"]
    /// Keys of a MySQL group only: a `protocol: udp` group sends no SQL.
    static let mysqlOnlyKeys = ["writes_per_second", "reads_per_second", "update_fraction", "hot_rows", "pool_size", "app_threads",
                                "connect_timeout", "query_timeout", "retries", "retry_backoff", "probe_interval", "probe_timeout"]

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
        if !readProtocol(m, into: &w) { ok = false }
        if let n = m.value("start"), let duration, w.start >= duration {
            r.error(n, "workload.start is not before the end of the run (duration: \(durationText))",
                    hint: "start the workload earlier or make the duration longer")
            ok = false
        }
        return ok ? w : nil
    }

    /// `protocol: udp` (validation/experiments/vip_udp.py's client): a UDP datagram client on the
    /// group's host instead of a MySQL one. Its own keys belong to it alone, and SQL keys not to it.
    private func readProtocol(_ m: YAMLMapping, into w: inout WorkloadSpec) -> Bool {
        var ok = true
        var udp = false
        if let n = m.value("protocol"), let p = r.string(n, path: m.path("protocol")) {
            switch p {
            case "mysql": break
            case "udp": udp = true
            default:
                r.error(n, "unknown protocol '\(p)' in \(m.path("protocol"))", hint: "one of: mysql (default), udp")
                ok = false
            }
        } else if m.value("protocol") != nil { ok = false }
        var spec = UDPClientSpec()
        for key in ["datagram_interval", "udp_port"] {
            guard let n = m.value(key) else { continue }
            if !udp {
                r.error(m.keyNode(key), "\(m.path(key)) applies to a UDP client only", hint: "add 'protocol: udp' or remove \(key)")
                ok = false
            } else if key == "datagram_interval" {
                if let t = positiveDuration(n, path: m.path(key)) { spec.interval = t } else { ok = false }
            } else {
                if let p = int(in: 1...65_535, n, path: m.path(key)) { spec.port = p } else { ok = false }
            }
        }
        guard udp else { return ok }
        for key in Self.mysqlOnlyKeys where m.value(key) != nil {
            r.error(m.keyNode(key), "\(m.path(key)) applies to a MySQL client; this group has protocol: udp",
                    hint: "a UDP group sends one datagram every datagram_interval; remove \(key)")
            ok = false
        }
        // It sends no SQL: a silent (read-only) MySQL side, so nothing of it touches the network.
        w.writesPerSecond = 0
        w.readsPerSecond = 0
        w.udp = spec
        return ok
    }
}
