"""Real-side harness of hasim's validation: servers on this machine, a client with a ledger.

Every "host" is an address of its own on the loopback range (127.0.0.11, .12, ...), so each
mysqld, proxy and agent listens on the same port as in production and traffic never leaves the
machine. A host crash is SIGSTOP of every process of that host (packets get no answer, sockets
stay open, like a machine that lost power); a process crash is SIGKILL (the kernel closes its
sockets: peers see RST at once). Network namespaces are used only where a story needs layer 2
(ARP, VRRP).

The client mirrors hasim's application (docs: README "What is measured"):
  * writes at a fixed rate through a pool of connections; every acknowledged commit goes into
    the ledger with its issue and acknowledgement times; every error with its MySQL code;
  * probe writes every probe_interval (100 ms), each with probe_timeout (1 s): a probe that is
    not acknowledged in time counts its interval as down (write downtime);
  * RTO: from the fault to the acknowledgement of the first write issued at or after it;
  * lost: acknowledged ledger rows absent from the final primary's table.
"""
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

import pymysql

# Two experiments may run side by side on one machine with different HSV_NET / HSV_ROOT:
# their hosts, files and nft tables never meet.
ROOT = os.environ.get("HSV_ROOT", "/tmp/hsv")   # every datadir, socket and log of the harness
NET = os.environ.get("HSV_NET", "127.0.0")      # hosts are NET.10 (proxy), NET.11 (db1), ...
TABLE = "hsv" + NET.replace(".", "_")           # the nft table of this run's host crashes
MYSQL_UID = "mysql"
_procs = []                    # (Popen) started by the harness, killed by cleanup()
_netns = []                    # network namespaces this process made, deleted by cleanup()


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=True, check=check, text=True, capture_output=True, **kw)


def now():
    return time.monotonic()


# ---------------------------------------------------------------------------------------------
# Processes and cleanup
# ---------------------------------------------------------------------------------------------

def spawn(argv, logfile, **kw):
    f = open(logfile, "ab")
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, **kw)
    _procs.append(p)
    return p


def cleanup():
    """Kills only what this process started (by pid), then removes the namespaces it made
    (deleting a namespace deletes the veth ends inside it, and so their peers)."""
    for p in _procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGCONT)
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for p in _procs:
        try:
            p.wait(timeout=10)
        except Exception:
            pass
    _procs.clear()
    sh(f"nft delete table inet {TABLE}", check=False)
    for name in reversed(_netns):
        sh(f"ip netns pids {name} | xargs -r kill -9", check=False)
        sh(f"ip netns del {name}", check=False)
    _netns.clear()


def netns_add(name):
    """Creates a network namespace that cleanup() deletes (with its veth ends) on exit."""
    sh(f"ip netns add {name}")
    _netns.append(name)


def enter_netns(name):
    """Moves this thread (and the threads it starts later) into network namespace `name`."""
    import ctypes
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:      # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)


def host(i):
    """The address of host i: 10 the proxy, 11 db1, 12 db2, ..."""
    return f"{NET}.{i}"


def host_silence(ip, on=True):
    """Drops every loopback packet to or from `ip` (nft table inet hsv): the host is gone from
    the network, as after a power loss (peers get no RST, SYNs go unanswered)."""
    sh(f"nft add table inet {TABLE} && nft 'add chain inet {TABLE} out {{ type filter hook output priority 0; }}'")
    if on:
        sh(f"nft add rule inet {TABLE} out ip daddr {ip} drop")
        sh(f"nft add rule inet {TABLE} out ip saddr {ip} drop")
    else:
        sh(f"nft flush chain inet {TABLE} out")


def install_signal_cleanup():
    def handler(signum, frame):
        cleanup()
        sys.exit(130)
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


# ---------------------------------------------------------------------------------------------
# MariaDB servers
# ---------------------------------------------------------------------------------------------

def versions():
    v = {}
    for name, cmd in [("mariadb", "mariadbd --version"), ("haproxy", "haproxy -v | head -1"),
                      ("galera", "dpkg-query -W -f='${Version}' galera-4"),
                      ("kernel", "uname -r"), ("keepalived", "dpkg-query -W -f='${Version}' keepalived"),
                      ("mha4mysql", "dpkg-query -W -f='${Version}' mha4mysql-manager")]:
        r = sh(cmd, check=False)
        v[name] = (r.stdout or r.stderr).strip()[:120]
    return v


def template_datadir():
    """One initialised datadir copied for every server (mariadb-install-db takes seconds)."""
    t = f"{ROOT}/template"
    if not os.path.exists(f"{t}/mysql"):
        shutil.rmtree(t, ignore_errors=True)
        os.makedirs(t)
        sh(f"chown {MYSQL_UID}: {t}")
        sh(f"mariadb-install-db --user={MYSQL_UID} --datadir={t} --skip-test-db "
           f"--auth-root-authentication-method=socket > {ROOT}/install-db.log 2>&1")
    return t


