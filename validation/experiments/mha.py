#!/usr/bin/python3
"""MHA 0.58 failover (real side). Usage: mha.py mha-failover-ping3|mha-failover-ping1 [--reps N]

db1 (127.0.0.11) is the master, db2 and db3 its replicas (file/position replication, as MHA 0.58
does with MariaDB: it has no MariaDB GTID support). Every host runs an sshd of the harness on
port 2222 of its address (own host keys and authorized_keys under /tmp/hsv/ssh), so MHA's
ssh checks, save_binary_logs and apply_diff_relay_logs run as in production. The application
dials the address that master_ip_failover_script last wrote (a name that changes instantly, as
a VIP with gratuitous ARP does). At 10 s db1's host goes silent (its address dropped by nft,
its mysqld and sshd stopped). The per-phase times come from MHA's own manager log.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hsv  # noqa: E402
from hsv import ROOT, Client, cleanup, install_signal_cleanup, log, now, sh, spawn, write_result  # noqa: E402
import replication  # noqa: E402

SSH = f"{ROOT}/ssh"
MHA = f"{ROOT}/mha"
IPS = [hsv.host(11), hsv.host(12), hsv.host(13)]


def patched_mha_perl():
    """Two fixes MHA 0.58 needs to run at all on Debian 12 with MariaDB 10.11 (measured here):
    (1) as packaged (Perl 5.36) it dies on its first version check: NodeUtil's
    parse_mysql_version / parse_mysql_major_version pass every number of the version string
    ("10.11.19-MariaDB-0+deb12u1-log") to a 3-/2-field sprintf, and Perl >= 5.22 makes the
    redundant arguments a fatal warning. Upstream fixed it after 0.58 by matching only the leading
    fields; the same one-line fix is applied to a private copy (PERL5LIB, for the manager and,
    through sshd's SetEnv, for the node tools). (2) below. The system files are left alone."""
    lib = f"{ROOT}/mha-perl"
    if not os.path.exists(f"{lib}/MHA/NodeUtil.pm"):
        sh(f"mkdir -p {lib} && cp -r /usr/share/perl5/MHA {lib}/")
        p = f"{lib}/MHA/NodeUtil.pm"
        s = open(p).read()
        s = s.replace("sprintf( '%03d%03d%03d', $str =~ m/(\\d+)/g )", "sprintf( '%03d%03d%03d', $str =~ m/(\\d+)\\.(\\d+)\\.(\\d+)/ )")
        s = s.replace("sprintf( '%03d%03d', $str =~ m/(\\d+)/g )", "sprintf( '%03d%03d', $str =~ m/(\\d+)\\.(\\d+)/ )")
        assert "m/(\\d+)/g" not in s, "MHA NodeUtil.pm: the version parsing was not patched"
        open(p, "w").write(s)
        # MariaDB has no super_read_only: MHA 0.58's check of it fails the slave's set-up test.
        # A server without the variable has it off (upstream MHA for MariaDB does the same).
        p = f"{lib}/MHA/SlaveUtil.pm"
        s = open(p).read()
        old = "  $sth->execute();\n  my $href = $sth->fetchrow_hashref;\n  if ( $href->{Value} == '1' ) {"
        assert old in s, "MHA SlaveUtil.pm: check_if_super_read_only changed"
        s = s.replace(old, "  return (0, 0) unless eval { $sth->execute(); 1 };\n"
                           "  my $href = $sth->fetchrow_hashref;\n  if ( $href->{Value} == '1' ) {")
        open(p, "w").write(s)
    os.environ["PERL5LIB"] = lib
    return lib


def start_sshd():
    os.makedirs(SSH, exist_ok=True)
    if not os.path.exists(f"{SSH}/id"):
        sh(f"ssh-keygen -q -t ed25519 -N '' -f {SSH}/id")
        sh(f"ssh-keygen -q -t ed25519 -N '' -f {SSH}/host_key")
        sh(f"cp {SSH}/id.pub {SSH}/authorized_keys && chmod 600 {SSH}/authorized_keys")
    os.makedirs("/run/sshd", exist_ok=True)
    procs = {}
    for ip in IPS:
        cfg = f"{SSH}/sshd-{ip}.conf"
        with open(cfg, "w") as f:
            f.write(f"ListenAddress {ip}:2222\nHostKey {SSH}/host_key\nAuthorizedKeysFile {SSH}/authorized_keys\n"
                    f"PermitRootLogin yes\nPasswordAuthentication no\nStrictModes no\nUsePAM no\n"
                    f"PidFile {SSH}/sshd-{ip}.pid\nUseDNS no\nSetEnv PERL5LIB={ROOT}/mha-perl\n"
                    # OpenSSH 9's scp speaks SFTP: MHA's apply_diff_relay_logs ships the diff
                    # relay log to a lagging slave with scp, which fails without this subsystem.
                    f"Subsystem sftp /usr/lib/openssh/sftp-server\n")
        procs[ip] = spawn(["/usr/sbin/sshd", "-D", "-e", "-f", cfg], f"{SSH}/sshd-{ip}.log")
    time.sleep(0.5)
    return procs


def write_conf(ping_interval):
    os.makedirs(MHA, exist_ok=True)
    with open(f"{MHA}/writer", "w") as f:
        f.write(IPS[0])
    script = f"{MHA}/master_ip_failover"
    with open(script, "w") as f:
        # MHA calls it with --command=stop|stopssh|start|status and --new_master_ip=...
        f.write("#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --new_master_ip=*) "
                f"echo \"${{a#--new_master_ip=}}\" > {MHA}/writer.tmp && mv {MHA}/writer.tmp {MHA}/writer;; "
                "esac; done\nexit 0\n")
    os.chmod(script, 0o755)
    lines = ["[server default]", "user=mha", "password=mha", "repl_user=repl", "repl_password=repl",
             "ssh_user=root", "ssh_port=2222",
             f"ssh_options=\"-i {SSH}/id -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR\"",
             f"manager_workdir={MHA}/work", f"manager_log={MHA}/manager.log",
             f"ping_interval={ping_interval}", f"master_ip_failover_script={script}",
             "client_bindir=/usr/bin", "client_libdir=/usr/lib/mysql"]
    for i, ip in enumerate(IPS, 1):
        lines += ["", f"[server{i}]", f"hostname={ip}", "port=3306",
                  f"master_binlog_dir={ROOT}/db{i}/data", f"remote_workdir={MHA}/remote{i}"]
    with open(f"{MHA}/app1.cnf", "w") as f:
        f.write("\n".join(lines) + "\n")


def phases(logfile):
    """(epoch seconds, text) of the manager log's key lines."""
    keys = ["Got error on MySQL select ping", "Got error on MySQL connect", "Executing SSH check",
            "Master is not reachable from health checker", "Starting ping health check",
            "Phase 1:", "Phase 2:", "Phase 3:", "Phase 3.3:", "Phase 3.4:", "Phase 4:", "Phase 5:",
            "completed successfully", "failed", "Master failover to",
            "apply_diff_relay_logs", "Generating relay diff", "The latest binary log file", "Oldest slaves",
            "New master is", "Starting recovery on", "Differential relay log", "All relay logs were successfully"]
    out = []
    with open(logfile, errors="replace") as f:
        for line in f:
            m = re.match(r"(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}) - \[(\w+)\] (.*)", line)
            if m and any(k in m.group(3) for k in keys):
                t = time.mktime(time.strptime(m.group(1), "%a %b %d %H:%M:%S %Y"))
                out.append((t, m.group(3).strip()[:140]))
    return out


def run(reps, ping_interval, lagging=False):
    rows = []
    for r in range(reps):
        sh(f"rm -rf {MHA}")
        servers = replication.setup(2, primary_extra={"relay_log_purge": 0},
                                    replica_extra={"relay_log_purge": 0}, use_gtid=False)
        for s in servers:
            s.sql("CREATE USER IF NOT EXISTS 'mha'@'%' IDENTIFIED BY 'mha'")
            s.sql("GRANT ALL ON *.* TO 'mha'@'%' WITH GRANT OPTION")
        db1 = servers[0]
        patched_mha_perl()
        sshd = start_sshd()
        write_conf(ping_interval)
        mgr = spawn(["masterha_manager", f"--conf={MHA}/app1.cnf"], f"{MHA}/manager.stdout")
        # The manager checks ssh and replication before it starts monitoring.
        t_wait = now()
        while now() - t_wait < 60:
            if os.path.exists(f"{MHA}/manager.log") and "Ping(SELECT) succeeded" in open(f"{MHA}/manager.log").read():
                break
            if mgr.poll() is not None:
                break
            time.sleep(0.2)
        if mgr.poll() is not None:
            log("masterha_manager exited before monitoring; see", f"{MHA}/manager.log")
            print(open(f"{MHA}/manager.log").read()[-3000:], file=sys.stderr)
            cleanup()
            raise SystemExit(1)

        def address():
            with open(f"{MHA}/writer") as f:
                return (f.read().strip(), 3306)
        t0 = now()
        c = Client(address, rate=100, pool=8).start(t0)
        if lagging:
            # A replica left behind: db3 stops receiving 5 s before the master dies (~500 events).
            time.sleep(5)
            servers[2].sql("STOP SLAVE IO_THREAD")
            time.sleep(5)
        else:
            time.sleep(10)
        db1.freeze()
        os.killpg(sshd[IPS[0]].pid, 19)   # SIGSTOP: the host's sshd is gone too
        tf = now() - t0     # the fault time: once the host is silent (writes issued after it meet it)
        tf_epoch = time.time()
        # MHA exits when the failover is over (or failed); bounded wait.
        try:
            mgr.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(5)
        c.stop()
        with open(f"{MHA}/writer") as f:
            new_master = f.read().strip()
        ph = phases(f"{MHA}/manager.log")

        def first(text):
            return next((round(t - tf_epoch, 1) for t, l in ph if text in l and t >= tf_epoch - 1), None)
        new = next((s for s in servers if s.ip == new_master), None)
        lost = c.lost(new)[0] if new is not None and new is not db1 else None
        ok = any("completed successfully" in l for _, l in ph)
        lag = {}
        if lagging:
            # After the failover: does db3 hold every row the new master has, and does it replicate?
            db3 = servers[2]
            if new is not None and new is not db3 and new is not db1:
                # db3 replicates from the new master now: let it apply everything (bounded) first.
                f, p = new.sql("SHOW MASTER STATUS")[0][:2]
                t_wait = now()
                while now() - t_wait < 90:
                    st = replication.slave_status(db3)
                    if st.get("Relay_Master_Log_File") == f and int(st.get("Exec_Master_Log_Pos") or 0) >= int(p):
                        break
                    time.sleep(0.2)
                lag["db3_caught_up_after"] = round(now() - t_wait, 1)
                want = {x[0] for x in new.sql("SELECT seq FROM hsv.ledger", timeout=60)}
                have = {x[0] for x in db3.sql("SELECT seq FROM hsv.ledger", timeout=60)}
                lag["db3_missing_rows_of_new_master"] = len(want - have)
            st = replication.slave_status(db3)
            lag.update({"db3_io_running": st.get("Slave_IO_Running"), "db3_sql_running": st.get("Slave_SQL_Running"),
                        "db3_master_host": st.get("Master_Host"), "db3_last_errno": st.get("Last_Errno"),
                        "mha_apply_diff": first("apply_diff_relay_logs") or first("Generating relay diff"),
                        "lost_on_db3": c.lost(db3)[0]})
        rows.append({**lag, "rep": r + 1, "failover_completed": ok, "new_master": new_master,
                     "write_downtime": round(c.write_downtime(tf), 3),
                     "rto": round(c.rto(tf), 3) if c.rto(tf) is not None else None,
                     "lost_transactions": lost, "errors": c.errors_by_code(tf),
                     "mha_first_ping_error": first("Got error on MySQL"),
                     "mha_phase1": first("Phase 1:"), "mha_phase3": first("Phase 3:"),
                     "mha_phase4": first("Phase 4:"), "mha_phase5": first("Phase 5:"),
                     "mha_completed": first("completed successfully"),
                     "manager_log": [f"{round(t - tf_epoch, 1)} {l}" for t, l in ph if t >= tf_epoch - 1][:40]})
        log({k: v for k, v in rows[-1].items() if k != "manager_log"})
        cleanup()
    write_result("mha-lagging" if lagging else f"mha-failover-ping{ping_interval}",
                 f"MHA 0.58 (masterha_manager, ping_interval={ping_interval}, ping_type=SELECT default) over "
                 "db1 -> db2, db3 (MariaDB 10.11, file/position replication); the client writes 100/s to the "
                 "address master_ip_failover_script last wrote; "
                 + ("at 5 s db3's IO thread is stopped (STOP SLAVE IO_THREAD: db3 falls ~500 events behind); "
                    if lagging else "") +
                 "at 10 s db1's host goes silent (nft drop; mysqld and sshd stopped).",
                 "loopback hosts each with its own sshd (port 2222); per-phase times (s after the fault, 1 s "
                 "resolution) from MHA's manager log.", rows)


if __name__ == "__main__":
    hsv.main({"mha-failover-ping3": lambda n: run(n, 3), "mha-failover-ping1": lambda n: run(n, 1),
              "mha-lagging": lambda n: run(n, 3, lagging=True)})
