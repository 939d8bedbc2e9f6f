#!/usr/bin/python3
"""Heartbeat 3 (v1 haresources mode, as the seed notes' "HeartBeat + Mon" design uses it)
moving a VIP between two MariaDB hosts of one L2 segment.
Usage: heartbeat.py heartbeat-failover [--reps N]

The hosts are the network namespaces of vip.py (hsv-app1, hsv-db1, hsv-db2 on a bridge in
hsv-sw, 10.213.0.0/24, nothing routed out). Each db host runs its own mariadbd and its own
heartbeat daemon (Debian 12's heartbeat 3.0.6) with unicast heartbeats on eth0 over UDP 694,
keepalive 1 s, deadtime 10 s, warntime 5 s, auto_failback off, and the resource group
`db1 IPaddr2::VIP/24/eth0` (the OCF IPaddr2 agent: ip addr add, then gratuitous ARPs by
send_arp). Heartbeat reads /etc/ha.d and keeps its state in /var/lib/heartbeat and /run: each
daemon runs in a mount namespace of its own where those are private copies (and in a UTS
namespace whose hostname is its node name), so the machine's own files are never touched.

  heartbeat-failover   db1 holds the VIP; at 10 s db1's host dies (link down; mysqld and
                       heartbeat stopped). db2 declares db1 dead after deadtime and takes
                       over the resource group; the client's writes resume on db2.
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
from vip import HOSTS, NET, VIP, NsServer, client_through_failover, crash_host, has_vip, make_segment, mac_of, ns  # noqa: E402

KEEPALIVE, DEADTIME, WARNTIME, INITDEAD = 1, 10, 5, 20


def heartbeat(h, t0, lines):
    """Starts heartbeat on host h with private /etc/ha.d, /var/lib/heartbeat and /run."""
    d = f"{ROOT}/hb-{h}"
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree("/etc/ha.d", f"{d}/etc", symlinks=True)
    os.makedirs(f"{d}/lib", exist_ok=True)
    peer = "db2" if h == "db1" else "db1"
    with open(f"{d}/etc/ha.cf", "w") as f:
        f.write(f"logfile {d}/ha.log\nuse_logd no\nkeepalive {KEEPALIVE}\ndeadtime {DEADTIME}\n"
                f"warntime {WARNTIME}\ninitdead {INITDEAD}\nudpport 694\n"
                f"ucast eth0 {NET}.{HOSTS[peer]}\nauto_failback off\nnode db1\nnode db2\ncrm no\n")
    # The group as hasim's HeartBeat + Mon models it: first the mysqld resource (a heartbeat
    # resource script that opens the local server for writes, read_only=0, and reports
    # "running" when it is writable), then the VIP.
    with open(f"{d}/etc/resource.d/mysql-rw", "w") as f:
        f.write("#!/bin/sh\n"
                f"q() {{ mysql -uroot --connect-timeout=5 -S {ROOT}/{h}/mysqld.sock -N -e \"$1\"; }}\n"
                "case \"$1\" in\n"
                "  start) q 'SET GLOBAL read_only=0' ;;\n"
                "  stop) q 'SET GLOBAL read_only=1' ;;\n"
                "  status) if [ \"$(q 'SELECT @@read_only' 2>/dev/null)\" = 0 ]; then echo running; else echo stopped; fi ;;\n"
                "esac\n"
                "exit 0\n")
    os.chmod(f"{d}/etc/resource.d/mysql-rw", 0o755)
    with open(f"{d}/etc/haresources", "w") as f:
        f.write(f"db1 mysql-rw IPaddr2::{VIP}/24/eth0\n")
    with open(f"{d}/etc/authkeys", "w") as f:
        f.write("auth 1\n1 crc\n")
    os.chmod(f"{d}/etc/authkeys", 0o600)
    open(f"{d}/ha.log", "w").close()
    script = (f"mount --bind {d}/etc /etc/ha.d && mount -t tmpfs hsv-run /run && "
              f"mkdir -p /run/heartbeat/rsctmp /run/lock /run/resource-agents && "
              f"mount -t tmpfs hsv-lib /var/lib/heartbeat && "
              f"chown hacluster:haclient /var/lib/heartbeat && "
              f"hostname {h} && exec /usr/libexec/heartbeat/heartbeat -f")
    p = hsv.spawn(["ip", "netns", "exec", ns(h), "unshare", "--uts", "--mount", "--propagation", "private",
                   "sh", "-c", script], f"{d}/stdout.log")

    def read():
        with open(f"{d}/ha.log") as f:
            while True:
                line = f.readline()
                if not line:
                    if p.poll() is not None:
                        return
                    time.sleep(0.02)
                    continue
                lines.append((now() - t0, h, line.strip()))
    threading.Thread(target=read, daemon=True).start()
    return p


def run(reps):
    rows = []
    for r in range(reps):
        make_segment()
        db1, db2 = NsServer("db1", "db1").start(), NsServer("db2", "db2").start()
        for s in (db1, db2):
            create_app_schema(s)
        # Both start read-only: heartbeat's start of the group on db1 opens db1 (a group whose
        # first resource already reports "running" is taken as held and not started at all),
        # and db2's takeover opens db2. (The app user has READ_ONLY ADMIN through ALL, so the
        # flag costs the script's time without refusing writes.)
        for s in (db1, db2):
            s.sql("SET GLOBAL read_only=1")
        t0 = now()
        lines = []
        hb = {"db1": heartbeat("db1", t0, lines), "db2": heartbeat("db2", t0, lines)}
        deadline = now() + INITDEAD + 40
        while now() < deadline and not has_vip("db1"):
            time.sleep(0.1)
        if not has_vip("db1"):
            raise RuntimeError("heartbeat never raised the VIP on db1: " + "; ".join(l for _, _, l in lines[-8:]))
        time.sleep(3)   # past the initial resource acquisition, the send_arp burst included
        mac2 = mac_of("db2")
        def crash():
            crash_host("db1", [db1.proc, hb["db1"]])
            # heartbeat daemonizes out of its process group: stop everything left in the host.
            sh(f"ip netns pids {ns('db1')} | xargs -r kill -STOP", check=False)
        result = client_through_failover(crash, DEADTIME + 15)
        c, tf, nb, off = result["c"], result["tf"], result["nb"], result["t0c"] - t0
        switched = next((t for t, mac, st in nb if t >= tf and mac == mac2), None)

        def after(pattern, host="db2"):
            t = next((t - off for t, h, l in lines if h == host and pattern in l and t - off >= tf), None)
            return round(t - tf, 3) if t is not None else None
        row = {"rep": r + 1, "write_downtime": round(c.write_downtime(tf), 3),
               "rto": round(c.rto(tf), 3) if c.rto(tf) is not None else None,
               "db1_declared_dead_after": after("is dead"),
               "vip_up_on_db2_after": round(result["vip"][0] - tf, 3) if result["vip"] else None,
               "arp_points_to_db2_after": round(switched - tf, 3) if switched else None,
               "errors": c.errors_by_code(tf),
               "heartbeat_db2": [f"{round(t - off - tf, 2)} {l[:120]}" for t, h, l in lines
                                 if h == "db2" and t - off >= tf][:14]}
        rows.append(row)
        log({k: v for k, v in row.items() if k != "heartbeat_db2"})
        hsv.cleanup()
    write_result("heartbeat-failover",
                 f"Heartbeat 3.0.6 (haresources mode: keepalive {KEEPALIVE} s, deadtime {DEADTIME} s, "
                 f"warntime {WARNTIME} s, auto_failback off, unicast UDP heartbeats) on db1 and db2 with the "
                 f"resource group 'db1 mysql-rw IPaddr2::VIP/24/eth0' (mysql-rw: a resource script setting read_only=0 on "
                 f"the local mariadbd); at 10 s db1's host dies (link down; mysqld "
                 f"and heartbeat stopped). The client on app1 writes 100/s to the VIP through 8 connections "
                 f"with 100 ms probes.",
                 "network namespaces hsv-app1/db1/db2 on a bridge (10.213.0.0/24, nothing routed out); each "
                 "heartbeat in private mount and UTS namespaces (own /etc/ha.d, /var/lib/heartbeat, /run, "
                 "hostname = node name); the client's ARP entry for the VIP read every 50 ms.", rows)


if __name__ == "__main__":
    hsv.main({"heartbeat-failover": run})