class Server:
    """One mariadbd on one loopback "host" address, port 3306."""

    def __init__(self, name, ip, extra=None, fresh=True):
        self.name, self.ip = name, ip
        self.dir = f"{ROOT}/{name}"
        self.data = f"{self.dir}/data"
        self.sock = f"{self.dir}/mysqld.sock"
        self.errlog = f"{self.dir}/error.log"
        self.extra = extra or {}
        self.proc = None
        if fresh:
            shutil.rmtree(self.dir, ignore_errors=True)
            os.makedirs(self.dir)
            shutil.copytree(template_datadir(), self.data, symlinks=True)
            sh(f"chown -R {MYSQL_UID}: {self.dir}")

    def write_cnf(self):
        opts = {
            "datadir": self.data, "socket": self.sock, "pid-file": f"{self.dir}/mysqld.pid",
            "bind-address": self.ip, "port": 3306, "log-error": self.errlog,
            "skip-name-resolve": None, "innodb_buffer_pool_size": "64M",
            "innodb_log_file_size": "48M", "max_connections": 500,
            "performance_schema": "OFF", "skip-log-bin": None,
        }
        opts.update(self.extra)
        lines = ["[mysqld]"]
        for k, v in opts.items():
            if v is False:
                continue
            lines.append(k if v is None else f"{k}={v}")
        with open(f"{self.dir}/my.cnf", "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, args=(), wait=True, timeout=120):
        self.write_cnf()
        self.proc = spawn(["mariadbd", f"--defaults-file={self.dir}/my.cnf", f"--user={MYSQL_UID}", *args],
                          f"{self.dir}/stdout.log")
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=120):
        t0 = now()
        while now() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: mariadbd exited; see {self.errlog}")
            try:
                self.sql("SELECT 1")
                return now() - t0
            except Exception:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name}: not ready in {timeout}s; see {self.errlog}")

    def conn(self, timeout=5):
        return pymysql.connect(unix_socket=self.sock, user="root", autocommit=True,
                               connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)

    def sql(self, q, timeout=10):
        c = self.conn(timeout)
        try:
            with c.cursor() as cur:
                cur.execute(q)
                return cur.fetchall()
        finally:
            c.close()

    def var(self, name, status=True, timeout=10):
        kind = "STATUS" if status else "VARIABLES"
        r = self.sql(f"SHOW GLOBAL {kind} LIKE '{name}'", timeout)
        return r[0][1] if r else None

    def kill9(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def freeze(self):      # a host that lost power: no RST, no answer, no new handshake
        host_silence(self.ip)
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self):
        os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.thaw()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill9()


class NamespacedServer(Server):
    """A mariadbd started inside network namespace `ns` (its argv behind `ip netns exec`); the
    harness still reaches it on its unix socket."""

    def __init__(self, name, ip, ns, extra=None):
        super().__init__(name, ip, extra=extra)
        self.ns = ns

    def start(self, args=(), wait=True, timeout=180):
        self.write_cnf()
        self.proc = spawn(["ip", "netns", "exec", self.ns, "mariadbd", f"--defaults-file={self.dir}/my.cnf",
                           f"--user={MYSQL_UID}", *args], f"{self.dir}/stdout.log")
        if wait:
            self.wait_ready(timeout)
        return self


def create_app_schema(server):
    """The application's user and tables: an insert-only ledger, probes, hot rows."""
    for q in [
        "CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'app'",
        "GRANT ALL ON *.* TO 'app'@'%'",
        "CREATE DATABASE IF NOT EXISTS hsv",
        "CREATE TABLE IF NOT EXISTS hsv.ledger (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
        "seq BIGINT NOT NULL, client INT NOT NULL, UNIQUE KEY (client, seq)) ENGINE=InnoDB",
        "CREATE TABLE IF NOT EXISTS hsv.probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, t DOUBLE) ENGINE=InnoDB",
        "CREATE TABLE IF NOT EXISTS hsv.hot (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB",
        "INSERT IGNORE INTO hsv.hot VALUES " + ",".join(f"({i}, 0)" for i in range(1, 101)),
    ]:
        server.sql(q)


# ---------------------------------------------------------------------------------------------
# The application client: writes, probes, the ledger
# ---------------------------------------------------------------------------------------------

def err_code(e):
    if isinstance(e, pymysql.err.MySQLError) and e.args and isinstance(e.args[0], int):
        return e.args[0]
    if isinstance(e, (TimeoutError, OSError)):
        return 2013
    return -1


