#!/usr/bin/python3
"""HAProxy 2.6 (mode tcp, option mysql-check, balance first) in front of a primary and a
writable backup. Usage: haproxy.py haproxy-backup [--reps N] [--mode host|process]

The proxy is 127.0.0.10:3306; db1 (127.0.0.11) is the server, db2 (127.0.0.12, a replica of
db1 with read_only=OFF) the backup. HAProxy's defaults: inter 2s, rise 2, fall 3, no
`timeout check` (so the whole check must finish within inter), retries 3.
At 10 s db1's host dies (host: its address goes silent and mysqld stops; process: kill -9).
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import ROOT, Client, cleanup, install_signal_cleanup, log, now, spawn, write_result  # noqa: E402
import replication  # noqa: E402

CFG = """global
    maxconn 2000
    log stdout format raw local0 info
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen mysql
    bind {lb}:3306
    option mysql-check
    balance first
    server db1 {db1}:3306 check inter 2s rise 2 fall 3
    server db2 {db2}:3306 check inter 2s rise 2 fall 3 backup
"""


def watch(argv, t0):
    """Starts a daemon and timestamps each line it prints (HAProxy's -db mode has no clock)."""
    import subprocess
    import threading
    import hsv
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    hsv._procs.append(p)
    lines = []

    def read():
        for line in p.stdout:
            lines.append((now(), line))
    threading.Thread(target=read, daemon=True).start()
    return lines


def run(reps, mode):
    rows = []
    for r in range(reps):
        db1, db2 = replication.setup(1, replica_read_only=False)
        os.makedirs(f"{ROOT}/lb1", exist_ok=True)
        with open(f"{ROOT}/lb1/haproxy.cfg", "w") as f:
            f.write(CFG.format(lb=hsv.host(10), db1=hsv.host(11), db2=hsv.host(12)))
        lines = watch(["haproxy", "-db", "-f", f"{ROOT}/lb1/haproxy.cfg"], 0)
        time.sleep(4.5)     # two checks up (rise 2)
        t0 = now()
        c = Client(lambda: (hsv.host(10), 3306), rate=100, pool=8).start(t0)
        time.sleep(10)
        db1.freeze() if mode == "host" else db1.kill9()
        tf = now() - t0     # the fault time: once the host is silent (writes issued after it meet it)
        time.sleep(25)
        c.stop()
        down_at = next(((t, l) for t, l in lines if "db1 is DOWN" in l), None)
        rows.append({"rep": r + 1, "write_downtime": round(c.write_downtime(start=tf), 3),
                     "rto": round(c.rto(tf), 3) if c.rto(tf) is not None else None,
                     "errors": c.errors_by_code(tf), "acknowledged_writes": len(c.acks),
                     "proxy_down_after": round(down_at[0] - t0 - tf, 3) if down_at else None,
                     "haproxy_down_line": down_at[1].strip() if down_at else None})
        log(rows[-1])
        cleanup()
    name = "haproxy-backup" if mode == "host" else "haproxy-backup-kill9"
    write_result(name, "HAProxy 2.6 on 127.0.0.10 (mode tcp, option mysql-check, balance first, inter 2s "
                 "rise 2 fall 3, timeout connect 5s) with db1 as server and db2 (writable replica) as backup; "
                 "the client writes 100/s through it; at 10 s db1's " +
                 ("host dies (its address silent: nft drop; mysqld stopped)" if mode == "host"
                  else "mysqld is killed -9 (connects are refused at once)") + "; 25 s more.",
                 "loopback hosts; probes every 100 ms with a 1 s timeout through the proxy.", rows)


if __name__ == "__main__":
    hsv.main({"haproxy-backup": lambda n: run(n, "host"), "haproxy-backup-kill9": lambda n: run(n, "process")})
