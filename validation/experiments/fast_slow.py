#!/usr/bin/python3
"""A host crash with a fast and a slow replica (real side). Usage: fast_slow.py EXPERIMENT [--reps N]

  host-crash-fast-slow-async     db1 -> db2 and db1 -> db3, MariaDB 10.11 asynchronous GTID replication.
                                 db2 keeps up; db3 is behind: its SQL thread is stopped at 5 s (a backup
                                 replica, STOP SLAVE SQL_THREAD for a consistent dump) while its IO thread
                                 receives. 500 inserts/s to db1 through 32 connections. At 20 s db1's host
                                 crashes (its address dropped by nft, mysqld stopped: no RST, no answer);
                                 the DBA starts db3's SQL thread at once. Each replica drains what it
                                 received.
  host-crash-fast-slow-semisync  the same with semi-sync (rpl_semi_sync_master_enabled on db1,
                                 rpl_semi_sync_slave_enabled on both replicas, MariaDB's defaults:
                                 AFTER_COMMIT, timeout 10 s, one acknowledgement).

What a DBA meets: what each replica has received and applied when the host dies, how long each
needs to drain, and what promoting either one would lose against the client's acknowledged ledger.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import Client, now, pct, write_result  # noqa: E402
import replication  # noqa: E402
from replication import binlog_server, point, seq_of, wait_caught_up  # noqa: E402

RATE, STOP_AT, CRASH_AT = 500, 5.0, 20.0


def build(semisync):
    src = {"rpl_semi_sync_master_enabled": "ON"} if semisync else {}
    rep = {"rpl_semi_sync_slave_enabled": "ON"} if semisync else {}
    db1, db2 = replication.setup(1, primary_extra=src, replica_extra=rep)
    db3 = binlog_server("db3", hsv.host(13), 3, {"read_only": "ON", **rep}).start()
    point(db3, db1)
    wait_caught_up([db3], db1)
    return db1, db2, db3


def one(semisync):
    def run(r):
        db1, db2, db3 = build(semisync)
        base = {s.name: seq_of(s.sql("SELECT @@gtid_slave_pos")[0][0]) for s in (db2, db3)}
        t0 = now()
        c = Client(lambda: (db1.ip, 3306), rate=RATE, pool=32, probes=False).start(t0)
        samples = {db2.name: [], db3.name: []}   # (t, applied seq, received seq)
        stop = threading.Event()

        def sample(server):
            conn = server.conn(5)
            while not stop.is_set():
                t = now() - t0
                try:
                    with conn.cursor() as cur:
                        cur.execute("SELECT @@gtid_slave_pos")
                        applied = seq_of(cur.fetchone()[0])
                        cur.execute("SHOW SLAVE STATUS")
                        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
                    samples[server.name].append((t, applied, seq_of(row.get("Gtid_IO_Pos"))))
                except Exception:
                    pass
                time.sleep(max(0.0, 0.1 - (now() - t0 - t)))
        threads = [threading.Thread(target=sample, args=(s,), daemon=True) for s in (db2, db3)]
        for th in threads:
            th.start()
        semi = db1.var("Rpl_semi_sync_master_status") if semisync else None
        time.sleep(max(0.0, t0 + STOP_AT - now()))
        db3.sql("STOP SLAVE SQL_THREAD")
        time.sleep(max(0.0, t0 + CRASH_AT - now()))
        db1.freeze()
        tc = now() - t0
        db3.sql("START SLAVE SQL_THREAD")   # the DBA restarts the backup replica's SQL thread at once
        c.stop(drain=2.0)
        drained = {}
        while now() - t0 < tc + 180 and len(drained) < 2:
            for name, xs in samples.items():
                if name not in drained and xs and xs[-1][0] > tc + 0.3 and xs[-1][1] >= xs[-1][2] > 0:
                    drained[name] = next(t for t, a, io in xs if t > tc and a >= io) - tc
            time.sleep(0.05)
        stop.set()
        for th in threads:
            th.join(2)
        out = {"rep": r + 1, "acknowledged": len(c.acks), "semi_sync_status_before_crash": semi}
        for s in (db2, db3):
            xs = [x for x in samples[s.name] if x[0] < tc]
            last = xs[-1]
            received = max(x[2] for x in samples[s.name])
            s.sql("STOP SLAVE")
            lost, span = c.lost(s)
            out.update({f"{s.name}_backlog_at_crash": received - last[1],
                        f"{s.name}_applied_at_crash": last[1] - base[s.name],
                        f"{s.name}_received": received - base[s.name],
                        f"{s.name}_drain_after_crash": round(drained[s.name], 3) if s.name in drained else None,
                        f"lost_if_{s.name}_promoted": lost, f"lost_span_{s.name}": round(span, 3)})
        # db3's apply rate while it drains (its SQL thread's capacity on this machine now).
        if out.get("db3_drain_after_crash"):
            out["db3_drain_rate"] = round(out["db3_backlog_at_crash"] / out["db3_drain_after_crash"], 1)
        out["fsync_p50_ms"], out["fsync_p99_ms"] = hsv.fsync_ms()
        out["load_1min"] = round(os.getloadavg()[0], 2)
        lat = c.latencies_ms(2.0, tc)
        out.update({"commit_p50_ms": round(pct(lat, 50), 3), "commit_p99_ms": round(pct(lat, 99), 3),
                    "errors": c.errors_by_code(0.0)})
        return out
    return run


STORY = ("db1 -> db2 and db1 -> db3, MariaDB 10.11 GTID replication at MariaDB's defaults{how}; 500 inserts/s "
         "to db1 through 32 connections; db3's SQL thread is stopped at 5 s (a backup replica; its IO thread "
         "receives); at 20 s db1's host crashes (nft drop of its address + SIGSTOP of mysqld) and db3's SQL thread "
         "is started at once; both replicas drain what they received.")
METHOD = ("loopback hosts; every 100 ms on each replica: @@gtid_slave_pos (applied) and Gtid_IO_Pos (received); "
          "backlog = received - applied; drain = crash to applied reaching received; loss = acknowledged ledger "
          "rows absent from the replica after its drain (as if promoted then).")


def run_async(reps):
    write_result("host-crash-fast-slow-async", STORY.format(how=", asynchronous"), METHOD,
                 hsv.repeat(reps, one(False)))


def run_semisync(reps):
    write_result("host-crash-fast-slow-semisync",
                 STORY.format(how=", semi-sync (MariaDB built-in, AFTER_COMMIT, timeout 10 s, on both replicas)"),
                 METHOD, hsv.repeat(reps, one(True)))


if __name__ == "__main__":
    hsv.main({"host-crash-fast-slow-async": run_async, "host-crash-fast-slow-semisync": run_semisync})
