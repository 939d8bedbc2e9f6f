#!/usr/bin/python3
"""A VIP moving between two hosts of one L2 segment, as the client's ARP cache sees it.
Usage: vip.py vip-garp|vip-no-garp|keepalived-failover|keepalived-split-brain [--reps N]

Layer 2 needs real interfaces, so these hosts are network namespaces (hsv-app1, hsv-db1,
hsv-db2) with veth pairs on a bridge that lives in its own namespace (hsv-sw): the segment
10.213.0.0/24 exists only inside them, nothing is routed out. db1 = .11, db2 = .12, the
client app1 = .10, the VIP = .100. Each db host runs its own mariadbd (listening on every
address of its namespace); the client writes to the VIP.

  vip-garp       db1 holds the VIP; at 10 s its host dies (link down, mysqld stopped); at 11 s
                 a script raises the VIP on db2 (ip addr add) and sends a gratuitous ARP
                 (arping -U -c 1), as master_ip_failover scripts and keepalived do.
  vip-no-garp    the same without the gratuitous ARP: the client's stale ARP entry must age
                 out (Linux NUD: REACHABLE -> STALE -> DELAY 5 s -> 3 unicast probes -> FAILED)
                 before it asks again.
  keepalived-failover  keepalived 2.2 on db1 (priority 101) and db2 (100), advert_int 1 (the
                 defaults otherwise); at 10 s db1's host dies; db2 becomes MASTER after
                 3 x advert_int + skew and sends its gratuitous ARPs.
  keepalived-split-brain  the same pair; at 10 s db2 stops hearing VRRP (nft drop on db2), at
                 20 s it hears again. tcpdump on the client's interface (lib/l2capture.py) records
                 every ARP and VRRP frame, so the run says whose gratuitous ARP came last when db2
                 became MASTER beside db1 (first_round) and how long the client stayed on db2.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from l2capture import L2Capture  # noqa: E402
from hsv import ROOT, Client, create_app_schema, log, now, sh, write_result  # noqa: E402

NET = "10.213.0"
VIP = f"{NET}.100"
HOSTS = {"app1": 10, "db1": 11, "db2": 12}


def ns(h):
    return f"hsv-{h}"


def make_segment():
    hsv.netns_add("hsv-sw")
    sh("ip -n hsv-sw link add br0 type bridge && ip -n hsv-sw link set br0 up")
    for h, i in HOSTS.items():
        hsv.netns_add(ns(h))
        sh(f"ip link add hsv-{h}-e type veth peer name hsv-{h}-p")
        sh(f"ip link set hsv-{h}-e netns {ns(h)} && ip -n {ns(h)} link set hsv-{h}-e name eth0")
        sh(f"ip link set hsv-{h}-p netns hsv-sw && ip -n hsv-sw link set hsv-{h}-p master br0 up")
        sh(f"ip -n {ns(h)} addr add {NET}.{i}/24 dev eth0 && ip -n {ns(h)} link set eth0 up "
           f"&& ip -n {ns(h)} link set lo up")


def enter(h):
    """Moves this thread (and the threads it starts later) into host h's network namespace."""
    hsv.enter_netns(ns(h))


class NsServer(hsv.NamespacedServer):
    """A mariadbd on host h's namespace."""

    def __init__(self, name, host):
        super().__init__(name, f"{NET}.{HOSTS[host]}", ns(host), extra={"bind-address": "0.0.0.0"})


def neigh_watch(t0, out, stop):
    """The client host's ARP entry for the VIP every 50 ms: (t, lladdr, state)."""
    def run():
        while not stop.is_set():
            r = sh(f"ip -n {ns('app1')} neigh show {VIP}", check=False).stdout.split()
            mac = r[r.index("lladdr") + 1] if "lladdr" in r else None
            out.append((now() - t0, mac, r[-1] if r else "none"))
            time.sleep(0.05)
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


def mac_of(h):
    return sh(f"ip -n {ns(h)} -o link show eth0").stdout.split("link/ether")[1].split()[0]


