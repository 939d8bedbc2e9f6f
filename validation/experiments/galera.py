#!/usr/bin/python3
"""Galera experiments (real side). Usage: galera.py EXPERIMENT [--reps N]

  galera-commit-latency   commit latency of single-row inserts on 1 (no wsrep), 3, 5, 7 nodes
  galera-kill-one         3 nodes, the host of db1 stops (SIGSTOP) under load; the client is on db2
  galera-kill-two         3 nodes, db1 and db2 stop at once; db3 goes non-Primary (1047) until an
                          operator bootstraps it (pc.bootstrap=YES) 10 s later
  galera-hot-row          one row updated from db1 and db2 at once: 1213 rate after wsrep_retry_autocommit
  galera-flow-control     db3's applier blocked (FLUSH TABLES WITH READ LOCK): writes on db1 stop
  galera-rejoin           db3 killed -9, restarted after 10 s: IST time; then datadir wiped: SST time
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import Client, Server, cleanup, install_signal_cleanup, log, now, pct, write_result  # noqa: E402
from galera import Cluster, StatusWatch  # noqa: E402


def addr(node):
    return lambda: (node.ip, 3306)


def commit_latency(reps):
    out = []
    for n in (1, 3, 5, 7):
        if n == 1:
            srv = Server("db1", hsv.host(11)).start()
            from hsv import create_app_schema
            create_app_schema(srv)
            target, stop = srv, srv.stop
        else:
            cl = Cluster(n).start()
            target, stop = cl.nodes[0], cl.stop
        for r in range(reps):
            c = Client(addr(target), rate=100, pool=8, probes=False).start()
            time.sleep(12)
            c.stop()
            lat = c.latencies_ms(start=2.0)
            f50, f99 = hsv.fsync_ms()
            out.append({"nodes": n, "rep": r + 1, "commits": len(lat), "errors": len(c.errors),
                        "commit_p50_ms": round(pct(lat, 50), 3), "commit_p99_ms": round(pct(lat, 99), 3),
                        "fsync_p50_ms": f50, "fsync_p99_ms": f99})
            log(out[-1])
        stop()
    # One summary row per node count, so that each count has its own median and range.
    reps_by_n = {}
    for row in out:
        reps_by_n.setdefault(row["nodes"], []).append(row)
    flat = []
    for row in out:
        flat.append({f"n{row['nodes']}_commit_p50_ms": row["commit_p50_ms"],
                     f"n{row['nodes']}_commit_p99_ms": row["commit_p99_ms"], "rep": row["rep"],
                     "nodes": row["nodes"], "commits": row["commits"], "errors": row["errors"],
                     f"n{row['nodes']}_fsync_p50_ms": row["fsync_p50_ms"]})
    write_result("galera-commit-latency",
                 "Single-row autocommit inserts at 100/s through 8 connections to db1 for 12 s "
                 "(first 2 s discarded); 1 node without wsrep, then Galera clusters of 3, 5, 7 nodes, "
                 "all on one machine's loopback (link RTT ~0.03 ms).",
                 "loopback hosts 127.0.0.11..17; innodb_flush_log_at_trx_commit=1 (default); "
                 "one cluster per size, one fresh client per repetition.", flat,
                 notes="netem is not in this kernel (sch_netem missing, no loadable modules), so the "
                       "link-delay sweep could not be run here: see 'What could not run here, and why' below.")


def kill_one(reps, mode):
    rows = []
    for r in range(reps):
        cl = Cluster(3).start()
        db1, db2 = cl.nodes[0], cl.nodes[1]
        t0 = now()
        c = Client(addr(db2), rate=100, pool=8).start(t0)
        w = StatusWatch(db2, t0)
        time.sleep(10)
        db1.freeze() if mode == "stop" else db1.kill9()
        tf = now() - t0     # the fault time: once the host is silent (writes issued after it meet it)
        time.sleep(20)
        c.stop()
        w.stop()
        lat = c.latencies_ms(start=2.0, end=tf)
        view = w.first(lambda s: s.get("wsrep_cluster_size") == "2", after=tf)
        lost, _ = c.lost(db2)
        rows.append({"rep": r + 1, "write_downtime": round(c.write_downtime(start=tf), 3),
                     "rto": round(c.rto(tf), 3) if c.rto(tf) is not None else None,
                     "view_change_after": round(view - tf, 3) if view else None,
                     "lost_transactions": lost, "errors": c.errors_by_code(tf),
                     "acknowledged_writes": len(c.acks),
                     "commit_p50_ms": round(pct(lat, 50), 3), "commit_p99_ms": round(pct(lat, 99), 3)})
        log(rows[-1])
        cleanup()
    name = "galera-kill-one" if mode == "stop" else "galera-kill9-one"
    how = "stops (SIGSTOP: a host that lost power, no RST)" if mode == "stop" else \
          "mysqld is killed -9 (the kernel closes its sockets: RST)"
    write_result(name, f"3 Galera nodes; the client writes 100/s to db2 directly with 100 ms probes; "
                       f"at 10 s db1 {how}; 20 s more.",
                 "loopback hosts; wsrep_cluster_size polled on db2 every 100 ms; downtime from probes "
                 "(interval 100 ms, timeout 1 s).", rows)


def kill_two(reps):
    rows = []
    for r in range(reps):
        cl = Cluster(3).start()
        db1, db2, db3 = cl.nodes
        t0 = now()
        c = Client(addr(db3), rate=100, pool=8).start(t0)
        w = StatusWatch(db3, t0)
        time.sleep(10)
        db1.freeze()
        db2.freeze()
        tf = now() - t0
        time.sleep(10)
        tb = now() - t0
        db3.sql("SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'")
        time.sleep(10)
        c.stop()
        w.stop()
        nonprim = w.first(lambda s: s.get("wsrep_cluster_status") == "non-Primary", after=tf)
        first1047 = min((t for t, code, _ in c.errors if code == 1047 and t >= tf), default=None)
        back = [a[2] for a in c.acks if a[1] >= tb] + [p[2] for p in c.probes if p[1] and p[0] >= tb]
        lost, _ = c.lost(db3)
        rows.append({"rep": r + 1, "non_primary_after": round(nonprim - tf, 3) if nonprim else None,
                     "first_1047_after": round(first1047 - tf, 3) if first1047 else None,
                     "write_downtime_before_bootstrap": round(c.write_downtime(tf, tb), 3),
                     "writes_back_after_bootstrap": round(min(back) - tb, 3) if back else None,
                     "lost_transactions": lost, "errors": c.errors_by_code(tf)})
        log(rows[-1])
        cleanup()
    write_result("galera-kill-two", "3 Galera nodes; the client writes 100/s to db3; at 10 s the hosts of "
                 "db1 and db2 stop (SIGSTOP); db3 alone is 1 vote of 3; at 20 s an operator runs "
                 "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES' on db3; 10 s more.",
                 "loopback hosts; wsrep_cluster_status polled on db3 every 100 ms.", rows)


def hot_row(reps):
    rows = []
    cl = Cluster(3).start()
    db1, db2 = cl.nodes[0], cl.nodes[1]
    for r in range(reps):
        t0 = now()
        a = Client(addr(db1), rate=100, pool=8, client_id=1, kind="hot", hot_rows=1, probes=False).start(t0)
        b = Client(addr(db2), rate=100, pool=8, client_id=2, kind="hot", hot_rows=1, probes=False).start(t0)
        time.sleep(12)
        a.stop()
        b.stop()
        att = len(a.acks) + len(a.errors) + len(b.acks) + len(b.errors)
        e1213 = sum(1 for x in a.errors + b.errors if x[1] == 1213)
        lat = sorted(a.latencies_ms() + b.latencies_ms())
        rows.append({"rep": r + 1, "attempts": att, "deadlocks_1213": e1213,
                     "deadlock_rate": round(e1213 / att, 4) if att else None,
                     "acknowledged_writes": len(a.acks) + len(b.acks),
                     "commit_p50_ms": round(pct(lat, 50), 3), "commit_p99_ms": round(pct(lat, 99), 3),
                     "errors": {**a.errors_by_code(), **{"db2:" + k: v for k, v in b.errors_by_code().items()}}})
        log(rows[-1])
    cl.stop()
    write_result("galera-hot-row", "3 Galera nodes; two applications each update the same single row "
                 "(UPDATE hot SET v=v+1 WHERE id=1) at 100/s through 8 connections, one on db1 and "
                 "one on db2, for 12 s.",
                 "loopback hosts; wsrep_retry_autocommit=1 (default): a certification failure of an "
                 "autocommit statement is retried once before the client sees 1213.", rows)


def flow_control(reps, lock_sql="FLUSH TABLES WITH READ LOCK", name="galera-flow-control"):
    def one(r):
        cl = Cluster(3).start()
        db1, db3 = cl.nodes[0], cl.nodes[2]
        t0 = now()
        c = Client(addr(db1), rate=200, pool=8).start(t0)
        time.sleep(5)
        lock = db3.conn(30)
        tb = now() - t0
        with lock.cursor() as cur:
            cur.execute(lock_sql)
        time.sleep(10)
        q = int(db3.var("wsrep_local_recv_queue"))
        sent = int(db3.var("wsrep_flow_control_sent"))
        tu = now() - t0
        lock.close()  # releases the lock: the applier resumes
        time.sleep(5)
        c.stop()
        acks_after = sorted(a[2] for a in c.acks if a[2] >= tb and a[2] < tu)
        # The stall: the last acknowledgement before the lock was released.
        last_ack = acks_after[-1] - tb if acks_after else None
        back = [a[2] for a in c.acks if a[2] > tu]
        return {"rep": r + 1, "acks_while_blocked": len(acks_after),
                "stall_after": round(last_ack, 3) if last_ack is not None else None,
                "recv_queue_at_stall": q, "fc_sent": sent,
                "write_downtime_while_blocked": round(c.write_downtime(tb, tu), 3),
                "resume_after_unlock": round(min(back) - tu, 3) if back else None,
                "errors": c.errors_by_code(tb)}
    rows = hsv.repeat(reps, one)
    write_result(name, "3 Galera nodes; the client writes 200/s to db1; at 5 s db3 takes "
                 f"{lock_sql} (its applier blocks) for 10 s, then releases it.",
                 "loopback hosts; gcs.fc_limit=16, fc_factor=1.0 (defaults): the effective limit is "
                 "fc_limit x sqrt(3) ~ 28 write-sets in db3's receive queue.", rows)


def rejoin(reps):
    def one(r):
        cl = Cluster(3).start()
        db1, db3 = cl.nodes[0], cl.nodes[2]
        t0 = now()
        c = Client(addr(db1), rate=100, pool=8, probes=False).start(t0)
        time.sleep(3)
        db3.kill9()
        time.sleep(10)
        db3.start(wait=False)
        ist = Cluster.wait_synced(db3)
        c.stop()
        db3.stop()
        import shutil
        shutil.rmtree(db3.data)
        os.makedirs(db3.data)
        os.system(f"chown mysql: {db3.data}")
        # A wiped datadir has no state: it must take a full snapshot (SST) from a donor.
        db3.start(wait=False)
        sst = Cluster.wait_synced(db3, timeout=300)
        with open(db3.errlog) as f:
            text = f.read()
        return {"rep": r + 1, "ist_rejoin": round(ist, 3), "sst_rejoin": round(sst, 3),
                "ist_seen": "IST received" in text or "Receiving IST" in text,
                "sst_seen": "SST" in text, "writes_during_gap": len(c.acks)}
    rows = hsv.repeat(reps, one)
    write_result("galera-rejoin", "3 Galera nodes; 100 writes/s to db1; db3's mysqld is killed -9 at 3 s and "
                 "started again 10 s later: time from start to Synced (IST from the donor's gcache); then "
                 "its datadir is wiped and it starts again: time to Synced by rsync SST.",
                 "loopback hosts; a small dataset (a few thousand rows): SST time is mostly fixed cost.", rows)


if __name__ == "__main__":
    hsv.main({"galera-commit-latency": commit_latency,
          "galera-kill-one": lambda n: kill_one(n, "stop"),
          "galera-kill9-one": lambda n: kill_one(n, "kill"),
          "galera-kill-two": kill_two, "galera-hot-row": hot_row,
          "galera-flow-control": flow_control, "galera-rejoin": rejoin,
          # A table lock blocks the applier of that table without desyncing the node (a global
          # FTWRL desyncs it, and a desynced node sends no flow control).
          "galera-flow-control-table": lambda n: flow_control(
              n, "FLUSH TABLES hsv.ledger WITH READ LOCK", "galera-flow-control-table")})
