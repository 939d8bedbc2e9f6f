import HasimKernel
import HasimNetwork
import HasimStrategies
import Yams

// workload: the client applications.

extension ScenarioBuilder {
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

}
