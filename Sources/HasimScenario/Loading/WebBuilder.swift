import HasimKernel
import HasimWeb
import Yams

/// The keys of the `web:` section, as `hasim list` and scenarios/README.md document them.
public enum WebKeyCatalog {
    public static let keys: [MySQLKeyDoc] = base + ModProxyKeyCatalog.keys
    static let base: [MySQLKeyDoc] = [
        .init(key: "users.client", defaultValue: "(required)", unit: "host",
              help: "the load generator's host: the virtual users' process runs there", source: "-"),
        .init(key: "users.count", defaultValue: "100", unit: "users (1...100000)",
              help: "closed-loop virtual users: think, request, wait for the response or the timeout",
              source: "nGrinder/JMeter thread groups (the seed's load test ran 5,000)"),
        .init(key: "users.think_time", defaultValue: "3s", unit: "duration (lognormal median)",
              help: "pause between a response and the user's next request", source: "hasim's assumption (load tools default to none)"),
        .init(key: "users.think_sigma", defaultValue: "0.5", unit: "lognormal sigma (0...3)",
              help: "spread of the think time", source: "hasim's assumption"),
        .init(key: "users.session_pages", defaultValue: "20", unit: "pages (1...1000000)",
              help: "pages per visit: the user logs out after them and logs in again (a new JSESSIONID)",
              source: "hasim's assumption"),
        .init(key: "users.mix", defaultValue: "{static: 0.7, read: 0.25, write: 0.05}", unit: "fractions summing to 1",
              help: "static files (Apache serves them from its disk; Tomcat when users talk to it directly), pages that read, pages that write one row through Tomcat's JDBC pool",
              source: "hasim's assumption"),
        .init(key: "users.timeout", defaultValue: "60s", unit: "duration (> 0)",
              help: "the load tool's response timeout: no answer by then is a failed request (status 0)",
              source: "Apache httpd Timeout 60 s (the tools have none by default)"),
        .init(key: "users.request_bytes", defaultValue: "600", unit: "bytes", help: "size of one request", source: "hasim's assumption"),
        .init(key: "users.static_bytes", defaultValue: "20000", unit: "bytes", help: "size of one static file's response", source: "hasim's assumption"),
        .init(key: "users.page_bytes", defaultValue: "8000", unit: "bytes", help: "size of one page's response", source: "hasim's assumption"),
        .init(key: "apache.hosts", defaultValue: "(none: users talk to Tomcat)", unit: "hosts",
              help: "Apache httpd with mod_jk; user i goes to the i-th host mod n (an L4 balancer is not modelled yet)", source: "seed notes"),
        .init(key: "apache.max_request_workers", defaultValue: "400", unit: "requests (1...100000)",
              help: "requests served at once", source: "Apache 2.4 event MPM: ServerLimit 16 x ThreadsPerChild 25"),
        .init(key: "apache.listen_backlog", defaultValue: "511", unit: "requests (0...100000)",
              help: "requests waiting for a worker; beyond, 503", source: "Apache 2.4 ListenBacklog 511"),
        .init(key: "apache.static_time", defaultValue: "200us", unit: "duration", help: "serving one static file", source: "hasim's assumption"),
        .init(key: "mod_jk.lbfactor", defaultValue: "1 each", unit: "{tomcat host: 1...100}",
              help: "share of new sessions per Tomcat (the seed's 2:1)", source: "workers.properties lbfactor 1"),
        .init(key: "mod_jk.sticky_session", defaultValue: "true", unit: "true or false",
              help: "a request with JSESSIONID=<id>.<jvmRoute> goes to that Tomcat while it is usable",
              source: "jk_util.c jk_get_is_sticky_session: default JK_TRUE"),
        .init(key: "mod_jk.sticky_session_force", defaultValue: "false", unit: "true or false",
              help: "never move a session: its Tomcat down is a 503", source: "jk_util.c jk_get_is_sticky_session_force: JK_FALSE"),
        .init(key: "mod_jk.retries", defaultValue: "2", unit: "rounds (1...100)",
              help: "rounds over the members (up to 2 members each) before a 503", source: "jk_service.h JK_RETRIES 2, JK_LB_RETRIES 2"),
        .init(key: "mod_jk.retry_interval", defaultValue: "100ms", unit: "duration", help: "sleep between two rounds",
              source: "jk_util.h JK_SLEEP_DEF 100"),
        .init(key: "mod_jk.recover_time", defaultValue: "60s", unit: "duration (>= 1s)",
              help: "a member in ERROR is left alone this long, then tried again (ERR/REC)", source: "jk_lb_worker.h WAIT_BEFORE_RECOVER 60"),
        .init(key: "mod_jk.maintain", defaultValue: "60s", unit: "duration (> 0)",
              help: "the maintenance pass that moves members from ERROR to recovery", source: "jk_util.c DEFAULT_MAINTAIN_TIME 60 (worker.maintain)"),
        .init(key: "mod_jk.socket_connect_timeout", defaultValue: "0s (the kernel's: about 127 s)", unit: "duration",
              help: "AJP connect timeout", source: "jk_ajp_common.c: socket_timeout x 1000, AJP_DEF_SOCKET_TIMEOUT 0"),
        .init(key: "mod_jk.reply_timeout", defaultValue: "0s (none)", unit: "duration",
              help: "how long mod_jk waits for Tomcat's reply before it marks the member in error and fails over",
              source: "jk_ajp_common.h AJP_DEF_REPLY_TIMEOUT 0"),
        .init(key: "tomcat.hosts", defaultValue: "(required)", unit: "hosts",
              help: "Tomcats; each runs its own JDBC pool with the workload's driver settings (pool_size, timeouts, retries) to the workload's address",
              source: "seed notes"),
        .init(key: "tomcat.max_threads", defaultValue: "200", unit: "threads (1...100000)", help: "connector maxThreads",
              source: "Tomcat 9 HTTP/AJP connector reference"),
        .init(key: "tomcat.accept_count", defaultValue: "100", unit: "requests (0...100000)",
              help: "requests waiting for a thread; beyond, 503", source: "Tomcat 9 connector acceptCount"),
        .init(key: "tomcat.servlet_time", defaultValue: "2ms", unit: "duration", help: "one servlet's CPU time besides its statement",
              source: "hasim's assumption"),
        .init(key: "tomcat.sessions", defaultValue: "none", unit: "none, delta or backup",
              help: "none: sessions in one JVM only; delta: DeltaManager sends each change to every member (async); backup: BackupManager sends it to one backup member and waits for its ack",
              source: "Tomcat 9 cluster how-to (channelSendOptions 8; BackupManager mapSendOptions 6); Tribes heartbeat 500 ms, dropTime 3 s"),
        .init(key: "tomcat.session_timeout", defaultValue: "30m", unit: "duration (> 0)", help: "web.xml session-timeout",
              source: "Tomcat conf/web.xml 30 minutes"),
    ]
}

