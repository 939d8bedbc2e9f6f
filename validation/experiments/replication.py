#!/usr/bin/python3
"""Replication experiments (real side). Usage: replication.py EXPERIMENT [--reps N]

  async-kill9       db1 -> db2 async; 200 writes/s to db1; at 10 s db1's mysqld is killed -9:
                    what db2 has (loss against the ledger if it were promoted), its lag at the
                    kill and the time its SQL thread needs to drain the relay log; then db1
                    restarts: crash recovery time and what it kept.
  semisync-stall    db1 -> db2 semi-sync (rpl_semi_sync_master_timeout 10 s, MariaDB default);
                    at 10 s db2's host goes silent: commits on db1 wait the timeout, then
                    semi-sync switches OFF (async); at 30 s db2 comes back: time to ON again.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import Client, cleanup, host_silence, install_signal_cleanup, log, now, pct, write_result  # noqa: E402
import replication  # noqa: E402


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
                     "restart_to_ready": round(recovery, 3),
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


if __name__ == "__main__":
    hsv.main({"async-kill9": async_kill9, "semisync-stall": semisync})
