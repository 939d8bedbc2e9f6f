#!/usr/bin/python3
"""Galera commit latency against link delay (real side). Usage: galera_delay.py galera-link-delay [--reps N]

Three Galera nodes (MariaDB 10.11 + galera-4, Galera's defaults), each in its own network
namespace, joined by a switch in user space that delays every frame by D one way
(validation/lib/delaylink.py: this kernel has no sch_netem). The client runs in db1's namespace
and writes single-row autocommit inserts at 100/s through 8 connections to db1 (no link between
the client and db1); each commit is replicated to db2 and db3 across the delayed links. D takes
0 (the switch's own cost), 2, 5 and 10 ms; per D, N clients of 12 s each (first 2 s discarded).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import Client, log, pct, write_result  # noqa: E402
import galera  # noqa: E402
from delaylink import DelaySwitch  # noqa: E402

NET = "10.77.0"
NAMES = ["g1", "g2", "g3"]
DELAYS_MS = [0, 2, 5, 10]


class NsCluster(galera.Cluster):
    def __init__(self):
        self.n = len(NAMES)
        ips = [f"{NET}.{i}" for i in range(1, self.n + 1)]
        addrs = ",".join(ips)
        self.nodes = []
        for i, (h, ip) in enumerate(zip(NAMES, ips), 1):
            self.nodes.append(hsv.NamespacedServer(f"db{i}", ip, f"hsv-{h}", {"bind-address": ip, **galera.node_options(i, ip, addrs)}))


def run(reps):
    switch = DelaySwitch(NAMES, NET, delay=0.0)
    cl = NsCluster().start()
    db1 = cl.nodes[0]
    rows = []
    try:
        for d in DELAYS_MS:
            switch.delay = d / 1000.0
            time.sleep(2)
            for r in range(reps):
                box = {}

                def client():
                    hsv.enter_netns(f"hsv-{NAMES[0]}")
                    c = Client(lambda: (db1.ip, 3306), rate=100, pool=8, probes=False).start()
                    time.sleep(12)
                    c.stop()
                    box["c"] = c
                th = threading.Thread(target=client)
                th.start()
                th.join()
                c = box["c"]
                lat = c.latencies_ms(start=2.0)
                rows.append({"rep": r + 1, "delay_ms": d, "commits": len(lat), "errors": len(c.errors),
                             f"d{d}_commit_p50_ms": round(pct(lat, 50), 3),
                             f"d{d}_commit_p99_ms": round(pct(lat, 99), 3),
                             "cluster_size": int(db1.var("wsrep_cluster_size")),
                             "load_1min": round(os.getloadavg()[0], 2)})
                log(rows[-1])
    finally:
        cl.stop()
        switch.close()
    # The added latency per ms of one-way delay: least squares over every (delay, p50).
    xs = [(row["delay_ms"], row[f"d{row['delay_ms']}_commit_p50_ms"]) for row in rows]
    n, mx, my = len(xs), sum(x for x, _ in xs) / len(xs), sum(y for _, y in xs) / len(xs)
    slope = sum((x - mx) * (y - my) for x, y in xs) / sum((x - mx) ** 2 for x, _ in xs)
    for row in rows:
        row["p50_ms_per_ms_of_delay"] = round(slope, 3)
    write_result("galera-link-delay",
                 "Three Galera nodes (MariaDB 10.11, galera-4 26.4, defaults) in their own network namespaces, "
                 "joined by a user-space switch that delays every frame by D one way; single-row autocommit "
                 "inserts at 100/s through 8 connections from db1's own host to db1, 12 s per repetition (first "
                 "2 s discarded); D = 0, 2, 5, 10 ms.",
                 "validation/lib/delaylink.py (TAP devices, one Python thread: sch_netem is not in this kernel); "
                 "D = 0 measures the switch's own forwarding cost; p50_ms_per_ms_of_delay is the least-squares "
                 "slope of the commit p50 against D over all repetitions.", rows)


if __name__ == "__main__":
    hsv.main({"galera-link-delay": run})