def keepalived(h, prio, t0, lines):
    d = f"{ROOT}/{h}-ka"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/keepalived.conf", "w") as f:
        f.write(f"global_defs {{\n  router_id {h}\n}}\nvrrp_instance VI_1 {{\n  state BACKUP\n  interface eth0\n"
                f"  virtual_router_id 51\n  priority {prio}\n  advert_int 1\n"
                f"  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n")
    import subprocess
    p = subprocess.Popen(["ip", "netns", "exec", ns(h), "keepalived", "-n", "-l", "-D", "-f", f"{d}/keepalived.conf",
                          "-p", f"{d}/k.pid", "-r", f"{d}/v.pid", "-c", f"{d}/c.pid"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    hsv._procs.append(p)

    def read():
        for line in p.stdout:
            lines.append((now() - t0, h, line.strip()))
    threading.Thread(target=read, daemon=True).start()
    return p


def crash_host(h, procs):
    sh(f"ip -n {ns(h)} link set eth0 down")
    for p in procs:
        os.killpg(p.pid, 19)


def has_vip(h):
    return f"{VIP}/" in sh(f"ip -n {ns(h)} addr show eth0", check=False).stdout


def client_through_failover(crash, after_s):
    """The client on app1 writes 100/s to the VIP (8 connections, 100 ms probes); at 10 s
    `crash()` kills db1's host; the client goes on for `after_s` while the VIP's arrival on db2
    is watched. Returns the client, the fault time, the ARP samples, the client's t0 and the
    VIP-up times (all relative to the client's t0)."""
    result = {}

    def client_side():
        enter("app1")
        t0c = now()
        c = Client(lambda: (VIP, 3306), rate=100, pool=8).start(t0c)
        nb, stop = [], threading.Event()
        neigh_watch(t0c, nb, stop)
        vip_seen = []

        def watch_vip():
            while not stop.is_set():
                if has_vip("db2"):
                    vip_seen.append(now() - t0c)
                    return
                time.sleep(0.02)
        time.sleep(10)
        crash()
        tf = now() - t0c
        threading.Thread(target=watch_vip, daemon=True).start()
        time.sleep(after_s)
        c.stop()
        stop.set()
        result.update(c=c, tf=tf, nb=nb, t0c=t0c, vip=vip_seen)
    th = threading.Thread(target=client_side)
    th.start()
    th.join(120)
    return result


def split_frames(frames, tf, th, nb, mac1, mac2):
    """What the capture on the client's interface says about the split brain: the frames after
    the link loss (times after the fault), the first GARPs of db2 and of db1 after db2 became
    MASTER, and how long the client's ARP entry pointed at db2."""
    fr = [dict(f, t=round(f["t"] - tf, 4)) for f in frames if tf - 0.2 <= f["t"] <= th + 5]
    g2 = next((f["t"] for f in fr if f["kind"] == "garp" and f["src"] == "db2"), None)
    g1 = next((f["t"] for f in fr if g2 is not None and f["kind"] == "garp" and f["src"] == "db1" and f["t"] >= g2), None)
    on2 = [t - tf for t, mac, st in nb if t >= tf and mac == mac2]
    back = next((t - tf for t, mac, st in nb if on2 and t - tf > on2[0] and mac == mac1), None)
    return {"frames_after_fault": [f"{f['t']} {f['src']}>{f['dst']} {f['kind']}"
                                   + (f" prio {f['prio']}" if "prio" in f else "")
                                   + (f" who-has {f['who_has']} tell {f['tell']}" if f["kind"] == "arp-request" else "")
                                   for f in fr][:200],
            "db2_first_garp_after_link_loss": g2,
            "db1_first_garp_after_db2_garp": round(g1 - g2, 4) if g1 is not None else None,
            "db1_garps_within_1s_of_db2_garp": sum(1 for f in fr if g2 is not None and f["kind"] == "garp"
                                                   and f["src"] == "db1" and g2 <= f["t"] < g2 + 1),
            "db2_garps_during_split": sum(1 for f in fr if f["kind"] == "garp" and f["src"] == "db2"),
            "client_arp_on_db2_for": round(back - on2[0], 3) if back is not None else None,
            **first_round(fr)}


def first_round(frames):
    """The race when db2 becomes MASTER, from the frames: db2 sends its advert, then adds the VIP
    (netlink) and sends its gratuitous ARPs; db1 hears the lower-priority advert and answers with
    its own advert and gratuitous ARPs (vrrp.c vrrp_state_master_rx). Whoever's last GARP of that
    exchange the client hears last is where its ARP entry points until db2's next advert. Frames
    are dicts (t, src, kind) or the strings of frames_after_fault."""
    fr = [f if isinstance(f, dict) else {"t": float(f.split()[0]), "src": f.split()[1].split(">")[0],
                                         "kind": f.split()[2]} for f in frames]
    a2 = next((f["t"] for f in fr if f["kind"] == "vrrp" and f["src"] == "db2"), None)
    if a2 is None:
        return {}
    window = [f for f in fr if a2 <= f["t"] <= a2 + 0.2]
    a1 = next((f["t"] for f in window if f["kind"] == "vrrp" and f["src"] == "db1"), None)
    g2 = next((f["t"] for f in window if f["kind"] == "garp" and f["src"] == "db2"), None)
    g1 = next((f["t"] for f in window if f["kind"] == "garp" and f["src"] == "db1"), None)
    last = [f["src"] for f in window if f["kind"] == "garp"][-1:]
    ms = lambda x: round((x - a2) * 1000, 1) if x is not None else None
    return {"db1_advert_after_db2_advert_ms": ms(a1), "db1_garp_after_db2_advert_ms": ms(g1),
            "db2_garp_after_own_advert_ms": ms(g2),
            "db2_last_garp_of_first_round": (1 if last == ["db2"] else 0) if last else None}


def run(reps, mode):
    rows = []
    for r in range(reps):
        make_segment()
        db1, db2 = NsServer("db1", "db1").start(), NsServer("db2", "db2").start()
        for s in (db1, db2):
            create_app_schema(s)
        t0 = now()
        ka_lines = []
        kas = {}
        if mode in ("keepalived", "split"):
            kas["db1"] = keepalived("db1", 101, t0, ka_lines)
            time.sleep(1.5)
            kas["db2"] = keepalived("db2", 100, t0, ka_lines)
            deadline = now() + 15
            while now() < deadline and f"{VIP}/" not in sh(f"ip -n {ns('db1')} addr show eth0").stdout:
                time.sleep(0.1)
        else:
            sh(f"ip -n {ns('db1')} addr add {VIP}/24 dev eth0")
            sh(f"ip netns exec {ns('db1')} arping -q -U -c 1 -I eth0 {VIP}", check=False)
        mac1, mac2 = mac_of("db1"), mac_of("db2")
        # The client lives in app1: this thread enters its namespace, and so do the client's threads.
        result = {}

        def client_side():
            enter("app1")
            t0c = now()
            c = Client(lambda: (VIP, 3306), rate=100, pool=8).start(t0c)
            nb, stop = [], threading.Event()
            neigh_watch(t0c, nb, stop)
            if mode == "split":
                # What the client's interface hears: every GARP and advert, timestamped by the kernel.
                cap = L2Capture(ns("app1"), name=f"rep{r + 1}").start()
                result["cap"] = cap
                result["epoch_t0c"] = time.time() - (now() - t0c)
            time.sleep(10)
            if mode == "split":
                # db2 stops hearing db1's VRRP adverts (the heartbeat link fails); both live.
                sh(f"ip netns exec {ns('db2')} nft 'add table inet hsvs; add chain inet hsvs in "
                   f"{{ type filter hook input priority 0; }}; add rule inet hsvs in ip protocol vrrp drop'")
            else:
                crash_host("db1", [db1.proc] + ([kas["db1"]] if kas else []))
            tf = now() - t0c
            if mode == "split":
                time.sleep(10)
                sh(f"ip netns exec {ns('db2')} nft delete table inet hsvs")
                result["th"] = now() - t0c
            elif mode != "keepalived":
                time.sleep(1.0)
                sh(f"ip -n {ns('db2')} addr add {VIP}/24 dev eth0")
            tv = now() - t0c     # the VIP is up on db2 (keepalived: not used)
            if mode == "garp":
                sh(f"ip netns exec {ns('db2')} arping -q -U -c 1 -I eth0 {VIP}", check=False)
            time.sleep(50 if mode == "no-garp" else 20)
            if "cap" in result:
                result["cap"].stop()
            result["on_db2"] = {x[0] for x in db2.sql(f"SELECT seq FROM hsv.ledger WHERE client = {c.client_id}")}
            c.stop()
            stop.set()
            result.update(c=c, tf=tf, tv=tv, nb=nb, t0c=t0c)
        th = threading.Thread(target=client_side)
        th.start()
        th.join(120)
        c, tf, tv, nb = result["c"], result["tf"], result["tv"], result["nb"]
        switched = next((t for t, mac, st in nb if t >= tf and mac == mac2), None)
        row = {"rep": r + 1, "write_downtime": round(c.write_downtime(tf), 3),
               "rto": round(c.rto(tf), 3) if c.rto(tf) is not None else None,
               "arp_points_to_db2_after": round(switched - tf, 3) if switched else None,
               "errors": c.errors_by_code(tf),
               "arp_states_after_fault": sorted({st for t, mac, st in nb if t >= tf})}
        if mode == "split":
            off = result["t0c"] - t0
            th = result["th"]
            m2 = next((t - off for t, h, l in ka_lines if h == "db2" and "Entering MASTER STATE" in l and t - off >= tf), None)
            b2 = next((t - off for t, h, l in ka_lines if h == "db2" and "BACKUP STATE" in l and t - off >= th), None)
            row["db2_master_after_link_loss"] = round(m2 - tf, 3) if m2 is not None else None
            row["two_masters_for"] = round(b2 - m2, 3) if m2 is not None and b2 is not None else None
            row["db2_backup_after_heal"] = round(b2 - th, 3) if b2 is not None else None
            row["writes_acked_by_db2"] = sum(1 for a in c.acks if a[0] in result["on_db2"])
            row["write_downtime_after_heal"] = round(c.write_downtime(th), 3)
            mac_at_end = nb[-1][1] if nb else None
            row["arp_on_db2_at_end"] = mac_at_end == mac2
            row["keepalived"] = [f"{round(t - off - tf, 3)} {h} {l[:140]}" for t, h, l in ka_lines
                                 if t - off >= tf][:40]
            row.update(split_frames(result["cap"].frames({"db1": mac1, "db2": mac2, "app1": mac_of("app1")},
                                                         result["epoch_t0c"]), tf, th, nb, mac1, mac2))
        elif mode == "keepalived":
            off = result["t0c"] - t0
            master = next((t - off for t, h, l in ka_lines if h == "db2" and "Entering MASTER STATE" in l), None)
            row["db2_master_after"] = round(master - tf, 3) if master is not None else None
            row["keepalived_db2"] = [f"{round(t - off - tf, 2)} {l[:120]}" for t, h, l in ka_lines
                                     if h == "db2" and t - off >= tf][:12]
        else:
            row["vip_raised_after"] = round(tv - tf, 3)
            back = [a[2] for a in c.acks if a[1] >= tv] + [p[2] for p in c.probes if p[1] and p[0] >= tv]
            row["first_ack_after_vip_raised"] = round(min(back) - tv, 3) if back else None
        rows.append(row)
        log({k: v for k, v in row.items() if k not in ("keepalived_db2", "keepalived")})
        hsv.cleanup()
    story = {"garp": "db1 holds the VIP; at 10 s its host dies (link down, mysqld stopped); 1 s later a script "
                     "raises the VIP on db2 (ip addr add) and sends one gratuitous ARP (arping -U).",
             "no-garp": "as vip-garp, but the script only runs ip addr add on db2: no gratuitous ARP.",
             "keepalived": "keepalived 2.2 (VRRP, virtual_router_id 51, advert_int 1, priorities 101/100, "
                           "defaults otherwise) on db1 and db2; at 10 s db1's host dies (link down; mysqld and "
                           "keepalived stopped).",
             "split": "keepalived 2.2 on db1 (priority 101, MASTER) and db2 (100); at 10 s db2 stops receiving "
                      "VRRP (nft drop of protocol vrrp on db2: the heartbeat link fails, both hosts live) and "
                      "becomes MASTER too; at 20 s the link heals."}[mode]
    write_result({"garp": "vip-garp", "no-garp": "vip-no-garp", "keepalived": "keepalived-failover",
                  "split": "keepalived-split-brain"}[mode],
                 story + " The client on app1 writes 100/s to the VIP through 8 connections with 100 ms probes.",
                 "network namespaces hsv-app1/db1/db2 with veth pairs on a bridge in its own namespace "
                 "(10.213.0.0/24, nothing routed out); the client's ARP entry for the VIP read every 50 ms "
                 "(ip neigh); Linux defaults (base_reachable_time 30 s, delay_first_probe_time 5 s, "
                 "ucast_solicit 3, retrans_time 1 s).", rows)


if __name__ == "__main__":
    hsv.main({"vip-garp": lambda n: run(n, "garp"), "vip-no-garp": lambda n: run(n, "no-garp"),
              "keepalived-failover": lambda n: run(n, "keepalived"),
              "keepalived-split-brain": lambda n: run(n, "split")})
