#!/usr/bin/python3
"""Apache httpd 2.4 (event MPM) + mod_jk 1.2 in front of two Tomcat 10 instances (AJP, lb
worker, sticky sessions by jvmRoute, no session replication). Usage:
web.py web-tomcat-death|web-tomcat-pause|web-tomcat-pause-ping [--reps N]

Hosts (loopback): NET.20 web1 (Apache :80), NET.21 was1, NET.22 was2 (AJP :8009). USERS
virtual users, each with its own keep-alive connection and cookie, think lognormal (median
1 s, sigma 0.5; KeepAliveTimeout 60 s so that no idle close races a request), 60 % static
pages (served by Apache) and 40 % dynamic (a servlet that keeps
a counter in the session: which Tomcat answered and whether the session is new). At 15 s
was1's host dies (its address silent: nft drop; its JVM stopped), or (tomcat-pause) its JVM
alone is stopped with SIGSTOP (tomcat-pause-ping: with ping_mode A, no reply_timeout and the users' timeout 20 s,
as scenarios/regressions/web/tomcat-hang-ping-mode.yaml); 30 s more.
mod_jk as hasim's scenario sets it: socket_connect_timeout 3 s, reply_timeout 10 s, the
rest at mod_jk's defaults (retries 2, recover_time 60 s, recovery_options 0).
"""
import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import ROOT, log, now, spawn, write_result  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
USERS = int(os.environ.get("HSV_WEB_USERS", "100"))
TOMCAT = "/usr/share/tomcat10"

SERVER_XML = """<?xml version="1.0"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector protocol="AJP/1.3" address="{ip}" port="8009" secretRequired="false" maxThreads="200"/>
    <Engine name="Catalina" defaultHost="localhost" jvmRoute="{route}">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
"""
WEB_XML = """<?xml version="1.0"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="5.0">
  <servlet><servlet-name>page</servlet-name><servlet-class>Page</servlet-class></servlet>
  <servlet-mapping><servlet-name>page</servlet-name><url-pattern>/page</url-pattern></servlet-mapping>
</web-app>
"""
HTTPD_CONF = """ServerRoot "{root}"
ServerName web1
Listen {ip}:80
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule jk_module /usr/lib/apache2/modules/mod_jk.so
DocumentRoot {root}/htdocs
<Directory {root}/htdocs>
  Require all granted
</Directory>
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
ServerLimit 16
ThreadsPerChild 25
MaxRequestWorkers 400
JkWorkersFile {root}/workers.properties
JkShmFile {root}/jk.shm
JkLogFile {root}/mod_jk.log
JkLogLevel info
JkMount /page lb
"""
WORKERS = """worker.list=lb
worker.lb.type=lb
worker.lb.balance_workers=was1,was2
worker.lb.sticky_session=true
"""
AJP = """worker.{name}.type=ajp13
worker.{name}.host={ip}
worker.{name}.port=8009
worker.{name}.socket_connect_timeout=3000
worker.{name}.reply_timeout=10000
"""
PING = """worker.{name}.ping_mode=A
"""


def classes():
    out = f"{ROOT}/classes"
    if not os.path.exists(f"{out}/Page.class"):
        os.makedirs(out, exist_ok=True)
        hsv.sh(f"javac -cp /usr/share/java/tomcat10-servlet-api.jar -d {out} {HERE}/../web/Page.java")
    return out


def tomcat(name, ip):
    base = f"{ROOT}/{name}"
    shutil.rmtree(base, ignore_errors=True)
    for d in ("conf", "logs", "temp", "work", "webapps/ROOT/WEB-INF/classes"):
        os.makedirs(f"{base}/{d}", exist_ok=True)
    with open(f"{base}/conf/server.xml", "w") as f:
        f.write(SERVER_XML.format(ip=ip, route=name))
    shutil.copy("/etc/tomcat10/web.xml", f"{base}/conf/web.xml")
    with open(f"{base}/webapps/ROOT/WEB-INF/web.xml", "w") as f:
        f.write(WEB_XML)
    shutil.copy(f"{classes()}/Page.class", f"{base}/webapps/ROOT/WEB-INF/classes/Page.class")
    cp = f"{TOMCAT}/bin/bootstrap.jar:{TOMCAT}/bin/tomcat-juli.jar"
    return spawn(["java", "-Xmx256m", "-XX:+UseSerialGC", f"-Dcatalina.home={TOMCAT}", f"-Dcatalina.base={base}",
                  f"-Djava.io.tmpdir={base}/temp", f"-Dhsv.route={name}", "-cp", cp,
                  "org.apache.catalina.startup.Bootstrap", "start"], f"{base}/logs/out.log")


