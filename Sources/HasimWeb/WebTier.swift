import HasimKernel
import HasimNetwork
import HasimWorkload

/// The web tier of one run: built from the `web:` section in front of whatever database
/// architecture the scenario runs; the Tomcats' JDBC pools are application clients like
/// any other (their ledgers join the run's ledger, so loss is measured on their writes too).
public final class WebTier {
    public let users: VirtualUsers
    public let tomcats: [Tomcat]
    public let apaches: [Apache]
    /// The L4 balancer in front of the Apaches (`web.l4`).
    public let balancer: L4Balancer?
    /// With `web.l4.hosts`: the VRRP pair of directors (`balancer` is its first).
    public private(set) var pair: L4Pair?

    /// `pool`: makes the JDBC pool of the Tomcat on a host (the runner gives it the
    /// database's address, port, driver settings and the group index).
    public init(_ spec: WebSpec, network: Network, pool: (Host, Int) -> ApplicationClient) {
        let tomcatHosts = spec.tomcat.hosts.map { network.host(named: $0)! }
        tomcats = tomcatHosts.enumerated().map { i, h in
            Tomcat(route: i, host: h, network: network, spec: spec.tomcat, users: spec.users, pool: pool(h, i))
        }
        if spec.tomcat.sessions != .none {
            let peers = tomcatHosts.map(\.address)
            for t in tomcats {
                let c = SessionCluster(tomcat: t, mode: spec.tomcat.sessions, peers: peers)
                t.cluster = c
                c.started()
            }
        }
        let targets: [IPAddress], port: Int
        if let a = spec.apache {
            let members = zip(spec.tomcat.hosts, tomcatHosts).map { (name: $0, address: $1.address) }
            apaches = a.hosts.map {
                Apache(host: network.host(named: $0)!, network: network, spec: a, jk: spec.modJK, proxy: spec.modProxy,
                       users: spec.users, tomcats: members)
            }
            if let l4 = spec.l4, !l4.pairHosts.isEmpty {
                let p = L4Pair(hosts: l4.pairHosts.map { network.host(named: $0)! }, network: network, spec: l4,
                               apaches: apaches.map(\.host))
                pair = p
                balancer = p.balancers[0]
                targets = [IPAddress(l4.vip)]
            } else if let l4 = spec.l4 {
                let lb = L4Balancer(host: network.host(named: l4.host)!, network: network, spec: l4, apaches: apaches.map(\.host))
                balancer = lb
                targets = [lb.address]
            } else {
                balancer = nil
                targets = apaches.map(\.host.address)
            }
            port = Apache.port
        } else {
            balancer = nil
            apaches = []
            targets = tomcatHosts.map(\.address)
            port = Tomcat.httpPort
        }
        users = VirtualUsers(host: network.host(named: spec.users.client)!, network: network, spec: spec.users,
                             targets: targets, port: port)
    }

    public func start(at start: SimTime, stop: SimTime) { users.start(at: start, stop: stop) }

    /// The administrator sets a Tomcat's mod_jk activation on every Apache (jkstatus).
    public func setActivation(_ tomcat: String, _ a: JKBalancer.Activation) {
        for apache in apaches { apache.setActivation(tomcat, a) }
    }

    /// The Tomcat on `host`, if one runs there.
    public func tomcat(on host: String) -> Tomcat? { tomcats.first { $0.host.name == host } }

    /// Whether `host` runs one of the Apaches behind the balancer (a drain or removal acts there).
    public func isBalancedApache(_ host: String) -> Bool { balancer != nil && apaches.contains { $0.host.name == host } }

    /// The administrator drains (weight 0), removes or restores an Apache on the balancer.
    public func drainApache(_ host: String) { for b in directors { b.setWeight(host, 0) } }
    public func removeApache(_ host: String, _ out: Bool) { for b in directors { b.setRemoved(host, out) } }
    /// The directors an administrator's ipvsadm change goes to (both of a pair: keepalived.conf is the same).
    private var directors: [L4Balancer] { pair?.balancers ?? (balancer.map { [$0] } ?? []) }

    public var outcome: WebOutcome {
        var o = WebOutcome(records: users.records, sessionsStarted: users.sessionsStarted, tomcats: tomcats.map(\.host.name),
                           bytesIn: users.bytesIn, bytesOut: users.bytesOut,
                           replicationMessages: tomcats.reduce(0) { $0 + ($1.cluster?.messagesSent ?? 0) })
        o.l4 = pair?.load ?? balancer?.load
        return o
    }
}
