"""MariaDB 10.11 primary/replica sets on loopback hosts (GTID replication, MariaDB defaults)."""
import os
import time

import hsv

from hsv import Server, create_app_schema, host, now, pct


def binlog_server(name, ip, server_id, extra=None):
    opts = {"skip-log-bin": False, "log-bin": "mysql-bin", "server-id": server_id,
            "log_slave_updates": "ON", "binlog_format": "ROW"}
    opts.update(extra or {})
    return Server(name, ip, extra=opts)


def setup(n_replicas=1, primary_extra=None, replica_extra=None, replica_read_only=True, use_gtid=True):
    """db1 (127.0.0.11) primary; db2.. replicas of db1. Returns [db1, db2, ...], all started."""
    p = binlog_server("db1", host(11), 1, primary_extra).start()
    p.sql("CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'repl'")
    p.sql("GRANT REPLICATION SLAVE, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'repl'@'%'")
    create_app_schema(p)
    servers = [p]
    for i in range(2, 2 + n_replicas):
        ro = {"read_only": "ON"} if replica_read_only else {}
        r = binlog_server(f"db{i}", host(10 + i), i, {**ro, **(replica_extra or {})}).start()
        point(r, p, use_gtid)
        servers.append(r)
    wait_caught_up(servers[1:], p)
    return servers


def point(replica, source, use_gtid=True, file_pos=None):
    replica.sql("STOP SLAVE")
    how = "MASTER_USE_GTID=slave_pos" if use_gtid else \
        (f"MASTER_LOG_FILE='{file_pos[0]}', MASTER_LOG_POS={file_pos[1]}" if file_pos else
         "MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=4")
    replica.sql(f"CHANGE MASTER TO MASTER_HOST='{source.ip}', MASTER_PORT=3306, MASTER_USER='repl', "
                f"MASTER_PASSWORD='repl', MASTER_CONNECT_RETRY=1, {how}")
    replica.sql("START SLAVE")


def slave_status(server):
    c = server.conn(5)
    try:
        with c.cursor() as cur:
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
            if not row:
                return {}
            return dict(zip([d[0] for d in cur.description], row))
    finally:
        c.close()


def gtid_pos(server):
    return server.sql("SELECT @@gtid_current_pos")[0][0]


def wait_caught_up(replicas, source, timeout=60):
    want = source.sql("SELECT @@gtid_binlog_pos")[0][0]
    t0 = now()
    for r in replicas:
        while now() - t0 < timeout:
            if r.sql(f"SELECT MASTER_GTID_WAIT('{want}', 1)")[0][0] == 0:
                break
        else:
            raise RuntimeError(f"{r.name} did not catch up with {source.name}")


def ledger_count(server, client_id=1):
    return server.sql(f"SELECT COUNT(*) FROM hsv.ledger WHERE client = {client_id}")[0][0]


def wait_drained(replica, timeout=120):
    """Until the SQL thread has applied everything the IO thread received (relay log drained).
    Returns the seconds it took."""
    t0 = now()
    while now() - t0 < timeout:
        s = slave_status(replica)
        if s and s.get("Read_Master_Log_Pos") == s.get("Exec_Master_Log_Pos") and \
                s.get("Relay_Master_Log_File") == s.get("Master_Log_File"):
            return now() - t0
        time.sleep(0.02)
    return None


def seq_of(gtid):
    """The sequence number of domain 0 in a MariaDB GTID position ('0-1-1234' -> 1234)."""
    for g in (gtid or "").split(","):
        parts = g.strip().split("-")
        if len(parts) == 3 and parts[0] == "0":
            return int(parts[2])
    return 0


def fsync_append_ms(seconds=1.0):
    """fdatasync after appending 1 KB to a growing file (p50, p99 in ms): what a binlog fsync
    costs (the file's size changes, so the filesystem journal commits too), unlike the
    preallocated redo log that hsv.fsync_ms's in-place overwrite stands for."""
    path = f"{hsv.ROOT}/fsync-append-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
    block, xs = b"x" * 1024, []
    try:
        end = now() + seconds
        while now() < end:
            t = now()
            os.write(fd, block)
            os.fdatasync(fd)
            xs.append((now() - t) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    return round(pct(xs, 50), 3), round(pct(xs, 99), 3)


def read_positions(c1, c2, source=True):
    """One sample: db1's binlog seq (None, and c1 None from then on, once db1 is unreachable),
    db2's applied seq and its SHOW SLAVE STATUS row."""
    src = None
    if c1 is not None and source:
        try:
            with c1.cursor() as cur:
                cur.execute("SELECT @@gtid_binlog_pos")
                src = seq_of(cur.fetchone()[0])
        except Exception:
            c1 = None
    with c2.cursor() as cur:
        cur.execute("SELECT @@gtid_slave_pos")
        applied = seq_of(cur.fetchone()[0])
        cur.execute("SHOW SLAVE STATUS")
        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    return c1, src, applied, row


def commit_and_disk(lat, g0, g1, under, drained, fs):
    """The figures of db1's commits and db2's disk: commit latency, db1's transactions per
    binlog group commit, db2's (applied/s, group size, InnoDB fsyncs per transaction) under
    load and in the drain, the fsync probe."""
    return {"commit_p50_ms": round(pct(lat, 50), 3) if lat else None,
            "commit_p99_ms": round(pct(lat, 99), 3) if lat else None,
            "source_group_size": round((g1[0] - g0[0]) / max(1, g1[1] - g0[1]), 2),
            "replica_applied_per_s_under_load": under[0], "replica_group_size_under_load": under[1],
            "replica_innodb_fsyncs_per_tx_under_load": under[2],
            "replica_group_size_drain": drained[1], "replica_innodb_fsyncs_per_tx_drain": drained[2],
            "fsync_p50_ms": fs[0], "fsync_p99_ms": fs[1]}
