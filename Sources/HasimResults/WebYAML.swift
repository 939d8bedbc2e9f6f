import HasimKernel
import HasimWeb
import HasimScenario

/// The `web:` section resolved (every default written), for ScenarioYAML and
/// ScenarioParameters: a stored run re-runs with the same web tier.
extension ScenarioYAML {
    static func web(_ w: WebSpec) -> [String] {
        let u = w.users
        var out = ["web:"]
        out.append("  users: {client: \(q(u.client)), count: \(u.count), think_time: \(d(u.thinkTime)), think_sigma: \(num(u.thinkSigma)), "
            + "session_pages: \(u.sessionPages), mix: {static: \(num(u.mix.staticFile)), read: \(num(u.mix.read)), write: \(num(u.mix.write))}, "
            + "timeout: \(d(u.timeout)), request_bytes: \(u.requestBytes), static_bytes: \(u.staticBytes), page_bytes: \(u.pageBytes)}")
        if let a = w.apache {
            out.append("  apache: {hosts: \(list(a.hosts)), max_request_workers: \(a.maxRequestWorkers), listen_backlog: \(a.listenBacklog), "
                + "static_time: \(d(a.staticTime)), keep_alive_timeout: \(d(a.keepAliveTimeout)), max_keep_alive_requests: \(a.maxKeepAliveRequests)}")
            let j = w.modJK
            let factors = j.lbfactor.keys.sorted().map { "\(q($0)): \(j.lbfactor[$0]!)" }.joined(separator: ", ")
            out.append("  mod_jk: {lbfactor: {\(factors)}, sticky_session: \(j.stickySession), sticky_session_force: \(j.stickySessionForce), "
                + "retries: \(j.retries), retry_interval: \(d(j.retryInterval)), recover_time: \(d(j.recoverTime)), maintain: \(d(j.maintain)), "
                + "socket_connect_timeout: \(d(j.socketConnectTimeout)), reply_timeout: \(d(j.replyTimeout))}")
        }
        if let l = w.l4 {
            let weights = l.weights.keys.sorted().map { "\(q($0)): \(l.weights[$0]!)" }.joined(separator: ", ")
            out.append("  l4: {host: \(q(l.host)), mode: \(l.mode.rawValue), scheduler: \(l.scheduler.rawValue), weights: {\(weights)}, "
                + "check: \(l.check.rawValue), interval: \(d(l.interval)), timeout: \(d(l.timeout)), fall: \(l.fall), rise: \(l.rise), "
                + "retry_delay: \(d(l.retryDelay)), \(l.bandwidth > 0 ? "bandwidth: \(BandwidthParser.format(l.bandwidth)), " : "")"
                + "packet_cost: \(d(l.packetCost)), expire_nodest_conn: \(l.expireNodestConn)}")
        }
        let t = w.tomcat
        out.append("  tomcat: {hosts: \(list(t.hosts)), max_threads: \(t.maxThreads), accept_count: \(t.acceptCount), "
            + "servlet_time: \(d(t.servletTime)), sessions: \(t.sessions.rawValue), session_timeout: \(d(t.sessionTimeout))}")
        return out
    }
}
