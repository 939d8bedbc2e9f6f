#!/usr/bin/python3
"""Promoting a lagging replica (real side). Usage: promotion.py EXPERIMENT [--reps N]

  lagging-promote-gtid     db1 -> db2, db1 -> db3 (MariaDB GTID, master_use_gtid=slave_pos);
                           200 inserts/s to db1; at 5 s db3's IO thread is stopped (a replica left
                           behind); at 10 s db1's mysqld is killed -9; at 11 s the DBA promotes db3
                           (the runbook's standby, not the most advanced replica) and re-points db2
                           to it by GTID; the application writes to db3 from then on.
  lagging-promote-filepos  the same story, but db2 is re-pointed by file and position: the DBA
                           reads SHOW MASTER STATUS on db3 and points db2 there.

What a DBA meets: with GTID, db2 is refused at connect (IO error 1236: its position is not in
db3's binlog) and keeps the rows db3 never had; with file/position it connects, and the first
insert on db3 whose auto-increment key db2 already has stops db2's SQL thread with 1062.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import Client, log, now, write_result  # noqa: E402
import replication  # noqa: E402


def wait_replica_error(replica, timeout=15.0):
    """Until the IO or SQL thread of `replica` stops with an error: (seconds, io_errno, sql_errno)."""
    t0 = now()
    while now() - t0 < timeout:
        s = replication.slave_status(replica)
        io, sq = s.get("Last_IO_Errno") or 0, s.get("Last_SQL_Errno") or 0
        if io or sq:
            return now() - t0, io, sq
        time.sleep(0.05)
    return None, 0, 0


def rows(server):
    return {r[0] for r in server.sql("SELECT id FROM hsv.ledger", timeout=60)}


def lagging_promote(use_gtid):
    def one(r):
        db1, db2, db3 = replication.setup(2)
        t0 = now()
        c = Client(lambda: (db1.ip, 3306), rate=200, pool=8, probes=False).start(t0)
        time.sleep(5)
        db3.sql("STOP SLAVE IO_THREAD")
        time.sleep(5)
        db1.kill9()
        tf = now() - t0
        c.stop(drain=2.0)
        time.sleep(max(0.0, t0 + tf + 1.0 - now()))
        # The DBA's runbook: db3 is the standby. Drain what db3 has, promote it, re-point db2.
        replication.wait_drained(db3, timeout=30)
        db3.sql("STOP SLAVE")
        db3.sql("RESET SLAVE ALL")
        db3.sql("SET GLOBAL read_only = OFF")
        lost_on_db3, _ = c.lost(db3)
        lost_on_db2, _ = c.lost(db2)
        extra_on_db2 = len(rows(db2) - rows(db3))
        replication.wait_drained(db2, timeout=30)
        if use_gtid:
            replication.point(db2, db3, use_gtid=True)
        else:
            f, p = db3.sql("SHOW MASTER STATUS")[0][:2]
            replication.point(db2, db3, use_gtid=False, file_pos=(f, p))
        tp = now()
        app = Client(lambda: (db3.ip, 3306), rate=200, pool=8, probes=False).start()
        after, io, sq = wait_replica_error(db2)
        app.stop(drain=2.0)
        s = replication.slave_status(db2)
        return {"rep": r + 1, "acknowledged_by_db1": len(c.acks),
                "lost_if_db3_promoted": lost_on_db3, "lost_if_db2_promoted": lost_on_db2,
                "rows_on_db2_not_on_db3": extra_on_db2,
                "db2_error_after_repoint": round(after, 3) if after is not None else None,
                "db2_io_errno": io, "db2_sql_errno": sq,
                "db2_io_running": s.get("Slave_IO_Running"), "db2_sql_running": s.get("Slave_SQL_Running"),
                "writes_acknowledged_by_db3": len(app.acks),
                "repoint_to_first_db3_ack": round(min(a[2] for a in app.acks) + app.t0 - tp, 3) if app.acks else None}
    return one


STORY = ("db1 -> db2 and db1 -> db3, MariaDB 10.11 GTID replication (MariaDB defaults); 200 inserts/s to "
         "db1 through 8 connections; at 5 s db3's IO thread is stopped (STOP SLAVE IO_THREAD); at 10 s db1's "
         "mysqld is killed -9; at ~11 s the DBA promotes db3 (drain, STOP SLAVE, RESET SLAVE ALL, read_only=OFF) "
         "and re-points db2 to db3 {how}; the application then writes 200/s to db3.")


def gtid(reps):
    rows_ = hsv.repeat(reps, lagging_promote(True))
    write_result("lagging-promote-gtid", STORY.format(how="with MASTER_USE_GTID=slave_pos"),
                 "loopback hosts; loss = db1's acknowledged ledger rows absent from the promoted db3; "
                 "db2's SHOW SLAVE STATUS polled every 50 ms after START SLAVE for Last_IO_Errno / Last_SQL_Errno.",
                 rows_)


def filepos(reps):
    rows_ = hsv.repeat(reps, lagging_promote(False))
    write_result("lagging-promote-filepos",
                 STORY.format(how="by file and position (db3's SHOW MASTER STATUS)"),
                 "loopback hosts; loss = db1's acknowledged ledger rows absent from the promoted db3; "
                 "db2's SHOW SLAVE STATUS polled every 50 ms after START SLAVE for Last_IO_Errno / Last_SQL_Errno.",
                 rows_)


if __name__ == "__main__":
    hsv.main({"lagging-promote-gtid": gtid, "lagging-promote-filepos": filepos})
