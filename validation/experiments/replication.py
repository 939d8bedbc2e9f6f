#!/usr/bin/python3
"""Replication experiments (real side). Usage: replication.py EXPERIMENT [--reps N]

  async-kill9       db1 -> db2 async; 200 writes/s to db1; at 10 s db1's mysqld is killed -9:
                    what db2 has (loss against the ledger if it were promoted), its lag at the
                    kill and the time its SQL thread needs to drain the relay log; then db1
                    restarts: crash recovery time and what it kept.
  semisync-stall    db1 -> db2 semi-sync (rpl_semi_sync_master_timeout 10 s, MariaDB default);
                    at 10 s db2's host goes silent: commits on db1 wait the timeout, then
                    semi-sync switches OFF (async); at 30 s db2 comes back: time to ON again.
  replica-lag       db1 -> db2 async, db2 durable (sync_binlog=1, innodb_flush_log_at_trx_commit=1)
                    with one SQL thread; RATE (env REPLICA_LAG_RATE, default 500) inserts/s to db1
                    through 32 connections (db1 group-commits, db2 applies one transaction at a
                    time): lag grows; at 20 s db1's mysqld is killed -9 and db2 drains its relay log.
                    Lag is sampled every 100 ms as Seconds_Behind_Master and as the GTID gap.
                    REPLICA_LAG_WORKERS=N REPLICA_LAG_MODE=optimistic|conservative: db2 with N
                    parallel workers (result replica-lag-MODEN).
                    (replica_apply.py: the same measured finely, and the replica's capacity.)
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import Client, cleanup, host_silence, install_signal_cleanup, log, now, pct, write_result  # noqa: E402
import replication  # noqa: E402
from replication import commit_and_disk, fsync_append_ms, read_positions, seq_of  # noqa: E402


def sampler(server, t0, fn, out, stop, period=0.1):
    def run():
        while not stop.is_set():
            try:
                out.append((now() - t0, fn(server)))
            except Exception:
                pass
            time.sleep(period)
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


def async_kill9(reps):
    rows = []
    for r in range(reps):
        db1, db2 = replication.setup(1)
        # A clean restart first: start-up without crash recovery, to tell the two apart.
        db1.stop()
        tc = now()
        db1.start(timeout=300)
        clean_start = now() - tc
        replication.wait_caught_up([db2], db1)
        t0 = now()
        c = Client(lambda: (db1.ip, 3306), rate=200, pool=8).start(t0)
        lag, stop = [], threading.Event()
        sampler(db2, t0, lambda s: replication.slave_status(s).get("Seconds_Behind_Master"), lag, stop)
        time.sleep(10)
        db1.kill9()
        tf = now() - t0
        acked_at_kill = len(c.acks)
        drain = replication.wait_drained(db2, timeout=2.5)
        stop.set()
        # What a promotion of db2 right now would keep: stop its threads and read its ledger.
        db2.sql("STOP SLAVE")
        lost_on_db2, span = c.lost(db2)
        s = replication.slave_status(db2)
        # The old primary restarts 3 s after the kill (as mysqld_safe/systemd would, quickly):
        # crash recovery, then the client's writes succeed again.
        time.sleep(max(0.0, t0 + tf + 3.0 - now()))
        tr = now()
        db1.start(timeout=300)
        recovery = now() - tr
        time.sleep(3)
        c.stop()
        lost_on_db1, _ = c.lost(db1)
        lags = [v for t, v in lag if t < tf and v is not None]
        lat = c.latencies_ms(2.0, tf)
        rows.append({"rep": r + 1, "acknowledged_at_kill": acked_at_kill,
                     "lost_if_db2_promoted": lost_on_db2, "lost_span": round(span, 3),
                     "lost_on_restarted_db1": lost_on_db1,
                     "lag_max_before_kill_s": max(lags) if lags else None,
                     "drain_after_kill": round(drain, 3) if drain is not None else None,
                     "io_thread_after_kill": s.get("Slave_IO_Running"), "io_errno": s.get("Last_IO_Errno"),
                     "sql_errno": s.get("Last_SQL_Errno"),
                     "restart_to_ready": round(recovery, 3), "clean_start_to_ready": round(clean_start, 3),
                     "write_downtime": round(c.write_downtime(tf), 3),
                     "rto": round(c.rto(tf), 3) if c.rto(tf) is not None else None,
                     "commit_p50_ms": round(pct(lat, 50), 3), "commit_p99_ms": round(pct(lat, 99), 3),
                     "errors": c.errors_by_code(tf)})
        log(rows[-1])
        cleanup()
    write_result("async-kill9", "db1 -> db2 asynchronous GTID replication (MariaDB 10.11 defaults, "
                 "sync_binlog=0, innodb_flush_log_at_trx_commit=1); 200 inserts/s to db1 through 8 "
                 "connections; at 10 s db1's mysqld is killed -9; db2 drains its relay log; 3 s after "
                 "the kill db1's mysqld is started again (crash recovery) and the client's writes resume.",
                 "loopback hosts; Seconds_Behind_Master sampled every 100 ms; loss = acknowledged "
                 "ledger rows absent from db2 (as if promoted after draining) and from the restarted db1.", rows)


def semisync(reps):
    def one(r):
        db1, db2 = replication.setup(
            1, primary_extra={"rpl_semi_sync_master_enabled": "ON"},
            replica_extra={"rpl_semi_sync_slave_enabled": "ON"})
        t0 = now()
        c = Client(lambda: (db1.ip, 3306), rate=100, pool=8).start(t0)
        st, stop = [], threading.Event()
        # 10 ms samples: the figures after the return are a few tens of ms, below a 100 ms grid.
        sampler(db1, t0, lambda s: s.var("Rpl_semi_sync_master_status"), st, stop, period=0.01)
        time.sleep(10)
        db2.freeze()
        tf = now() - t0
        time.sleep(20)
        host_silence(db2.ip, on=False)
        # The return counts from here: the nft rules are gone (the nft commands themselves take
        # tens of ms on a loaded machine, which the figure must not include).
        tb = now() - t0
        db2.thaw()
        time.sleep(30)
        c.stop()
        stop.set()
        off = next((t for t, v in st if t >= tf and v == "OFF"), None)
        on = next((t for t, v in st if t >= tb and v == "ON"), None)
        lat = c.latencies_ms(tf, tf + 15)
        return {"rep": r + 1, "semi_sync_off_after": round(off - tf, 3) if off else None,
                "semi_sync_on_after_return": round(on - tb, 3) if on else None,
                "write_downtime": round(c.write_downtime(tf, tb), 3),
                "rto": round(c.rto(tf), 3) if c.rto(tf) is not None else None,
                "stall_max_commit_ms": round(max(lat), 1) if lat else None,
                "yes_tx": int(db1.var("Rpl_semi_sync_master_yes_tx", timeout=30)),
                "no_tx": int(db1.var("Rpl_semi_sync_master_no_tx", timeout=30)),
                "errors": c.errors_by_code(tf)}
    rows = hsv.repeat(reps, one)
    write_result("semisync-stall", "db1 -> db2 semi-sync (MariaDB 10.11 built-in, AFTER_COMMIT default, "
                 "rpl_semi_sync_master_timeout 10000 ms); 100 inserts/s to db1; at 10 s db2's host goes "
                 "silent (nft drop + SIGSTOP); at 30 s it returns; 30 s more.",
                 "loopback hosts; Rpl_semi_sync_master_status sampled every 10 ms on db1's socket; the return "
                 "counts from the moment the nft rules are gone.", rows)


def replica_lag(reps):
    rate = int(os.environ.get("REPLICA_LAG_RATE", "500"))
    workers = int(os.environ.get("REPLICA_LAG_WORKERS", "0"))
    mode = os.environ.get("REPLICA_LAG_MODE", "conservative")
    kill_at = 20.0

    def one(r):
        extra = {"sync_binlog": 1, "innodb_flush_log_at_trx_commit": 1,
                 "slave_parallel_threads": workers}
        if workers:
            extra["slave_parallel_mode"] = mode
        db1, db2 = replication.setup(1, replica_extra=extra)
        fs = hsv.fsync_ms()
        fa = fsync_append_ms()
        base1, base2 = seq_of(replication.gtid_pos(db1)), seq_of(db2.sql("SELECT @@gtid_slave_pos")[0][0])
        t0 = now()
        c = Client(lambda: (db1.ip, 3306), rate=rate, pool=32, probes=False).start(t0)
        samples, stop = [], threading.Event()   # (t, source seq, replica applied seq, received seq, SBM)

        def run():
            c1, c2 = db1.conn(5), db2.conn(5)
            while not stop.is_set():
                t = now() - t0
                try:
                    c1, src, applied, row = read_positions(c1, c2)
                    samples.append((t, src, applied, seq_of(row.get("Gtid_IO_Pos")),
                                    row.get("Seconds_Behind_Master")))
                except Exception:
                    pass
                time.sleep(max(0.0, 0.1 - (now() - t0 - t)))
        th = threading.Thread(target=run, daemon=True)
        th.start()
        def group_commits():
            return (int(db1.var("Binlog_commits")), int(db1.var("Binlog_group_commits")))

        def replica_disk():
            # db2's own commits: binlog commits, binlog group commits (one fsync each with
            # sync_binlog=1), InnoDB's fsyncs (10.11 has no Innodb_os_log_fsyncs: data + log), and
            # what its SQL thread has applied.
            return (int(db2.var("Binlog_commits")), int(db2.var("Binlog_group_commits")),
                    int(db2.var("Innodb_data_fsyncs")), seq_of(db2.sql("SELECT @@gtid_slave_pos")[0][0]))
        g0 = group_commits()
        time.sleep(max(0.0, t0 + 5.0 - now()))
        d0, td0 = replica_disk(), now()
        time.sleep(max(0.0, t0 + kill_at - 0.5 - now()))
        g1 = group_commits()
        d1, td1 = replica_disk(), now()
        time.sleep(max(0.0, t0 + kill_at - now()))
        db1.kill9()
        tk = now() - t0
        acked = len(c.acks)
        c.stop(drain=2.0)
        # Drain: the SQL thread reaches what the IO thread had received (bounded at 180 s).
        drain = None
        while now() - t0 < tk + 180:
            if samples and samples[-1][0] > tk + 0.3 and samples[-1][2] >= samples[-1][3] > 0:
                drain = next(t for t, _, a, io, _ in samples if t > tk and a >= io) - tk
                break
            time.sleep(0.05)
        stop.set()
        th.join(2)
        d2, td2 = replica_disk(), now()

        def per_tx(a, b):
            # (applied/s, transactions per binlog group commit, InnoDB fsyncs per transaction)
            n = max(1, b[3] - a[3])
            return (round(n / (b[4] - a[4]), 1), round((b[0] - a[0]) / max(1, b[1] - a[1]), 2), round((b[2] - a[2]) / n, 2))
        under, drained = per_tx(d0 + (td0,), d1 + (td1,)), per_tx(d1 + (td1,), d2 + (td2,))
        pre = [s for s in samples if s[0] < tk and s[1] is not None]

        def at(t):
            return min(pre, key=lambda s: abs(s[0] - t))

        def gap(s):
            return s[1] - s[2]
        s5, s_end = at(5.0), pre[-1]
        load = [s for s in pre if s[0] >= 2.0]
        # Least-squares slope of the GTID gap (transactions behind) against time, 2 s .. kill.
        n = len(load)
        mt = sum(s[0] for s in load) / n
        mg = sum(gap(s) for s in load) / n
        slope = sum((s[0] - mt) * (gap(s) - mg) for s in load) / sum((s[0] - mt) ** 2 for s in load)
        applied_at_kill = s_end[2]
        received = max(s[3] for s in samples)
        sbm = [s[4] for s in pre if s[4] is not None]
        lat = c.latencies_ms(2.0, tk)
        return {"rep": r + 1, "write_rate": round(sum(1 for a in c.acks if 2.0 <= a[2] < tk) / (tk - 2.0), 1),
                "source_tx_at_kill": s_end[1] - base1, "acknowledged_at_kill": acked,
                "apply_rate_under_load": round((s_end[2] - s5[2]) / (s_end[0] - s5[0]), 1),
                "lag_growth_tx_per_s": round(slope, 1),
                "lag_tx_at_5s": gap(s5), "lag_tx_at_kill": gap(s_end),
                "sbm_at_kill": sbm[-1] if sbm else None,
                "received_not_applied_at_kill": received - applied_at_kill,
                "drain_after_kill": round(drain, 3) if drain is not None else None,
                "drain_rate": round((received - applied_at_kill) / drain, 1) if drain else None,
                **commit_and_disk(lat, g0, g1, under, drained, fs),
                "replica_applied_per_s_drain": drained[0],
                "fsync_append_p50_ms": fa[0], "fsync_append_p99_ms": fa[1], "base_seq": base2,
                "series": [(round(t, 2), (a - b) if a is not None else None, io - b, sb)
                           for t, a, b, io, sb in [(s[0], s[1], s[2], s[3], s[4]) for s in samples][::5]],
                "errors": c.errors_by_code(0.0)}
    rows = hsv.repeat(reps, one)
    par = (f"slave_parallel_threads={workers}, slave_parallel_mode={mode}" if workers
           else "one SQL thread (slave_parallel_threads=0, the default)")
    # REPLICA_LAG_SUFFIX: a separate result file (e.g. a run for the replica's fsync counters).
    write_result("replica-lag" + (f"-{mode}{workers}" if workers else "") + os.environ.get("REPLICA_LAG_SUFFIX", ""),
                 f"db1 -> db2 asynchronous GTID replication (MariaDB 10.11); db1 at its defaults "
                 f"(sync_binlog=0, innodb_flush_log_at_trx_commit=1), db2 durable (sync_binlog=1, "
                 f"innodb_flush_log_at_trx_commit=1, log_slave_updates) with {par}; {rate} inserts/s "
                 f"to db1 through 32 connections; at 20 s db1's mysqld is killed -9 and db2 drains.",
                 "loopback hosts; every 100 ms: db1's @@gtid_binlog_pos, db2's @@gtid_slave_pos, "
                 "Gtid_IO_Pos and Seconds_Behind_Master; lag = source seq - applied seq; growth = "
                 "least-squares slope from 2 s to the kill; drain = kill to the applied seq reaching "
                 "the received seq. 'series' is every 5th sample: (t, lag tx, received - applied, SBM).",
                 rows)


if __name__ == "__main__":
    hsv.main({"async-kill9": async_kill9, "semisync-stall": semisync, "replica-lag": replica_lag})