/// Reads the `web:` section.
struct WebBuilder {
    static let key = "web"
    let b: ScenarioBuilder
    init(_ b: ScenarioBuilder) { self.b = b }
    var r: YAMLNodeReader { b.r }

    /// (ok, spec): ok false when the section had errors; spec nil when absent.
    func read(_ node: Node?) -> (ok: Bool, spec: WebSpec?) {
        guard let node else { return (true, nil) }
        guard let m = r.mapping(node, path: "web", allowed: ["users", "apache", "mod_jk", "mod_proxy", "tomcat"], required: ["users", "tomcat"],
                                examples: ["users": "users: {client: loadgen, count: 200}", "tomcat": "tomcat: {hosts: [was1, was2]}"])
        else { return (false, nil) }
        var spec = WebSpec()
        var ok = true
        var webHosts: [String] = []
        func hosts(_ n: Node, _ path: String) -> [String]? {
            guard let list = r.stringList(n, path: path) else { return nil }
            if list.isEmpty { r.error(n, "\(path) is empty", hint: "name at least one host"); return nil }
            var out: [String] = []
            for (h, hn) in list {
                guard b.checkHost(h, hn, path: path) else { return nil }
                if b.databaseHosts.contains(h) {
                    r.error(hn, "\(h) in \(path) is a database host", hint: "give the web tier its own hosts (topology.sites)")
                    return nil
                }
                if webHosts.contains(h) || out.contains(h) {
                    r.error(hn, "\(h) appears twice in the web tier", hint: "one program per host: give each its own host")
                    return nil
                }
                out.append(h)
            }
            webHosts += out
            return out
        }
        if let n = m.value("tomcat") {
            if let t = readTomcat(n, hosts: hosts) { spec.tomcat = t } else { ok = false }
        }
        if let n = m.value("apache") {
            if let a = readApache(n, hosts: hosts) { spec.apache = a } else { ok = false }
        }
        if let n = m.value("mod_jk") {
            if m.value("apache") == nil {
                r.error(m.keyNode("mod_jk"), "web.mod_jk without web.apache", hint: "mod_jk runs inside Apache httpd: add web.apache: {hosts: [...]}")
                ok = false
            } else if let j = readModJK(n, tomcats: spec.tomcat.hosts) { spec.modJK = j } else { ok = false }
        }
        if let n = m.value("mod_proxy") {
            if m.value("apache") == nil {
                r.error(m.keyNode("mod_proxy"), "web.mod_proxy without web.apache",
                        hint: "mod_proxy_balancer runs inside Apache httpd: add web.apache: {hosts: [...]}")
                ok = false
            } else if m.value("mod_jk") != nil {
                r.error(m.keyNode("mod_proxy"), "web.mod_jk and web.mod_proxy both given",
                        hint: "Apache forwards to Tomcat with one balancer: keep mod_jk (AJP) or mod_proxy (HTTP)")
                ok = false
            } else if let p = readModProxy(n, tomcats: spec.tomcat.hosts) { spec.modProxy = p } else { ok = false }
        }
        if let n = m.value("users") {
            if let u = readUsers(n, hosts: hosts) { spec.users = u } else { ok = false }
        }
        return (ok, ok ? spec : nil)
    }