def apache(ip, workers, ping=False):
    root = f"{ROOT}/web1"
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(f"{root}/htdocs", exist_ok=True)
    os.chmod(ROOT, 0o755)
    os.chmod(root, 0o777)
    with open(f"{root}/htdocs/static.html", "w") as f:
        f.write("x" * 2000)
    with open(f"{root}/httpd.conf", "w") as f:
        f.write(HTTPD_CONF.format(root=root, ip=ip))
    with open(f"{root}/workers.properties", "w") as f:
        # The ping variant as tomcat-hang-ping-mode.yaml: ping_mode A and no reply_timeout.
        ajp = AJP.replace("worker.{name}.reply_timeout=10000\n", PING) if ping else AJP
        f.write(WORKERS + "".join(ajp.format(name=n, ip=a) for n, a in workers))
    return spawn(["/usr/sbin/apache2", "-f", f"{root}/httpd.conf", "-DFOREGROUND"], f"{root}/out.log")


def wait_port(ip, port, deadline=120):
    import socket
    end = now() + deadline
    while now() < end:
        try:
            socket.create_connection((ip, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"nothing listens on {ip}:{port}")


def jk_time(line):
    """The wall-clock instant of a mod_jk log line ([Tue Dec 01 10:42:37.924 2026])."""
    import calendar
    m = re.match(r"\[\w+ (\w+ \d+ [\d:]+)\.(\d+) (\d+)\]", line)
    if not m:
        return None
    t = time.strptime(f"{m.group(1)} {m.group(3)}", "%b %d %H:%M:%S %Y")
    return time.mktime(t) + int(m.group(2)) / 1000.0


def wait_page(ip, route, deadline=120):
    """Until a dynamic page comes back from `route` (the Tomcat is deployed and mod_jk reaches it)."""
    end = now() + deadline
    while now() < end:
        try:
            c = http.client.HTTPConnection(ip, 80, timeout=5)
            c.request("GET", "/page;jsessionid=x." + route)
            body = c.getresponse().read().decode()
            if f"route={route}" in body:
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{route} not serving through mod_jk")


class User:
    def __init__(self, i, ip, t0, stop, rng, records, timeout=60):
        self.i, self.ip, self.t0, self.stop, self.rng, self.records = i, ip, t0, stop, rng, records
        self.timeout = timeout
        self.cookie = None
        self.conn = None

    def run(self):
        time.sleep(self.rng.uniform(0, 1.0))     # each user's first request at its own phase
        while not self.stop.is_set():
            dynamic = self.rng.random() >= 0.6
            t = now()
            status, lost, route = 0, False, None
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.ip, 80, timeout=self.timeout)
                headers = {"Cookie": f"JSESSIONID={self.cookie}"} if (dynamic and self.cookie) else {}
                self.conn.request("GET", "/page" if dynamic else "/static.html", headers=headers)
                r = self.conn.getresponse()
                body = r.read().decode(errors="replace")
                status = r.status
                if dynamic and status == 200:
                    m = re.search(r"JSESSIONID=([^;]+)", r.getheader("Set-Cookie") or "")
                    if m:
                        lost = self.cookie is not None       # it sent one, and got a new session
                        self.cookie = m.group(1)
                    route = (re.search(r"route=(\w+)", body) or [None, None])[1]
            except Exception:  # noqa: BLE001 - a failed request (reset, timeout): status 0
                self.conn = None
            self.records.append((t - self.t0, now() - t, dynamic, status, lost, route))
            time.sleep(min(30.0, self.rng.lognormvariate(0, 0.5)))


