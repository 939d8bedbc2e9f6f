import HasimKernel
import HasimWeb
import Yams

extension WebBuilder {
    /// web.l4.hosts / vip / vrrp: an active/standby pair of directors with keepalived's VRRP.
    func readL4Pair(_ m: YAMLMapping, mode: L4Spec.Mode, hosts: (Node, String) -> [String]?) -> (hosts: [String], vip: String, vrrp: L4Spec.VRRP)? {
        var ok = true
        if mode == .lbaas {
            r.error(m.keyNode("hosts") ?? m.keyNode("vip") ?? m.keyNode("vrrp") ?? m.node,
                    "web.l4.mode lbaas has no director pair: the provider runs it (no VIP, no VRRP)",
                    hint: "remove hosts/vip/vrrp, or use mode: nat, dsr_l2 or dsr_l3 with hosts: [lb1, lb2]")
            return nil
        }
        if let h = m.keyNode("host"), m.value("hosts") != nil {
            r.error(h, "web.l4 has both host and hosts", hint: "one director: host: lb1; a VRRP pair: hosts: [lb1, lb2]")
            return nil
        }
        guard let hn = m.value("hosts") else {
            r.error(m.keyNode("vip") ?? m.keyNode("vrrp") ?? m.node, "web.l4.vip and web.l4.vrrp belong to a pair of directors",
                    hint: "add hosts: [lb1, lb2], or drop vip/vrrp for one director on host:")
            return nil
        }
        guard let list = hosts(hn, m.path("hosts")) else { return nil }
        if list.count != 2 || list[0] == list[1] {
            r.error(hn, "web.l4.hosts needs two different directors, found \(list.count == 2 ? "the same one twice" : "\(list.count)")",
                    hint: "an active/standby pair: hosts: [lb1, lb2] (the first is the preferred MASTER)")
            ok = false
        }
        if ok, let sites = b.siteOf, sites[list[0]] != sites[list[1]] {
            r.error(hn, "web.l4.hosts \(list[0]) and \(list[1]) are in different sites (\(sites[list[0]] ?? "?"), \(sites[list[1]] ?? "?")): the VIP cannot move between them",
                    hint: "VRRP and the gratuitous ARP stay in one broadcast domain: put both directors in one site, or use DNS between sites")
            ok = false
        }
        var vip = ""
        if let n = m.value("vip") {
            if let v = r.string(n, path: m.path("vip")) {
                let parts = v.split(separator: ".", omittingEmptySubsequences: false)
                if parts.count == 4 && parts.allSatisfy({ UInt8($0) != nil }) && !b.allHosts.contains(v) { vip = v } else {
                    r.error(n, "web.l4.vip '\(v)' is not an IPv4 address of its own", hint: "a free address of the directors' subnet, e.g. vip: 10.0.0.80")
                    ok = false
                }
            } else { ok = false }
        } else {
            r.error(m.keyNode("hosts") ?? m.node, "web.l4.hosts without web.l4.vip", hint: "the users dial the pair's VIP: add vip: 10.0.0.80")
            ok = false
        }
        var vrrp = L4Spec.VRRP()
        if let n = m.value("vrrp") {
            guard let vm = r.mapping(n, path: "web.l4.vrrp", allowed: ["advert_int", "priorities", "preempt", "sync_daemon"]) else { return nil }
            if let a = vm.value("advert_int") {
                if let d = b.positiveDuration(a, path: vm.path("advert_int")) { vrrp.advertInt = d } else { ok = false }
            }
            if let p = vm.value("priorities") {
                if let items = r.sequence(p, path: vm.path("priorities")) {
                    let vs = items.compactMap { b.int(in: 1...254, $0, path: vm.path("priorities")) }
                    if vs.count != items.count { ok = false } else if vs.count != 2 {
                        r.error(p, "web.l4.vrrp.priorities needs one priority per director, found \(vs.count)", hint: "priorities: [101, 100]")
                        ok = false
                    } else { vrrp.priorities = vs }
                } else { ok = false }
            }
            if let p = vm.value("preempt") {
                if let v = r.bool(p, path: vm.path("preempt")) { vrrp.preempt = v } else { ok = false }
            }
            if let p = vm.value("sync_daemon") {
                if let v = r.bool(p, path: vm.path("sync_daemon")) { vrrp.syncDaemon = v } else { ok = false }
            }
        }
        return ok ? (list, vip, vrrp) : nil
    }
}