    private func readUsers(_ node: Node, hosts: (Node, String) -> [String]?) -> UsersSpec? {
        let keys = ["client", "count", "think_time", "think_sigma", "session_pages", "mix", "timeout",
                    "request_bytes", "static_bytes", "page_bytes"]
        guard let m = r.mapping(node, path: "web.users", allowed: keys, required: ["client"],
                                examples: ["client": "client: loadgen"]) else { return nil }
        var u = UsersSpec()
        var ok = true
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        set("client", { n, p in r.string(n, path: p).flatMap { b.checkHost($0, n, path: p) ? $0 : nil } }) { u.client = $0 }
        set("count", { b.int(in: 1...100_000, $0, path: $1) }) { u.count = $0 }
        set("think_time", b.positiveDuration) { u.thinkTime = $0 }
        set("think_sigma", { n, p in b.nonNegativeNumber(n, path: p).flatMap { v in
            v <= 3 ? v : { r.error(n, "\(p) is \(v.plainDescription), outside 0...3", hint: "0 is a constant think time; 0.5 a usual spread"); return nil }() } }) { u.thinkSigma = $0 }
        set("session_pages", { b.int(in: 1...1_000_000, $0, path: $1) }) { u.sessionPages = $0 }
        set("timeout", b.positiveDuration) { u.timeout = $0 }
        set("request_bytes", { b.int(in: 1...100_000_000, $0, path: $1) }) { u.requestBytes = $0 }
        set("static_bytes", { b.int(in: 1...100_000_000, $0, path: $1) }) { u.staticBytes = $0 }
        set("page_bytes", { b.int(in: 1...100_000_000, $0, path: $1) }) { u.pageBytes = $0 }
        if let n = m.value("mix") {
            if let mm = r.mapping(n, path: "web.users.mix", allowed: ["static", "read", "write"]) {
                var f = [0.0, 0.0, 0.0]
                for (i, k) in ["static", "read", "write"].enumerated() {
                    if let v = mm.value(k) { if let p = r.probability(v, path: mm.path(k)) { f[i] = p } else { ok = false } }
                }
                if ok && abs(f.reduce(0, +) - 1) > 1e-9 {
                    r.error(n, "web.users.mix sums to \((f.reduce(0, +)).plainDescription), not 1",
                            hint: "give every kind: e.g. {static: 0.7, read: 0.25, write: 0.05}")
                    ok = false
                }
                u.mix = (f[0], f[1], f[2])
            } else { ok = false }
        }
        return ok ? u : nil
    }

