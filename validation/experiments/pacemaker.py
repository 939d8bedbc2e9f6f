#!/usr/bin/python3
"""Corosync 3 + Pacemaker 2.1 moving a VIP between two MariaDB hosts (the cluster stack of the
DRBD + Pacemaker design, without DRBD: this kernel has no drbd module).
Usage: pacemaker.py pacemaker-failover [--reps N]

The hosts are the network namespaces of vip.py (hsv-app1, hsv-db1, hsv-db2 on a bridge in
hsv-sw, 10.213.0.0/24, nothing routed out). Each db host runs its own mariadbd and a Corosync
(knet transport, Debian 12's defaults: token 3000 ms, consensus 1.2 x token, two_node quorum)
+ Pacemaker stack with stonith-enabled=false; one resource, ocf:heartbeat:IPaddr2 for the VIP
(monitor 10 s), preferring db1. Corosync and Pacemaker keep state in /etc/corosync,
/var/lib/{corosync,pacemaker}, /run and talk over /dev/shm: each node's stack runs inside a
mount namespace of its own where those are private (and a UTS namespace named after the node),
so the machine's own files are never touched.

  pacemaker-failover   db1 holds the VIP; at 10 s db1's host dies (link down; every process in
                       it stopped). db2's corosync loses the token, forms a new membership;
                       Pacemaker recovers the VIP on db2; the client's writes resume there.
"""
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import ROOT, Client, create_app_schema, log, now, sh, write_result  # noqa: E402
from vip import HOSTS, NET, VIP, NsServer, client_through_failover, has_vip, make_segment, mac_of, ns  # noqa: E402


class Node:
    """One host's private namespaces: a holder process (sleep) whose mount/UTS namespaces
    every command of that node enters with nsenter."""

    def __init__(self, h):
        self.h = h
        self.d = f"{ROOT}/pm-{h}"
        shutil.rmtree(self.d, ignore_errors=True)
        os.makedirs(f"{self.d}/etc", exist_ok=True)
        setup = ("mount -t tmpfs hsv-run /run && mkdir -p /run/lock /run/resource-agents /run/crm && "
                 "mount -t tmpfs hsv-shm /dev/shm && chmod 1777 /dev/shm && "
                 "mount -t tmpfs hsv-cs /var/lib/corosync && "
                 "mount -t tmpfs hsv-pm /var/lib/pacemaker && "
                 "mkdir -p /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox "
                 "/var/lib/pacemaker/cores && chown -R hacluster:haclient /var/lib/pacemaker && "
                 f"mount --bind {self.d}/etc /etc/corosync && hostname {h} && exec sleep 100000")
        self.holder = hsv.spawn(["ip", "netns", "exec", ns(h), "unshare", "--uts", "--mount", "--propagation",
                                 "private", "sh", "-c", setup], f"{self.d}/holder.log")
        for _ in range(100):
            if sh(f"nsenter -t {self.holder.pid} -u hostname", check=False).stdout.strip() == h:
                break
            time.sleep(0.05)
        # The holder is `ip netns exec`'s child after exec: find the sleep itself.
        self.pid = int(sh(f"pgrep -P {self.holder.pid} sleep || echo {self.holder.pid}", check=False).stdout.split()[0])

    def argv(self, cmd):
        return ["nsenter", "-t", str(self.pid), "-n", "-m", "-u", "sh", "-c", cmd]

    def run(self, cmd, check=True):
        r = subprocess.run(self.argv(cmd), text=True, capture_output=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"{self.h}: {cmd}: {r.stderr.strip() or r.stdout.strip()}")
        return r.stdout

    def spawn(self, cmd, logname, env=None):
        return hsv.spawn(self.argv(cmd), f"{self.d}/{logname}", env={**os.environ, **(env or {})})


def corosync_conf(d):
    nodes = "".join(f"  node {{\n    ring0_addr: {NET}.{HOSTS[h]}\n    name: {h}\n    nodeid: {i}\n  }}\n"
                    for i, h in enumerate(("db1", "db2"), 1))
    return (f"totem {{\n  version: 2\n  cluster_name: hsv\n  transport: knet\n  crypto_cipher: none\n"
            f"  crypto_hash: none\n}}\nnodelist {{\n{nodes}}}\n"
            f"quorum {{\n  provider: corosync_votequorum\n  two_node: 1\n}}\n"
            f"logging {{\n  to_logfile: yes\n  logfile: {d}/corosync.log\n  to_syslog: no\n  to_stderr: no\n"
            f"  timestamp: hires\n}}\n")


def tail(path, h, t0, lines, stop):
    def read():
        while not os.path.exists(path) and not stop.is_set():
            time.sleep(0.05)
        with open(path, errors="replace") as f:
            while not stop.is_set():
                line = f.readline()
                if not line:
                    time.sleep(0.02)
                    continue
                lines.append((now() - t0, h, line.strip()))
    threading.Thread(target=read, daemon=True).start()