class Client:
    """A fixed-rate writer with a connection pool, plus probes, recording everything.

    address(): (host, port) the application dials now (a fixed IP, a VIP, a proxy).
    kind: 'insert' (ledger rows) or 'hot' (UPDATE of one of `hot_rows` rows).
    """

    _ids = iter(range(1, 1 << 30))

    def __init__(self, address, rate=100, pool=8, client_id=None, kind="insert", hot_rows=100,
                 connect_timeout=5, query_timeout=10, probe_interval=0.1, probe_timeout=1.0,
                 probes=True):
        self.address, self.rate, self.pool_size = address, rate, pool
        # Each client of a process writes its own (client, seq) keys: a later client on the same
        # server must not collide with an earlier one's ledger rows.
        self.client_id = client_id if client_id is not None else next(Client._ids)
        self.kind, self.hot_rows = kind, hot_rows
        self.connect_timeout, self.query_timeout = connect_timeout, query_timeout
        self.probe_interval, self.probe_timeout, self.probes_on = probe_interval, probe_timeout, probes
        self.acks = []          # (seq, t_issue, t_ack)
        self.errors = []        # (t, code, message)
        self.probes = []        # (t_issue, ok, t_done)
        self.jobs = queue.Queue()
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.threads = []
        self.t0 = None

    def _connect(self, timeout, rw_timeout=None):
        host, port = self.address()
        rw = rw_timeout or timeout
        return pymysql.connect(host=host, port=port, user="app", password="app", database="hsv",
                               autocommit=True, connect_timeout=timeout, read_timeout=rw,
                               write_timeout=rw)

    def _worker(self, wid):
        conn = None
        rows = self.hot_rows
        while True:
            job = self.jobs.get()
            if job is None:
                break
            seq, t_issue = job
            try:
                if conn is None:
                    conn = self._connect(self.connect_timeout, self.query_timeout)
                with conn.cursor() as cur:
                    if self.kind == "insert":
                        cur.execute("INSERT INTO ledger (seq, client) VALUES (%s, %s)", (seq, self.client_id))
                    else:
                        cur.execute("UPDATE hot SET v = v + 1 WHERE id = %s", (1 + seq % rows,))
                t_ack = now()
                with self.lock:
                    self.acks.append((seq, t_issue - self.t0, t_ack - self.t0))
            except Exception as e:
                with self.lock:
                    self.errors.append((now() - self.t0, err_code(e), str(e)[:160]))
                try:
                    if conn:
                        conn.close()
                except Exception:
                    pass
                conn = None

    def _scheduler(self):
        seq = 0
        period = 1.0 / self.rate
        nxt = self.t0
        while not self.stop_flag.is_set():
            nxt += period
            d = nxt - now()
            if d > 0:
                time.sleep(d)
            seq += 1
            self.jobs.put((seq, nxt))

    def _probe_once(self, t_issue, pool):
        ok = False
        conn = None
        try:
            try:
                conn = pool.get_nowait()
            except queue.Empty:
                conn = self._connect(self.probe_timeout)
            with conn.cursor() as cur:
                cur.execute("INSERT INTO probe (t) VALUES (%s)", (t_issue - self.t0,))
            ok = now() - t_issue <= self.probe_timeout
        except Exception as e:
            with self.lock:
                self.errors.append((now() - self.t0, err_code(e), "probe: " + str(e)[:150]))
            try:
                if conn:
                    conn.close()
            except Exception:
                pass
            conn = None
        if conn is not None:
            pool.put(conn)
        with self.lock:
            self.probes.append((t_issue - self.t0, ok, now() - self.t0))

    def _prober(self):
        pool = queue.Queue()
        nxt = self.t0
        while not self.stop_flag.is_set():
            nxt += self.probe_interval
            d = nxt - now()
            if d > 0:
                time.sleep(d)
            threading.Thread(target=self._probe_once, args=(nxt, pool), daemon=True).start()

    def start(self, t0=None):
        self.t0 = t0 or now()
        for i in range(self.pool_size):
            t = threading.Thread(target=self._worker, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)
        threading.Thread(target=self._scheduler, daemon=True).start()
        if self.probes_on:
            threading.Thread(target=self._prober, daemon=True).start()
        return self

    def stop(self, drain=12.0):
        self.stop_flag.set()
        # Writes still queued were never sent: drop them, they are neither acked nor failed.
        try:
            while True:
                self.jobs.get_nowait()
        except queue.Empty:
            pass
        for _ in self.threads:
            self.jobs.put(None)
        deadline = now() + drain
        for t in self.threads:
            t.join(max(0.0, deadline - now()))
        time.sleep(min(drain, self.probe_timeout + 0.2))

    # ---- metrics (same definitions as hasim) ----
    def write_downtime(self, start=0.0, end=None):
        ps = [p for p in self.probes if p[0] >= start and (end is None or p[0] < end)]
        return sum(self.probe_interval for p in ps if not p[1])

    def rto(self, t_fault):
        """Fault to the ack of the first write (ledger or probe) issued at or after it."""
        cands = [a[2] for a in self.acks if a[1] >= t_fault]
        cands += [p[2] for p in self.probes if p[1] and p[0] >= t_fault]
        return (min(cands) - t_fault) if cands else None

    def latencies_ms(self, start=0.0, end=None):
        return sorted((a[2] - a[1]) * 1000 for a in self.acks
                      if a[1] >= start and (end is None or a[1] < end))

    def errors_by_code(self, start=0.0):
        out = {}
        for t, c, _ in self.errors:
            if t >= start:
                out[str(c)] = out.get(str(c), 0) + 1
        return dict(sorted(out.items()))

    def lost(self, server):
        """Acknowledged inserts absent from `server`'s ledger table (read as root on its socket)."""
        have = {r[0] for r in server.sql(f"SELECT seq FROM hsv.ledger WHERE client = {self.client_id}", timeout=60)}
        acked = [a for a in self.acks if a[0] not in have]
        span = (max(a[2] for a in acked) - min(a[2] for a in acked)) if acked else 0.0
        return len(acked), span


