import HasimKernel
import HasimWeb
import Yams

/// The keys of `web.mod_proxy`, as `hasim list` and scenarios/README.md document them.
enum ModProxyKeyCatalog {
    static let src = "httpd 2.4 mod_proxy / mod_proxy_balancer reference"
    static let keys: [MySQLKeyDoc] = [
        .init(key: "mod_proxy", defaultValue: "(absent: mod_jk)", unit: "mapping",
              help: "Apache forwards dynamic requests with mod_proxy_balancer over HTTP (Tomcat's 8080 connector) instead of mod_jk over AJP",
              source: src),
        .init(key: "mod_proxy.lbmethod", defaultValue: "byrequests", unit: "byrequests or bybusyness",
              help: "byrequests: weighted request counts; bybusyness: fewest requests in flight", source: "mod_lbmethod_byrequests.c, mod_lbmethod_bybusyness.c"),
        .init(key: "mod_proxy.loadfactor", defaultValue: "1 each", unit: "{tomcat host: 1...100}",
              help: "BalancerMember loadfactor: share of requests per Tomcat", source: src),
        .init(key: "mod_proxy.stickysession", defaultValue: "none", unit: "JSESSIONID, JSESSIONID|jsessionid or none",
              help: "follow the route after the session cookie's dot (route= per member = Tomcat's jvmRoute); without it every request is balanced and, without session clustering, a user is logged out whenever another Tomcat answers",
              source: src + ": stickysession has no default"),
        .init(key: "mod_proxy.nofailover", defaultValue: "false", unit: "true or false",
              help: "a session whose Tomcat is unusable gets a 503 instead of another Tomcat", source: src + ": nofailover Off"),
        .init(key: "mod_proxy.maxattempts", defaultValue: "members - 1", unit: "attempts (0...100)",
              help: "failover attempts after the first member refused the connection", source: "mod_proxy_balancer.c:128-129"),
        .init(key: "mod_proxy.retry", defaultValue: "60s", unit: "duration",
              help: "a member in error is not tried again for this long; then the next request that looks at it tries it",
              source: "mod_proxy.h PROXY_WORKER_DEFAULT_RETRY 60; proxy_util.c ap_proxy_retry_worker"),
        .init(key: "mod_proxy.forcerecovery", defaultValue: "true", unit: "true or false",
              help: "with every member in error, clear them all and try anyway", source: "mod_proxy_balancer.c force_recovery; forcerecovery On"),
        .init(key: "mod_proxy.connectiontimeout", defaultValue: "60s", unit: "duration (> 0)",
              help: "connect timeout to a Tomcat (then 503 and the member is in error)", source: src + ": connectiontimeout unset = Timeout 60 s"),
        .init(key: "mod_proxy.timeout", defaultValue: "60s", unit: "duration (> 0)",
              help: "wait for a Tomcat's reply: then 504, no failover; a connection closed after the request was sent is a 502, no failover",
              source: "ProxyTimeout unset = Timeout 60 s; mod_proxy_http.c 'Error reading from remote server'"),
        .init(key: "mod_proxy.ping", defaultValue: "0s (unset)", unit: "duration",
              help: "a write page's POST goes with Expect: 100-continue and the Tomcat must answer 100 within this, else 503 and the member is in error (the request goes to another); reads are not tested",
              source: "mod_proxy.h PROXY_SHOULD_PING_100_CONTINUE (ping set, a request body); mod_proxy_http.c:2158"),
        .init(key: "mod_proxy.hot_standby", defaultValue: "none", unit: "[tomcat host, ...]",
              help: "BalancerMember status=+H: used only when no other member is usable",
              source: "proxy_util.c proxy_balancer_get_best_worker: standbys 'as a last resort'"),
        .init(key: "mod_proxy.failonstatus", defaultValue: "none", unit: "[HTTP status, ...] (100...599)",
              help: "a Tomcat reply with one of these statuses puts the member in error for `retry` (the reply still goes to the user)",
              source: "mod_proxy_balancer.c proxy_balancer_post_request: errstatuses"),
    ]
}