VIP_XML = (f'<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">'
           f'<instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="{VIP}"/>'
           f'<nvpair id="vip-cidr" name="cidr_netmask" value="24"/><nvpair id="vip-nic" name="nic" value="eth0"/>'
           f'</instance_attributes><operations><op id="vip-mon" name="monitor" interval="10s"/></operations>'
           f'</primitive>')


def run(reps):
    rows = []
    for r in range(reps):
        make_segment()
        db1, db2 = NsServer("db1", "db1").start(), NsServer("db2", "db2").start()
        for s in (db1, db2):
            create_app_schema(s)
        t0 = now()
        lines, stop_tail = [], threading.Event()
        nodes = {h: Node(h) for h in ("db1", "db2")}
        for h, n in nodes.items():
            open(f"{n.d}/corosync.log", "w").close()
            open(f"{n.d}/pacemaker.log", "w").close()
            with open(f"{n.d}/etc/corosync.conf", "w") as f:
                f.write(corosync_conf(n.d))
            tail(f"{n.d}/corosync.log", h, t0, lines, stop_tail)
            tail(f"{n.d}/pacemaker.log", h, t0, lines, stop_tail)
            n.spawn("exec corosync -f", "corosync.out")
        for h, n in nodes.items():
            n.spawn("exec /usr/sbin/pacemakerd", "pacemakerd.out", env={"PCMK_logfile": f"{n.d}/pacemaker.log"})
        deadline = now() + 90
        while now() < deadline:
            out = nodes["db1"].run("crm_mon -1 2>/dev/null", check=False)
            if "Online: [ db1 db2 ]" in out:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("pacemaker never showed both nodes online: "
                               + nodes["db1"].run("crm_mon -1 2>&1", check=False)[-500:])
        n1 = nodes["db1"]
        n1.run("crm_attribute -t crm_config -n stonith-enabled -v false")
        n1.run(f"cibadmin -C -o resources -X '{VIP_XML}'")
        n1.run("cibadmin -C -o constraints -X '<rsc_location id=\"vip-prefers-db1\" rsc=\"vip\" node=\"db1\" score=\"100\"/>'")
        deadline = now() + 60
        while now() < deadline and not has_vip("db1"):
            time.sleep(0.1)
        if not has_vip("db1"):
            raise RuntimeError("pacemaker never started the VIP on db1: " + n1.run("crm_mon -1 2>&1", check=False)[-500:])
        time.sleep(3)
        mac2 = mac_of("db2")
        def crash():
            sh(f"ip -n {ns('db1')} link set eth0 down")
            sh(f"ip netns pids {ns('db1')} | xargs -r kill -STOP", check=False)
        result = client_through_failover(crash, 25)
        stop_tail.set()
        c, tf, nb, off = result["c"], result["tf"], result["nb"], result["t0c"] - t0
        switched = next((t for t, mac, st in nb if t >= tf and mac == mac2), None)

        def after(pattern, host="db2"):
            t = next((t - off for t, h, l in lines if h == host and pattern in l and t - off >= tf), None)
            return round(t - tf, 3) if t is not None else None
        row = {"rep": r + 1, "write_downtime": round(c.write_downtime(tf), 3),
               "rto": round(c.rto(tf), 3) if c.rto(tf) is not None else None,
               "token_lost_after": after("has not been received"),
               "membership_after": after("A new membership"),
               "vip_up_on_db2_after": round(result["vip"][0] - tf, 3) if result["vip"] else None,
               "arp_points_to_db2_after": round(switched - tf, 3) if switched else None,
               "errors": c.errors_by_code(tf),
               "db2_log": [f"{round(t - off - tf, 2)} {l[:140]}" for t, h, l in lines
                           if h == "db2" and t - off >= tf
                           and any(k in l for k in ("membership", "token", "lost", "vip", "Initiating", "Result of"))][:24]}
        rows.append(row)
        log({k: v for k, v in row.items() if k != "db2_log"})
        hsv.cleanup()
    write_result("pacemaker-failover",
                 "Corosync 3.1 (knet, token 3000 ms, consensus 3600 ms, two_node) + Pacemaker 2.1 on db1 and db2, "
                 "stonith-enabled=false, one resource ocf:heartbeat:IPaddr2 for the VIP (monitor 10 s) preferring "
                 "db1; at 10 s db1's host dies (link down; every process stopped). The client on app1 writes 100/s "
                 "to the VIP through 8 connections with 100 ms probes.",
                 "network namespaces hsv-app1/db1/db2 on a bridge (10.213.0.0/24, nothing routed out); each node's "
                 "corosync and pacemaker in private mount and UTS namespaces (own /etc/corosync, /var/lib/corosync, "
                 "/var/lib/pacemaker, /run, /dev/shm; hostname = node name).", rows)


if __name__ == "__main__":
    hsv.main({"pacemaker-failover": run})
