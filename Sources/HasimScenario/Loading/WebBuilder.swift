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
              help: "Apache httpd with mod_jk; without web.l4 user i goes to the i-th host mod n", source: "seed notes"),
        .init(key: "apache.max_request_workers", defaultValue: "400", unit: "requests (1...100000)",
              help: "requests served at once", source: "Apache 2.4 event MPM: ServerLimit 16 x ThreadsPerChild 25"),
        .init(key: "apache.processes", defaultValue: "3", unit: "child processes (1...64)",
              help: "Apache's children; each keeps its own mod_jk/mod_proxy connection pool to every Tomcat, so after a Tomcat's host dies each child's idle connections cost one reply_timeout (real: 6 of 50 users met one, validation/results/web-tomcat-death.json)",
              source: "Apache 2.4 event MPM StartServers 3; mod_jk connection_pool_size = ThreadsPerChild"),
        .init(key: "apache.listen_backlog", defaultValue: "511", unit: "requests (0...100000)",
              help: "requests waiting for a worker; beyond, 503", source: "Apache 2.4 ListenBacklog 511"),
        .init(key: "apache.static_time", defaultValue: "200us", unit: "duration", help: "serving one static file", source: "hasim's assumption"),
        .init(key: "apache.keep_alive_timeout", defaultValue: "0s (off: connections stay open)", unit: "duration",
              help: "close a user's connection idle this long (how a drained server's connections end); Apache's own default is 5s, off here so earlier runs keep their results",
              source: "Apache 2.4 core KeepAliveTimeout 5"),
        .init(key: "apache.max_keep_alive_requests", defaultValue: "0 (off)", unit: "requests (0...1000000)",
              help: "close a user's connection with its Nth response (Connection: close); Apache's own default is 100",
              source: "Apache 2.4 core MaxKeepAliveRequests 100"),
        .init(key: "l4.host", defaultValue: "(required unless hosts)", unit: "host",
              help: "the L4 balancer's own host: users connect to its address; it directs each connection to an Apache (IPVS: a director, not a proxy)",
              source: "seed notes"),
        .init(key: "l4.hosts", defaultValue: "(none: one director on host)", unit: "two hosts of one site",
              help: "an active/standby pair of directors instead of host: both run IPVS and its checkers, keepalived's VRRP keeps l4.vip on one; a MASTER's death moves the VIP (master-down 3 x advert_int + skew, then gratuitous ARPs); a client's segments go to the director holding the VIP now, which resets connections the other one scheduled unless vrrp.sync_daemon",
              source: "keepalived.conf(5) vrrp_instance + virtual_server (the LVS design of keepalived's documentation)"),
        .init(key: "l4.vip", defaultValue: "(required with hosts)", unit: "IPv4 address",
              help: "the address the users dial with a pair of directors", source: "keepalived.conf(5) virtual_ipaddress"),
        .init(key: "l4.vrrp", defaultValue: "{advert_int: 1s, priorities: [101, 100], preempt: true, sync_daemon: false}", unit: "advert_int (duration > 0), priorities (two of 1...254), preempt, sync_daemon (true or false)",
              help: "the directors' vrrp_instance: advert interval, priorities in the order of hosts (the first is the preferred MASTER), preemption",
              source: "keepalived.conf(5): advert_int 1 (VRRP_ADVER_DFL), priority 100 (VRRP_PRIO_DFL; 101 on the preferred node), preempt by default"),
        .init(key: "l4.vrrp.sync_daemon", defaultValue: "false", unit: "true or false",
              help: "IPVS connection sync between the directors: the MASTER sends its connection entries, the BACKUP keeps copies, so connections survive a move of the VIP (failover or preemption); without it the director that gets the VIP has no entry for the other's connections, does not schedule their non-SYN segments (sloppy_tcp 0) and its stack answers RST",
              source: "ipvsadm(8) --start-daemon master|backup (keepalived.conf(5) lvs_sync_daemon); ip_vs_core.c ip_vs_in, sloppy_tcp 0 in Documentation/networking/ipvs-sysctl.rst"),
        .init(key: "l4.mode", defaultValue: "nat", unit: "nat, dsr_l2, dsr_l3 or lbaas",
              help: "nat: requests and responses through the balancer; dsr_l2: MAC rewrite, replies straight to the users, balancer and Apaches in one site (L2 domain); dsr_l3: IP-in-IP tunnel (+20 B/packet), across sites; lbaas: a managed cloud balancer (no VIP, DNS name, both ways, not crashable)",
              source: "ipvsadm(8) -m/-g/-i; AWS Elastic Load Balancing"),
        .init(key: "l4.scheduler", defaultValue: "wlc (lbaas: rr)", unit: "rr, wrr, lc or wlc",
              help: "which Apache a new connection goes to: round robin, weighted round robin, least connections, weighted least connections",
              source: "ipvsadm(8) -s, default wlc; ip_vs_{rr,wrr,lc,wlc}.c"),
        .init(key: "l4.weights", defaultValue: "1 each", unit: "{apache host: 0...65535}", help: "real server weights (wrr, wlc)",
              source: "ipvsadm(8) -w 1"),
        .init(key: "l4.check", defaultValue: "http", unit: "tcp or http",
              help: "health check: a TCP connect to port 80, or GET (200 is healthy)", source: "keepalived.conf(5) TCP_CHECK / HTTP_GET"),
        .init(key: "l4.interval", defaultValue: "60s (lbaas: 30s)", unit: "duration (> 0)", help: "time between two checks of one Apache",
              source: "keepalived delay_loop: KEEPALIVED_DEFAULT_DELAY 60 s (check_data.h); AWS target group HealthCheckIntervalSeconds 30"),
        .init(key: "l4.timeout", defaultValue: "5s", unit: "duration (> 0)", help: "a check not answered by then failed",
              source: "keepalived connect_timeout 5; AWS HealthCheckTimeoutSeconds 5 (HTTP)"),
        .init(key: "l4.fall", defaultValue: "2 (lbaas: 2)", unit: "checks (1...100)",
              help: "consecutive failed checks that take an Apache out of the service",
              source: "keepalived retry 1 (+ the first check); AWS UnhealthyThresholdCount 2"),
        .init(key: "l4.rise", defaultValue: "1 (lbaas: 5)", unit: "checks (1...100)",
              help: "consecutive good checks that bring it back", source: "keepalived: one good check; AWS ALB HealthyThresholdCount 5 (NLB 3, ELB classic 10)"),
        .init(key: "l4.retry_delay", defaultValue: "1s (lbaas: the interval)", unit: "duration (> 0)",
              help: "pause before checking again after a failed check", source: "keepalived delay_before_retry 1"),
        .init(key: "l4.bandwidth", defaultValue: "1Gbit (lbaas: unlimited)", unit: "bits/s (bit, kbit, Mbit, Gbit)",
              help: "the balancer's NIC, each direction a FIFO: in nat mode the responses pass it too", source: "hasim's assumption: a 1 GbE port"),
        .init(key: "l4.packet_cost", defaultValue: "1us (lbaas: 0)", unit: "duration", help: "CPU per forwarded packet",
              source: "hasim's assumption (IPVS forwards on the order of a million packets/s per core)"),
        .init(key: "l4.txqueuelen", defaultValue: "1000 (lbaas: 0, unbounded)", unit: "frames (0...1000000; 0: unbounded)",
              help: "the balancer NIC's transmit queue: a message finding it full is dropped at the tail and its sender's TCP retransmits it after the RTO, so saturation drops instead of queueing without bound",
              source: "Linux DEFAULT_TX_QUEUE_LEN 1000 (include/uapi/linux/if_ether.h, ether_setup); ip-link(8) txqueuelen"),
        .init(key: "l4.expire_nodest_conn", defaultValue: "false (lbaas: true)", unit: "true or false",
              help: "false: the packets of a deleted Apache's connections are dropped silently (users wait for their timeout); true: reset (users see the error at once)",
              source: "Linux ipvs-sysctl.rst expire_nodest_conn 0; AWS NLB resets the connections of an unhealthy target"),
        .init(key: "mod_jk.lbfactor", defaultValue: "1 each", unit: "{tomcat host: 1...100}",
              help: "share of new sessions per Tomcat (the seed's 2:1)", source: "workers.properties lbfactor 1"),
        .init(key: "mod_jk.sticky_session", defaultValue: "true", unit: "true or false",
              help: "a request with JSESSIONID=<id>.<jvmRoute> goes to that Tomcat while it is usable",
              source: "jk_util.c jk_get_is_sticky_session: default JK_TRUE"),
        .init(key: "mod_jk.sticky_session_force", defaultValue: "false", unit: "true or false",
              help: "never move a session: its Tomcat down is a 503", source: "jk_util.c jk_get_is_sticky_session_force: JK_FALSE"),
        .init(key: "mod_jk.retries", defaultValue: "2", unit: "rounds (1...100)",
              help: "rounds over the members (up to 2 members each) before a 503", source: "jk_service.h JK_RETRIES 2, JK_LB_RETRIES 2"),
        .init(key: "mod_jk.retry_interval", defaultValue: "100ms", unit: "duration",
              help: "sleep between two rounds, and between two attempts of one member's AJP worker",
              source: "jk_util.h JK_SLEEP_DEF 100"),
        .init(key: "mod_jk.ajp_retries", defaultValue: "2", unit: "attempts (1...100)",
              help: "the member's AJP worker `retries` (worker.was1.retries): attempts on the same Tomcat, each on another pooled connection or a new one, retry_interval apart, before the lb worker sees a failure. A silent Tomcat host costs reply_timeout + socket_connect_timeout (+ 0.1 s) per request, a stopped JVM two reply_timeouts (real: 13.2 s and 20.3 s, validation/results/web-tomcat-*.json)",
              source: "jk_ajp_common.c ajp_service, jk_service.h JK_RETRIES 2"),
        .init(key: "mod_jk.recovery_options", defaultValue: "0", unit: "bits (0...31)",
              help: "1: a request Tomcat already had is not sent to another member (504 after reply_timeout, 502 when the connection broke); 16: a GET (hasim's read pages) is recovered anyway; 2, 4, 8 are accepted and change nothing hasim models (headers already sent, client errors, HEAD)",
              source: "jk_ajp_common.h AJP_DEF_RECOVERY_OPTS 0, RECOVER_ABORT_IF_TCGETREQUEST 1, RECOVER_ALWAYS_HTTP_GET 16"),
        .init(key: "mod_jk.recover_time", defaultValue: "60s", unit: "duration (>= 1s)",
              help: "a member in ERROR is left alone this long, then tried again (ERR/REC)", source: "jk_lb_worker.h WAIT_BEFORE_RECOVER 60"),
        .init(key: "mod_jk.maintain", defaultValue: "60s", unit: "duration (> 0)",
              help: "the maintenance pass that moves members from ERROR to recovery", source: "jk_util.c DEFAULT_MAINTAIN_TIME 60 (worker.maintain)"),
        .init(key: "mod_jk.socket_connect_timeout", defaultValue: "0s (the kernel's: about 127 s)", unit: "duration",
              help: "AJP connect timeout", source: "jk_ajp_common.c: socket_timeout x 1000, AJP_DEF_SOCKET_TIMEOUT 0"),
        .init(key: "mod_jk.reply_timeout", defaultValue: "0s (none)", unit: "duration",
              help: "how long mod_jk waits for Tomcat's reply before it marks the member in error and fails over",
              source: "jk_ajp_common.h AJP_DEF_REPLY_TIMEOUT 0"),
        .init(key: "mod_jk.ping_mode", defaultValue: "none", unit: "letters C, P, I or A",
              help: "CPing/CPong: C on each new AJP connection, P before each request (a pooled connection that fails it is closed and the next tried), I on connections idle for 10 x ping_timeout at the maintenance pass; A all. A hung Tomcat is then found in ping_timeout, before the request is sent",
              source: "jk_ajp_common.c jk_get_worker_ping_mode(..., AJP_CPING_NONE), jk_ajp_common.h AJP_CPING_*"),
        .init(key: "mod_jk.ping_timeout", defaultValue: "10s", unit: "duration (> 0)",
              help: "the wait for a CPong; also connect_timeout with C and prepost_timeout with P",
              source: "jk_ajp_common.h AJP_DEF_PING_TIMEOUT 10000"),
        .init(key: "mod_jk.connection_pool_timeout", defaultValue: "0s (kept)", unit: "duration",
              help: "idle AJP connections are closed at the maintenance pass after this long (set it with Tomcat's AJP connectionTimeout)",
              source: "jk_util.c CACHE_TIMEOUT_OF_WORKER, jk_ajp_common.h AJP_DEF_CACHE_TIMEOUT 0"),
        .init(key: "mod_jk.error_escalation_time", defaultValue: "recover_time / 2 (30s)", unit: "duration",
              help: "a member failing a connect or CPing while other requests are busy on it is skipped by that request only; after this long (or when none is busy, or if 0) it goes to ERROR",
              source: "jk_lb_worker.c: error_escalation_time = recover_wait_time / 2; service() lines 1576-1596"),
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
        guard let m = r.mapping(node, path: "web", allowed: ["users", "apache", "mod_jk", "mod_proxy", "tomcat", "l4"], required: ["users", "tomcat"],
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
        if let n = m.value("l4") {
            if let a = spec.apache {
                if let l = readL4(n, apaches: a.hosts, hosts: hosts) { spec.l4 = l } else { ok = false }
            } else {
                r.error(m.keyNode("l4"), "web.l4 without web.apache", hint: "the L4 balancer spreads users over Apaches: add web.apache: {hosts: [...]}")
                ok = false
            }
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
        guard let m = r.mapping(node, path: "web.apache", allowed: ["hosts", "max_request_workers", "processes", "listen_backlog",
                                                                  "static_time", "keep_alive_timeout", "max_keep_alive_requests"],
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
        if let n = m.value("processes") {
            if let v = b.int(in: 1...64, n, path: m.path("processes")) { a.processes = v } else { ok = false }
        }
        if let n = m.value("static_time") { if let v = r.duration(n, path: m.path("static_time")) { a.staticTime = v } else { ok = false } }
        if let n = m.value("keep_alive_timeout") { if let v = r.duration(n, path: m.path("keep_alive_timeout")) { a.keepAliveTimeout = v } else { ok = false } }
        if let n = m.value("max_keep_alive_requests") {
            if let v = b.int(in: 0...1_000_000, n, path: m.path("max_keep_alive_requests")) { a.maxKeepAliveRequests = v } else { ok = false }
        }
        return ok ? a : nil
    }

    private func readModJK(_ node: Node, tomcats: [String]) -> ModJKSpec? {
        let keys = ["lbfactor", "sticky_session", "sticky_session_force", "retries", "retry_interval", "ajp_retries", "recovery_options",
                    "recover_time", "maintain",
                    "socket_connect_timeout", "reply_timeout", "ping_mode", "ping_timeout", "connection_pool_timeout",
                    "error_escalation_time"]
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
        set("ajp_retries", { b.int(in: 1...100, $0, path: $1) }) { j.ajpRetries = $0 }
        set("recovery_options", { b.int(in: 0...31, $0, path: $1) }) { j.recoveryOptions = $0 }
        set("recover_time", { n, p in r.duration(n, path: p).flatMap { v in
            v >= Time.s(1) ? v : { r.error(n, "\(p) is below 1s", hint: "mod_jk raises recover_time below 1 to 1 s (jk_lb_worker.c)"); return nil }() } }) { j.recoverTime = $0 }
        set("maintain", b.positiveDuration) { j.maintain = $0 }
        set("socket_connect_timeout", r.duration) { j.socketConnectTimeout = $0 }
        set("reply_timeout", r.duration) { j.replyTimeout = $0 }
        set("ping_mode", { n, p in r.string(n, path: p).flatMap { s in
            AJPPingMode(letters: s) ?? { r.error(n, "\(p) '\(s)' is not a set of ping_mode letters",
                                                 hint: "C (new connection), P (before each request), I (idle connections), A (all), e.g. CP"); return nil }() } }) {
            j.pingMode = $0
        }
        set("ping_timeout", b.positiveDuration) { j.pingTimeout = $0 }
        set("connection_pool_timeout", r.duration) { j.connectionPoolTimeout = $0 }
        set("error_escalation_time", r.duration) { j.errorEscalationTime = $0 }
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

extension WebBuilder {
    /// web.l4: the balancer's host, its mode (whose defaults the other keys start from), and checks.
    func readL4(_ node: Node, apaches: [String], hosts: (Node, String) -> [String]?) -> L4Spec? {
        let keys = ["host", "hosts", "vip", "vrrp", "mode", "scheduler", "weights", "check", "interval", "timeout", "fall", "rise",
                    "retry_delay", "bandwidth", "packet_cost", "expire_nodest_conn", "txqueuelen"]
        guard let m = r.mapping(node, path: "web.l4", allowed: keys, required: [], examples: [:]) else { return nil }
        if m.value("host") == nil && m.value("hosts") == nil {
            r.error(node, "web.l4 needs its director's host",
                    hint: "add host: lb1 (one director) or hosts: [lb1, lb2] with vip: (a VRRP pair)")
            return nil
        }
        var mode = L4Spec.Mode.nat
        var ok = true
        if let n = m.value("mode"), let v = r.string(n, path: m.path("mode")) {
            if let md = L4Spec.Mode(rawValue: v) { mode = md } else {
                r.error(n, "unknown web.l4.mode '\(v)'", hint: "one of: nat (default), dsr_l2, dsr_l3, lbaas")
                ok = false
            }
        } else if m.value("mode") != nil { ok = false }
        var l = L4Spec.defaults(for: mode)
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        if let n = m.value("host") {
            // One host, of its own (the same checks as the tier's lists).
            if let h = r.string(n, path: m.path("host")), b.checkHost(h, n, path: m.path("host")),
               let list = hosts(Node.sequence(Node.Sequence([Node(h)], Tag(.implicit), .flow, n.mark)), m.path("host")) {
                l.host = list[0]
            } else { ok = false }
        }
        if m.value("hosts") != nil || m.value("vip") != nil || m.value("vrrp") != nil {
            if let p = readL4Pair(m, mode: mode, hosts: hosts) {
                l.pairHosts = p.hosts
                l.host = p.hosts[0]
                l.vip = p.vip
                l.vrrp = p.vrrp
            } else { ok = false }
        }
        func oneOf<E: RawRepresentable & CaseIterable>(_ t: E.Type) -> (Node, String) -> E? where E.RawValue == String {
            { n, p in
                guard let v = r.string(n, path: p) else { return nil }
                if let e = E(rawValue: v) { return e }
                r.error(n, "unknown \(p) '\(v)'", hint: "one of: " + E.allCases.map(\.rawValue).joined(separator: ", "))
                return nil
            }
        }
        set("scheduler", oneOf(L4Spec.Scheduler.self)) { l.scheduler = $0 }
        set("check", oneOf(L4Spec.Check.self)) { l.check = $0 }
        set("interval", b.positiveDuration) { l.interval = $0 }
        set("timeout", b.positiveDuration) { l.timeout = $0 }
        set("retry_delay", b.positiveDuration) { l.retryDelay = $0 }
        set("fall", { b.int(in: 1...100, $0, path: $1) }) { l.fall = $0 }
        set("rise", { b.int(in: 1...100, $0, path: $1) }) { l.rise = $0 }
        set("bandwidth", b.bandwidth) { l.bandwidth = $0 }
        set("packet_cost", r.duration) { l.packetCost = $0 }
        set("txqueuelen", { b.int(in: 0...1_000_000, $0, path: $1, hint: "frames; 0 leaves the queue unbounded") }) { l.txQueueLen = $0 }
        set("expire_nodest_conn", r.bool) { l.expireNodestConn = $0 }
        if let n = m.value("weights"), let wm = r.mapping(n, path: "web.l4.weights", allowed: nil) {
            for e in wm.entries {
                guard apaches.contains(e.key) else {
                    r.error(e.keyNode, "\(e.key) in web.l4.weights is not one of web.apache.hosts",
                            hint: Suggestions.hint(for: e.key, in: apaches, listing: "Apache hosts") ?? "name an Apache host")
                    ok = false
                    continue
                }
                if let v = b.int(in: 0...65_535, e.value, path: wm.path(e.key)) { l.weights[e.key] = v } else { ok = false }
            }
        } else if m.value("weights") != nil { ok = false }
        // L2DSR rewrites the destination MAC: the real servers must be in the balancer's broadcast domain.
        if ok && mode == .dsrL2, let lbSite = b.siteOf?[l.host] {
            let away = apaches.filter { b.siteOf?[$0] != lbSite }
            if let first = away.first {
                r.error(m.value("mode")!, "web.l4.mode dsr_l2 needs the balancer and every Apache in one L2 domain: \(first) is in site \(b.siteOf?[first] ?? "?"), \(l.host) in \(lbSite)",
                        hint: "L2DSR rewrites MAC addresses, which do not cross a router: use mode: dsr_l3 (an IP-in-IP tunnel to each Apache, across sites) or nat")
                ok = false
            }
        }
        return ok ? l : nil
    }
}