extension WebBuilder {
    func readModProxy(_ node: Node, tomcats: [String]) -> ModProxySpec? {
        let keys = ["lbmethod", "loadfactor", "stickysession", "nofailover", "maxattempts", "retry", "forcerecovery",
                    "connectiontimeout", "timeout", "ping", "hot_standby", "failonstatus"]
        guard let m = r.mapping(node, path: "web.mod_proxy", allowed: keys) else { return nil }
        var p = ModProxySpec()
        var ok = true
        func set<T>(_ key: String, _ read: (Node, String) -> T?, _ assign: (T) -> Void) {
            guard let n = m.value(key) else { return }
            if let v = read(n, m.path(key)) { assign(v) } else { ok = false }
        }
        set("lbmethod", { n, path in r.string(n, path: path).flatMap { s in
            ModProxySpec.LBMethod(rawValue: s) ?? {
                r.error(n, "unknown \(path) '\(s)'", hint: "one of: byrequests (default), bybusyness"); return nil }() } }) { p.lbmethod = $0 }
        set("stickysession", { n, path in r.string(n, path: path).flatMap { s -> Bool? in
            switch s {
            case "none": return false
            case "JSESSIONID", "JSESSIONID|jsessionid": return true
            default:
                r.error(n, "\(path) '\(s)' is not Tomcat's session cookie",
                        hint: "Tomcat's cookie is JSESSIONID: write JSESSIONID|jsessionid, or none")
                return nil
            }
        } }) { p.stickySession = $0 }
        set("nofailover", r.bool) { p.noFailover = $0 }
        set("maxattempts", { b.int(in: 0...100, $0, path: $1) }) { p.maxAttempts = $0 }
        set("retry", r.duration) { p.retry = $0 }
        set("forcerecovery", r.bool) { p.forceRecovery = $0 }
        set("connectiontimeout", b.positiveDuration) { p.connectionTimeout = $0 }
        set("timeout", b.positiveDuration) { p.timeout = $0 }
        set("loadfactor", { n, _ in readFactors(n, path: "web.mod_proxy.loadfactor", tomcats: tomcats) }) { p.loadfactor = $0 }
        set("ping", r.duration) { p.ping = $0 }
        set("hot_standby", { n, path in r.stringList(n, path: path).flatMap { list -> Set<String>? in
            var out: Set<String> = []
            for (h, hn) in list {
                guard tomcats.contains(h) else {
                    r.error(hn, "\(h) in \(path) is not one of web.tomcat.hosts",
                            hint: Suggestions.hint(for: h, in: tomcats, listing: "Tomcat hosts"))
                    return nil
                }
                out.insert(h)
            }
            guard out.count < tomcats.count else {
                r.error(n, "every Tomcat in \(path) is a hot standby", hint: "a standby is used only when the others are unusable: leave at least one out")
                return nil
            }
            return out
        } }) { p.hotStandby = $0 }
        set("failonstatus", { n, path in r.sequence(n, path: path).flatMap { items -> [Int16]? in
            var out: [Int16] = []
            for (k, item) in items.enumerated() {
                guard let v = b.int(in: 100...599, item, path: "\(path)[\(k)]", hint: "HTTP status codes, e.g. [503]") else { return nil }
                out.append(Int16(v))
            }
            return out
        } }) { p.failOnStatus = $0 }
        return ok ? p : nil
    }

    /// A balancer's weights: {tomcat host: 1...100}, each host one of web.tomcat.hosts.
    func readFactors(_ n: Node, path: String, tomcats: [String]) -> [String: Int]? {
        guard let lm = r.mapping(n, path: path, allowed: nil) else { return nil }
        var out: [String: Int] = [:]
        var ok = true
        for e in lm.entries {
            guard tomcats.isEmpty || tomcats.contains(e.key) else {
                r.error(e.keyNode, "\(e.key) in \(path) is not one of web.tomcat.hosts",
                        hint: Suggestions.hint(for: e.key, in: tomcats, listing: "Tomcat hosts"))
                ok = false
                continue
            }
            if let v = b.int(in: 1...100, e.value, path: lm.path(e.key)) { out[e.key] = v } else { ok = false }
        }
        return ok ? out : nil
    }
}