def repeat(reps, one, tries=2):
    """Runs one(r) for r in 0..reps-1, each rep with a fresh set-up; a rep that fails (a server
    that did not start in a loaded machine, a status query refused) is logged, cleaned up and
    tried again once, so that one flake does not lose the others' figures."""
    rows = []
    for r in range(reps):
        for attempt in range(tries):
            try:
                rows.append(one(r))
                log(rows[-1] if len(str(rows[-1])) < 600 else str(rows[-1])[:600])
                break
            except Exception as e:  # noqa: BLE001 - any failure of a rep is retried once
                log(f"rep {r + 1} attempt {attempt + 1} failed: {type(e).__name__}: {e}")
            finally:
                cleanup()
    return rows


def fsync_ms(seconds=1.0):
    """The disk's fdatasync latency now (p50, p99 in ms) for a 4 KB overwrite in ROOT: what one
    durable commit (innodb_flush_log_at_trx_commit=1) waits for at least, measured beside the
    commit latencies because on a shared virtual disk it moves with the neighbours' I/O."""
    path = f"{ROOT}/fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    block, xs = b"x" * 4096, []
    try:
        end = now() + seconds
        while now() < end:
            t = now()
            os.pwrite(fd, block, 0)
            os.fdatasync(fd)
            xs.append((now() - t) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    xs.sort()
    return round(pct(xs, 50), 3), round(pct(xs, 99), 3)


def pct(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(q / 100.0 * (len(xs) - 1)))))
    return xs[k]


# ---------------------------------------------------------------------------------------------
# Repetitions and the results file
# ---------------------------------------------------------------------------------------------

def summarise(reps):
    """Per metric: median, min, max and n over repetitions (numbers only). Errors by code become
    errors_CODE (0 in a repetition that had none)."""
    codes = sorted({c for r in reps if isinstance(r.get("errors"), dict) for c in r["errors"]})
    reps = [{**r, **{f"errors_{c}": r["errors"].get(c, 0) for c in codes}} if isinstance(r.get("errors"), dict)
            else r for r in reps]
    keys = []
    for r in reps:
        for k, v in r.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in keys and k != "rep":
                keys.append(k)
    out = {}
    for k in keys:
        vals = [r[k] for r in reps if isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool)]
        if vals:
            out[k] = {"median": round(statistics.median(vals), 4), "min": round(min(vals), 4),
                      "max": round(max(vals), 4), "n": len(vals)}
    return out


def write_result(name, story, method, reps, notes=""):
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "results", f"{name}.json")
    doc = {"experiment": name, "story": story, "method": method, "notes": notes,
           "measured_on": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "versions": versions(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
           "cpus": os.cpu_count(), "repetitions": reps, "summary": summarise(reps)}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    log(f"wrote {os.path.normpath(path)}")
    for k, v in doc["summary"].items():
        log(f"  {k}: median {v['median']}  [{v['min']}, {v['max']}]  n={v['n']}")
    return doc


def main(experiments):
    """The command line of every experiment script: NAME [--reps N]; cleans up on any exit."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("experiment", choices=sorted(experiments))
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    install_signal_cleanup()
    os.makedirs(ROOT, exist_ok=True)
    # One experiment per HSV_ROOT at a time: a second one would wipe the first one's datadirs.
    import fcntl
    lock = open(f"{ROOT}/.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"another experiment is running in {ROOT} (set HSV_ROOT and HSV_NET to run beside it)")
    try:
        experiments[a.experiment](a.reps)
    finally:
        cleanup()
