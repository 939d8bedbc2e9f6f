#!/usr/bin/python3
"""A replica's apply (issue 13), real side. Usage: replica_apply.py EXPERIMENT [--reps N]

  replica-lag-fine  replication.py's replica-lag with 4 and 1 conservative workers, one rep of
                    each in turn, measured finely: the mean backlog and its p90 under load, the
                    drain from 5 ms reads, db2's group commit and fsync counters per phase
                    (results replica-lag-conservative{4,1}-fine; REPLICA_LAG_ONLY=4 runs the
                    4-worker one only, REPLICA_LAG_SUFFIX names the file).
  replica-capacity  the replica's apply capacity: its SQL thread stopped while 500 inserts/s go
                    to db1 for 20 s, then started on the backlog (REPLICA_CAP_CONFIGS).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import Client, now, pct, write_result  # noqa: E402
import replication  # noqa: E402
from replication import commit_and_disk, fsync_append_ms, read_positions, seq_of  # noqa: E402


def replica_lag_fine(reps):
    """conservative4 and conservative1 interleaved, one rep of each in turn, measured finely:
    db2 polled every 50 ms under load (the time-averaged backlog and its p90 from 5 s to the
    kill) and every 10 ms from the kill until drained; db2's group commit and fsync counters
    read at 5 s, at the kill and the moment the drain is seen (the group size in each phase)."""
    rate = int(os.environ.get("REPLICA_LAG_RATE", "500"))
    kill_at = 20.0

    def one(workers, r):
        extra = {"sync_binlog": 1, "innodb_flush_log_at_trx_commit": 1,
                 "slave_parallel_threads": workers, "slave_parallel_mode": "conservative"}
        db1, db2 = replication.setup(1, replica_extra=extra)
        fs = hsv.fsync_ms()
        fa = fsync_append_ms()
        load_start = round(os.getloadavg()[0], 2)
        base1 = seq_of(replication.gtid_pos(db1))
        t0 = now()
        c = Client(lambda: (db1.ip, 3306), rate=rate, pool=32, probes=False).start(t0)
        samples, stop, killed = [], threading.Event(), threading.Event()
        tk_box = [kill_at]
        marks = {}   # phase -> (t, Binlog_commits, Binlog_group_commits, Innodb_data_fsyncs, applied seq)

        def counters(cur, t):
            cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN "
                        "('Binlog_commits', 'Binlog_group_commits', 'Innodb_data_fsyncs')")
            v = dict(cur.fetchall())
            cur.execute("SELECT @@gtid_slave_pos")
            return (t, int(v["Binlog_commits"]), int(v["Binlog_group_commits"]),
                    int(v["Innodb_data_fsyncs"]), seq_of(cur.fetchone()[0]))

        def run():
            c1, c2 = db1.conn(5), db2.conn(5)
            while not stop.is_set():
                t = now() - t0
                fine = killed.is_set()
                try:
                    c1, src, applied, row = read_positions(c1, c2, source=not fine)
                    received = seq_of(row.get("Gtid_IO_Pos"))
                    samples.append((t, src, applied, received, row.get("Seconds_Behind_Master")))
                    if fine and "drained" not in marks and applied >= received > 0:
                        with c2.cursor() as cur:
                            marks["drained"] = counters(cur, now() - t0)
                except Exception:
                    pass
                # 10 ms for the first 2 s after the kill (a 4-worker drain lasts tens of ms), then
                # 50 ms again: a 1-worker drain lasts a minute and the polls would load its CPU.
                period = 0.01 if killed.is_set() and t < tk_box[0] + 2.0 else 0.05
                time.sleep(max(0.0, period - (now() - t0 - t)))
        th = threading.Thread(target=run, daemon=True)
        th.start()
        g0 = (int(db1.var("Binlog_commits")), int(db1.var("Binlog_group_commits")))
        cm = db2.conn(5)
        time.sleep(max(0.0, t0 + 5.0 - now()))
        with cm.cursor() as cur:
            marks["load"] = counters(cur, now() - t0)
        time.sleep(max(0.0, t0 + kill_at - 0.3 - now()))
        g1 = (int(db1.var("Binlog_commits")), int(db1.var("Binlog_group_commits")))
        load_kill = round(os.getloadavg()[0], 2)
        time.sleep(max(0.0, t0 + kill_at - 0.12 - now()))
        # The drain to a few ms: from the kill, @@gtid_slave_pos alone every 5 ms on a connection
        # of its own (SHOW SLAVE STATUS blocks for up to ~120 ms while the IO thread handles the
        # lost connection, so a poll that reads both sees a 4-worker drain only after it ended).
        fast = []   # (t before the query, t after it, applied seq)

        cf = db2.conn(5)   # connected before the kill: a connect takes tens of ms here

        def run_fast():
            while not stop.is_set():
                tb = now() - t0
                try:
                    with cf.cursor() as cur:
                        cur.execute("SELECT @@gtid_slave_pos")
                        fast.append((tb, now() - t0, seq_of(cur.fetchone()[0])))
                except Exception:
                    pass
                if tb > tk_box[0] + 2.0:
                    break
                time.sleep(max(0.0, 0.005 - (now() - t0 - tb)))
            cf.close()
        # Started 100 ms before the kill: kill9() returns only once the kernel has torn mysqld
        # down (60-120 ms at this load), and db2 drains meanwhile.
        tk_box[0] = kill_at + 10.0
        thf = threading.Thread(target=run_fast, daemon=True)
        thf.start()
        time.sleep(0.1)
        with cm.cursor() as cur:
            marks["kill"] = counters(cur, now() - t0)
        tk_box[0] = now() - t0
        db1.kill9()
        killed.set()
        tk = tk_box[0]
        kill_returned = now() - t0 - tk
        acked = len(c.acks)
        # The client stops at once (in the background): its reconnects to the dead db1 would
        # otherwise take CPU from db2's drain on this 2-CPU machine.
        threading.Thread(target=c.stop, kwargs={"drain": 2.0}, daemon=True).start()
        while "drained" not in marks and now() - t0 < tk + 180:
            time.sleep(0.01)
        time.sleep(0.3)
        thf.join(3)
        stop.set()
        th.join(2)
        cm.close()
        time.sleep(max(0.0, t0 + tk + 2.5 - now()))
        pre = [s for s in samples if s[0] < tk and s[1] is not None]
        window = [s for s in samples if 5.0 <= s[0] < tk]
        backlog = [s[3] - s[2] for s in window]
        gap = [s[1] - s[2] for s in window if s[1] is not None]
        s_end = pre[-1]
        received_at_kill = max(s[3] for s in samples if s[0] < tk + 0.05)
        post = [s for s in samples if s[0] >= tk]
        applied_at_kill = marks["kill"][4]
        # The drain ends at the first 10 ms sample after the kill that finds everything received applied.
        end = next((s for s in post if s[2] >= s[3] > 0), None)
        drain = end[0] - tk if end else None
        received = end[3] if end else None
        # The same from the 5 ms reads of the applied seq alone: the drain ended between the
        # last read that had not reached `received` (its start) and the first that had (its end).
        # The backlog at the kill: the received seq at the end against the last applied read that
        # started before the kill (events still in flight when mysqld died arrive after it).
        before = [f for f in fast if f[0] < tk]
        backlog_kill = (received - before[-1][2]) if before and received is not None else None
        fast = [f for f in fast if f[0] >= tk]
        fast_end = next((i for i, f in enumerate(fast) if received is not None and f[2] >= received), None)
        drain_fast = round(fast[fast_end][1] - tk, 4) if fast_end is not None else None
        drain_fast_lo = round(max(0.0, fast[fast_end - 1][0] - tk), 4) if fast_end else 0.0
        backlog_fast = (received - fast[0][2]) if fast and received is not None else None

        def phase(a, b):
            n = max(1, b[4] - a[4])
            return (round(n / (b[0] - a[0]), 1), round((b[1] - a[1]) / max(1, b[2] - a[2]), 2),
                    round((b[3] - a[3]) / n, 2), n)
        under = phase(marks["load"], marks["kill"])
        drained = phase(marks["kill"], marks["drained"]) if "drained" in marks else (None,) * 4
        lat = c.latencies_ms(2.0, tk)
        return {"rep": r + 1, "workers": workers,
                "write_rate": round(sum(1 for a in c.acks if 2.0 <= a[2] < tk) / (tk - 2.0), 1),
                "source_tx_at_kill": s_end[1] - base1, "acknowledged_at_kill": acked,
                "backlog_mean": round(sum(backlog) / len(backlog), 1), "backlog_p90": pct(backlog, 90),
                "backlog_max": max(backlog), "lag_tx_mean": round(sum(gap) / len(gap), 1),
                "samples_under_load": len(window),
                "received_not_applied_at_kill": received_at_kill - applied_at_kill,
                "drain_after_kill": round(drain, 3) if drain is not None else None,
                "drained_tx": (received - applied_at_kill) if received is not None else None,
                "drain_rate": round((received - applied_at_kill) / drain, 1) if drain else None,
                "drain_samples": len([s for s in post if s[0] <= tk + (drain or 0)]),
                "drain_fast": drain_fast, "drain_fast_lo": drain_fast_lo,
                "first_fast_read_after_kill": round(fast[0][1] - tk, 4) if fast else None,
                "kill9_returned_after": round(kill_returned, 4),
                "backlog_at_first_fast_read": backlog_fast, "backlog_at_kill_fast": backlog_kill,
                "drain_rate_fast": round(backlog_fast / drain_fast, 1) if backlog_fast and drain_fast else None,
                "fast_series": [(round(a - tk, 4), round(b - tk, 4), x - (received or 0)) for a, b, x in fast[:60]],
                **commit_and_disk(lat, g0, g1, under, drained, fs), "replica_tx_drain": drained[3],
                "fsync_append_p50_ms": fa[0], "fsync_append_p99_ms": fa[1],
                "load_average_at_start": load_start, "load_average_at_kill": load_kill,
                "series": [(round(t, 3), (a - b) if a is not None else None, io - b, sb)
                           for i, (t, a, b, io, sb) in enumerate(samples)
                           if tk - 1.0 <= t < tk + 1.0 or (t >= tk and i % 20 == 0)],
                "errors": c.errors_by_code(0.0)}
    rows = {4: [], 1: []}
    # REPLICA_LAG_ONLY=4: only the 4-worker runs (a second sitting for drain_wait).
    which = [int(x) for x in os.environ.get("REPLICA_LAG_ONLY", "4,1").split(",")]
    for r in range(reps):
        for w in which:
            rows[w] += hsv.repeat(1, lambda _: one(w, r))
    suffix = os.environ.get("REPLICA_LAG_SUFFIX", "-fine")
    for w in which:
        write_result(f"replica-lag-conservative{w}{suffix}",
                     f"db1 -> db2 asynchronous GTID replication (MariaDB 10.11); db1 at its defaults "
                     f"(sync_binlog=0, innodb_flush_log_at_trx_commit=1), db2 durable (sync_binlog=1, "
                     f"innodb_flush_log_at_trx_commit=1, log_slave_updates) with slave_parallel_threads={w}, "
                     f"slave_parallel_mode=conservative; {rate} inserts/s to db1 through 32 connections; at "
                     f"20 s db1's mysqld is killed -9 and db2 drains.",
                     "loopback hosts, both servers on this 2-CPU machine and one filesystem; conservative4 and "
                     "conservative1 interleaved (one rep of each in turn, same sitting). db2 polled every 50 ms "
                     "under load (@@gtid_slave_pos, then Gtid_IO_Pos): backlog = received - applied, its mean "
                     "and p90 over the samples from 5 s to the kill; from the kill every 10 ms until the "
                     "applied seq reaches the received one (drain, to +-10 ms; drain_rate = drained_tx / "
                     "drain). drain_fast: from the kill to the end of the first read of @@gtid_slave_pos alone "
                     "(every 5 ms on a connection of its own, from the kill) that finds the received seq applied; "
                     "drain_fast_lo: the start of the read before it (SHOW SLAVE STATUS blocks up to ~120 ms "
                     "after the kill while the IO thread handles the lost connection, so the 10 ms polls that "
                     "read both see the end late); fast_series: (read start, read end, applied - received). "
                     "db2's Binlog_commits / Binlog_group_commits / Innodb_data_fsyncs and applied "
                     "seq read at 5 s, 20 ms before the kill and at the sample that sees the drain: "
                     "the group size and fsyncs per transaction in each phase. 'series' is every sample from "
                     "1 s before to 1 s after the kill, then every 20th: (t, lag tx, received - applied, SBM). load_average_* is the "
                     "1-minute load (other helpers were building Swift beside the run).", rows[w])


def replica_capacity(reps):
    """A replica's apply capacity, without a source or a poll in the way: db2's SQL thread is
    stopped while 500 inserts/s go to db1 for 20 s, then the client stops, the IO thread has
    everything, and the SQL thread starts on the ~10,000-transaction backlog; the rate is the
    backlog over the time until @@gtid_slave_pos (read every 10 ms) reaches it. Configurations
    (REPLICA_CAP_CONFIGS, default "1:nosync,4:sync"): N conservative workers, db2 durable (sync:
    sync_binlog=1, innodb_flush_log_at_trx_commit=1) or not (nosync: 0 and 2, no fsync at
    commit: the apply's CPU alone). Interleaved, one rep of each in turn."""
    rate = int(os.environ.get("REPLICA_LAG_RATE", "500"))
    configs = [(int(c.split(":")[0]), c.split(":")[1])
               for c in os.environ.get("REPLICA_CAP_CONFIGS", "1:nosync,4:sync").split(",")]

    def one(workers, sync):
        extra = {"sync_binlog": 1 if sync == "sync" else 0,
                 "innodb_flush_log_at_trx_commit": 1 if sync == "sync" else 2,
                 "slave_parallel_threads": workers, "slave_parallel_mode": "conservative"}
        db1, db2 = replication.setup(1, replica_extra=extra)
        fs = hsv.fsync_ms()
        db2.sql("STOP SLAVE SQL_THREAD")
        t0 = now()
        c = Client(lambda: (db1.ip, 3306), rate=rate, pool=32, probes=False).start(t0)
        time.sleep(20.0)
        c.stop(drain=2.0)
        load = round(os.getloadavg()[0], 2)
        want = seq_of(replication.gtid_pos(db1))
        while seq_of(replication.slave_status(db2).get("Gtid_IO_Pos")) < want and now() - t0 < 60:
            time.sleep(0.05)
        cm = db2.conn(10)

        def counters():
            with cm.cursor() as cur:
                cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN "
                            "('Binlog_commits', 'Binlog_group_commits', 'Innodb_data_fsyncs')")
                v = dict(cur.fetchall())
                cur.execute("SELECT @@gtid_slave_pos")
                return (int(v["Binlog_commits"]), int(v["Binlog_group_commits"]),
                        int(v["Innodb_data_fsyncs"]), seq_of(cur.fetchone()[0]))
        a = counters()
        with cm.cursor() as cur:
            ts = now()
            cur.execute("START SLAVE SQL_THREAD")
            applied, t_end = a[3], None
            while now() - ts < 300:
                cur.execute("SELECT @@gtid_slave_pos")
                applied = seq_of(cur.fetchone()[0])
                if applied >= want:
                    t_end = now()
                    break
                time.sleep(0.01)
        b = counters()
        cm.close()
        n = want - a[3]
        return {"workers": workers, "durable": sync == "sync", "backlog": n,
                "drain_s": round(t_end - ts, 3) if t_end else None,
                "apply_rate": round(n / (t_end - ts), 1) if t_end else None,
                "group_size": round((b[0] - a[0]) / max(1, b[1] - a[1]), 2),
                "innodb_fsyncs_per_tx": round((b[2] - a[2]) / max(1, n), 3),
                "fsync_p50_ms": fs[0], "fsync_p99_ms": fs[1], "load_average": load}
    rows = {cfg: [] for cfg in configs}
    for r in range(reps):
        for cfg in configs:
            rows[cfg] += [{"rep": r + 1, **x} for x in hsv.repeat(1, lambda _: one(*cfg))]
    for (workers, sync), rs in rows.items():
        write_result(f"replica-capacity-conservative{workers}-{sync}",
                     f"db1 -> db2 asynchronous GTID replication (MariaDB 10.11), db2 with slave_parallel_threads={workers} "
                     f"(conservative), " + ("durable (sync_binlog=1, innodb_flush_log_at_trx_commit=1)" if sync == "sync" else
                                            "not durable (sync_binlog=0, innodb_flush_log_at_trx_commit=2: no fsync at commit)")
                     + f", log_slave_updates; its SQL thread stopped while {rate} inserts/s go to db1 for 20 s, then "
                     "started on the backlog with db1 idle.",
                     "loopback hosts on this 2-CPU machine; apply_rate = backlog / time from START SLAVE SQL_THREAD "
                     "to @@gtid_slave_pos (read every 10 ms) reaching db1's last GTID; group_size = Binlog_commits / "
                     "Binlog_group_commits and Innodb_data_fsyncs per transaction over the drain; configurations "
                     "interleaved, one rep of each in turn; load_average is the 1-minute load when the client stopped.", rs)


if __name__ == "__main__":
    hsv.main({"replica-lag-fine": replica_lag_fine, "replica-capacity": replica_capacity})