def one(r, silence=True, ping=False):
    web, was1, was2 = hsv.host(20), hsv.host(21), hsv.host(22)
    p1 = tomcat("was1", was1)
    tomcat("was2", was2)
    # Apache after both AJP ports listen: mod_jk's log then holds only what the fault caused.
    wait_port(was1, 8009)
    wait_port(was2, 8009)
    apache(web, [("was1", was1), ("was2", was2)], ping)
    wait_page(web, "was1")
    wait_page(web, "was2")
    records, stop = [], threading.Event()
    t0 = now()
    users = [User(i, web, t0, stop, random.Random(r * 1000 + i), records, 20 if ping else 60) for i in range(USERS)]
    threads = [threading.Thread(target=u.run, daemon=True) for u in users]
    for t in threads:
        t.start()
    time.sleep(15)
    on_was1 = sum(1 for u in users if u.cookie and u.cookie.endswith(".was1"))
    if silence:
        hsv.host_silence(was1)
    os.killpg(p1.pid, signal.SIGSTOP)
    tf, wall_fault = now() - t0, time.time()
    time.sleep(30)
    stop.set()
    for t in threads:
        t.join(timeout=70)
    after = [x for x in records if x[0] >= tf - 0.001 or x[0] + x[1] >= tf]
    failed = [x for x in after if x[3] != 200]
    lost = [x for x in after if x[4]]
    slow = sorted(x[1] for x in after)
    in_error = None
    shutil.copy(f"{ROOT}/web1/mod_jk.log", f"{ROOT}/mod_jk-{'death' if silence else 'pause'}-{r + 1}.log")
    with open(f"{ROOT}/web1/mod_jk.log") as f:
        for line in f:
            t = jk_time(line)
            if t is not None and t >= wall_fault and "worker was1 is in error state" in line:
                in_error = round(t - wall_fault, 3)
                break
    before = [x for x in records if x[0] + x[1] < tf and x[0] >= 5]
    tps_before = len(before) / max(0.001, tf - 5)
    tail = [x for x in records if x[0] >= tf + 20]
    return {"rep": r + 1, "users": USERS, "requests_after_fault": len(after), "http_errors": len(failed),
            "sessions_lost": len(lost), "users_on_was1": on_was1, "was1_in_error_after": in_error,
            "max_latency_s": round(slow[-1], 3) if slow else None,
            "requests_over_5s": sum(1 for s in slow if s > 5),
            "requests_over_10s": sum(1 for s in slow if s > 10), "tps_before": round(tps_before, 1),
            "tps_last_10s": round(len(tail) / 10.0, 1), "fault_at": round(tf, 3),
            "slow_requests_by_second": {str(k): v for k, v in sorted(__import__("collections").Counter(int(x[1]) for x in after if x[1] > 1).items())}, "fault_wall": round(wall_fault, 3)}


def run(reps, silence=True, ping=False):
    rows = hsv.repeat(reps, lambda r: one(r, silence, ping))
    fault = ("was1's host dies (address silent, JVM stopped)" if silence
             else "was1's JVM is stopped (kill -STOP: its kernel still accepts and queues)")
    if ping:
        fault += "; ping_mode A and no reply_timeout on both workers, the users' timeout 20 s"
    name = "web-tomcat-death" if silence else "web-tomcat-pause-ping" if ping else "web-tomcat-pause"
    write_result(name, f"Apache 2.4 event MPM + mod_jk (lb worker, sticky_session, "
                 f"socket_connect_timeout 3 s, reply_timeout 10 s) on 127.x.20 with two Tomcat 10 (AJP, "
                 f"jvmRoute was1/was2, no session replication); {USERS} virtual users, think lognormal median 1 s "
                 f"sigma 0.5, 60 % static; at 15 s {fault}; 30 s more.",
                 "loopback hosts; one Python thread per user with its own keep-alive connection and cookie, "
                 "timeout 60 s; a session is lost when a user who sent a JSESSIONID gets a new one.", rows)


if __name__ == "__main__":
    hsv.main({"web-tomcat-death": run, "web-tomcat-pause": lambda n: run(n, silence=False),
              "web-tomcat-pause-ping": lambda n: run(n, silence=False, ping=True),
              "tomcat-death": run, "tomcat-pause": lambda n: run(n, silence=False)})