    private func readApache(_ node: Node, hosts: (Node, String) -> [String]?) -> ApacheSpec? {
        guard let m = r.mapping(node, path: "web.apache", allowed: ["hosts", "max_request_workers", "listen_backlog", "static_time"],
                                required: ["hosts"], examples: ["hosts": "hosts: [web1, web2]"]) else { return nil }
        var a = ApacheSpec()
        var ok = true
        if let n = m.value("hosts") { if let h = hosts(n, m.path("hosts")) { a.hosts = h } else { ok = false } }
        if let n = m.value("max_request_workers") {
            if let v = b.int(in: 1...100_000, n, path: m.path("max_request_workers")) { a.maxRequestWorkers = v } else { ok = false }
        }
        if let n = m.value("listen_backlog") {
            if let v = b.int(in: 0...100_000, n, path: m.path("listen_backlog")) { a.listenBacklog = v } else { ok = false }
        }
        if let n = m.value("static_time") { if let v = r.duration(n, path: m.path("static_time")) { a.staticTime = v } else { ok = false } }
        return ok ? a : nil
    }

    private func readModJK(_ node: Node, tomcats: [String]) -> ModJKSpec? {
        let keys = ["lbfactor", "sticky_session", "sticky_session_force", "retries", "retry_interval", "recover_time", "maintain",
                    "socket_connect_timeout", "reply_timeout"]
        guard let m = r.mapping(node, path: "web.mod_jk", allowed: keys) else { return nil }
        var j = ModJKSpec()
        var ok = true
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        set("sticky_session", r.bool) { j.stickySession = $0 }
        set("sticky_session_force", r.bool) { j.stickySessionForce = $0 }
        set("retries", { b.int(in: 1...100, $0, path: $1) }) { j.retries = $0 }
        set("retry_interval", r.duration) { j.retryInterval = $0 }
        set("recover_time", { n, p in r.duration(n, path: p).flatMap { v in
            v >= Time.s(1) ? v : { r.error(n, "\(p) is below 1s", hint: "mod_jk raises recover_time below 1 to 1 s (jk_lb_worker.c)"); return nil }() } }) { j.recoverTime = $0 }
        set("maintain", b.positiveDuration) { j.maintain = $0 }
        set("socket_connect_timeout", r.duration) { j.socketConnectTimeout = $0 }
        set("reply_timeout", r.duration) { j.replyTimeout = $0 }
        set("lbfactor", { n, _ in readFactors(n, path: "web.mod_jk.lbfactor", tomcats: tomcats) }) { j.lbfactor = $0 }
        return ok ? j : nil
    }

    private func readTomcat(_ node: Node, hosts: (Node, String) -> [String]?) -> TomcatSpec? {
        let keys = ["hosts", "max_threads", "accept_count", "servlet_time", "sessions", "session_timeout"]
        guard let m = r.mapping(node, path: "web.tomcat", allowed: keys, required: ["hosts"],
                                examples: ["hosts": "hosts: [was1, was2]"]) else { return nil }
        var t = TomcatSpec()
        var ok = true
        if let n = m.value("hosts") {
            if let h = hosts(n, m.path("hosts")) {
                if h.count > 64 { r.error(n, "web.tomcat.hosts has \(h.count) hosts", hint: "at most 64 (mod_jk's members)"); ok = false }
                t.hosts = h
            } else { ok = false }
        }
        if let n = m.value("max_threads") { if let v = b.int(in: 1...100_000, n, path: m.path("max_threads")) { t.maxThreads = v } else { ok = false } }
        if let n = m.value("accept_count") { if let v = b.int(in: 0...100_000, n, path: m.path("accept_count")) { t.acceptCount = v } else { ok = false } }
        if let n = m.value("servlet_time") { if let v = r.duration(n, path: m.path("servlet_time")) { t.servletTime = v } else { ok = false } }
        if let n = m.value("session_timeout") { if let v = b.positiveDuration(n, path: m.path("session_timeout")) { t.sessionTimeout = v } else { ok = false } }
        if let n = m.value("sessions"), let s = r.string(n, path: m.path("sessions")) {
            if let v = SessionReplication(rawValue: s) { t.sessions = v } else {
                r.error(n, "unknown web.tomcat.sessions '\(s)'", hint: "one of: none (default), delta (DeltaManager), backup (BackupManager)")
                ok = false
            }
        } else if m.value("sessions") != nil { ok = false }
        return ok ? t : nil
    }
}
