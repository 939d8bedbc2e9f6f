"""Galera 4 (MariaDB 10.11 + galera-4 26.4) clusters on loopback "hosts" 127.0.0.11...

Provider options are Galera's defaults except the listen addresses: evs.suspect_timeout PT5S,
evs.inactive_timeout PT15S, gcs.fc_limit 16, gcs.fc_factor 1.0, wsrep_retry_autocommit 1,
wsrep_slave_threads 1. SST by rsync (MariaDB's default method), IST from gcache (128M).
"""
import time

from hsv import Server, create_app_schema, host, log, now

PROVIDER = "/usr/lib/galera/libgalera_smm.so"


def ip_of(i):
    return host(10 + i)


def node_options(i, ip, addrs, extra_provider=""):
    """mysqld options of Galera node i at `ip` in a cluster of `addrs` (Galera's defaults)."""
    popts = f"gmcast.listen_addr=tcp://{ip}:4567;ist.recv_addr={ip}:4568"
    if extra_provider:
        popts += ";" + extra_provider
    return {
        "wsrep_on": "ON", "wsrep_provider": PROVIDER,
        "wsrep_cluster_address": f"gcomm://{addrs}", "wsrep_cluster_name": "hsv",
        "wsrep_node_address": ip, "wsrep_node_name": f"db{i}",
        "wsrep_provider_options": f'"{popts}"',
        "wsrep_sst_method": "rsync", "wsrep_sst_receive_address": f"{ip}:4444",
        "binlog_format": "ROW", "innodb_autoinc_lock_mode": 2,
    }


class Cluster:
    def __init__(self, n, extra_provider=""):
        self.n = n
        addrs = ",".join(ip_of(i) for i in range(1, n + 1))
        self.nodes = []
        for i in range(1, n + 1):
            self.nodes.append(Server(f"db{i}", ip_of(i), extra=node_options(i, ip_of(i), addrs, extra_provider)))

    def start(self):
        first = self.nodes[0]
        first.start(["--wsrep-new-cluster"])
        # Ready for SQL is not ready for writes: under load the bootstrapped node answered
        # the schema's CREATE with 1047 before it reached Synced.
        self.wait_synced(first)
        create_app_schema(first)
        for node in self.nodes[1:]:
            node.start(wait=False)
            self.wait_synced(node)
        for node in self.nodes:
            assert int(node.var("wsrep_cluster_size")) == self.n, node.name
        return self

    @staticmethod
    def wait_synced(node, timeout=180):
        t0 = now()
        while now() - t0 < timeout:
            try:
                if node.var("wsrep_local_state_comment") == "Synced":
                    return now() - t0
            except Exception:
                pass
            if node.proc.poll() is not None:
                raise RuntimeError(f"{node.name} exited while joining; see {node.errlog}")
            time.sleep(0.1)
        raise RuntimeError(f"{node.name} not Synced after {timeout}s")

    def stop(self):
        for node in reversed(self.nodes):
            node.stop()


class StatusWatch:
    """Polls a node's wsrep status on its unix socket every 100 ms (the operator's view)."""

    def __init__(self, node, t0, names=("wsrep_cluster_size", "wsrep_cluster_status")):
        import threading
        self.node, self.t0, self.names = node, t0, names
        self.samples = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conn = None
        while not self.stop_flag.is_set():
            try:
                if conn is None:
                    conn = self.node.conn(2)
                with conn.cursor() as cur:
                    cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN (%s)" %
                                ",".join(f"'{n}'" for n in self.names))
                    self.samples.append((now() - self.t0, dict(cur.fetchall())))
            except Exception:
                conn = None
            time.sleep(0.1)

    def first(self, pred, after=0.0):
        for t, s in self.samples:
            if t >= after and pred(s):
                return t
        return None

    def stop(self):
        self.stop_flag.set()
        self.thread.join(3)
