extension FaultKind.Name {
    /// What `hasim list` says of each fault kind: how to write it, what it does, and where
    /// the behaviour it models comes from.
    public var documentation: (form: String, help: String, source: String) {
        switch self {
        case .hostCrash:
            return ("host_crash: HOST", "power loss: every process on the host stops silently; recover_after boots it",
                    "peers learn only through their own timeouts (no FIN/RST)")
        case .processCrash:
            return ("process_crash: DB_HOST", "kill -9 of mysqld; the kernel resets its connections; recover_after starts it",
                    "crash recovery: startup_time + redo_apply_per_transaction")
        case .partition:
            return ("partition: {between: [..], and: [..], one_way: false, firewall: false}",
                    "packets between the two sets are dropped; TCP retransmits (tcp_retries2 15)", "Linux TCP defaults")
        case .latencySpike:
            return ("latency_spike: {between: [..], and: [..], add: DURATION}",
                    "extra one-way delay between the two sets, from at until recover_after / until", "tc netem delay")
        case .packetLoss:
            return ("packet_loss: {between: [..], and: [..], rate: 0.3}",
                    "each packet between the two sets is dropped with this probability (both ways), from at until recover_after / until; TCP retransmits after its RTO (200 ms, doubling), so queries slow down and time out",
                    "tc netem loss; Linux TCP_RTO_MIN 200 ms, tcp_retries2 15")
        case .stopReplica:
            return ("stop_replica: DB_HOST | {host: DB_HOST, thread: all|io|sql}",
                    "STOP SLAVE [IO_THREAD|SQL_THREAD]; recover_after: START SLAVE", "MySQL/MariaDB statements")
        case .diskStall:
            return ("disk_stall: DB_HOST", "the datadir's disk stops completing writes: commits and applies hang, SELECT 1 answers",
                    "a SAN path failover, a full thin pool")
        case .slowDisk:
            return ("slow_disk: {host: DB_HOST, factor: N}", "writes take N times as long", "a degraded RAID, a noisy neighbour")
        case .readLock:
            return ("read_lock: DB_HOST | {host: DB_HOST, global: false}",
                    "FLUSH TABLES [t] WITH READ LOCK until recover_after (UNLOCK TABLES): writes wait (1205 after mysql.lock_wait_timeout), a replica's applier waits, SELECT 1 answers; global desyncs a Galera node",
                    "MySQL sql/lock.cc, lock_wait_timeout 31536000s (MySQL 8.0) / 86400s (MariaDB 10.11)")
        case .cpuLoad:
            return ("cpu_load: {host: HOST, threads: N}", "N CPU-bound threads share the host's machine", "overload")
        case .drain:
            return ("drain: TOMCAT_HOST", "the administrator sets the Tomcat's mod_jk activation to Disabled on every Apache (jkstatus): no new sessions, sticky ones still served; recover_after: Active",
                    "mod_jk jk_lb_worker.c JK_WORKER_USABLE (Active only) / JK_WORKER_USABLE_STICKY (not Stopped)")
        case .remove:
            return ("remove: TOMCAT_HOST", "the administrator sets the Tomcat's mod_jk activation to Stopped on every Apache: no request goes to it, its users' sessions move; recover_after: Active",
                    "mod_jk jk_lb_worker.c JK_WORKER_USABLE_STICKY: a Stopped member takes no sticky request")
        case .pause:
            return ("pause: DB_HOST or TOMCAT_HOST", "kill -STOP of mysqld (or of a Tomcat's JVM) until recover_after (kill -CONT): nothing answers, the kernel keeps connections open and queues requests (served at resume); new connects to mysqld get no greeting and time out, a Tomcat's complete (AJP and HTTP clients speak first) and wait unread",
                    "a GC-like stall or a frozen VM; replicas notice after slave_net_timeout (60s)")
        case .switchover:
            return ("switchover: DB_HOST", "operator action: the tool's planned switchover to this replica. mha: masterha_stop, then masterha_master_switch --master_state=alive --orig_master_is_new_slave on the manager's host (master_ip_online_change stop: read_only=1 + KILL; FLUSH TABLES WITH READ LOCK; wait until the slaves executed the orig master's binlog; read_only=0 and the VIP/DNS on the new master; slaves re-pointed; CHANGE MASTER + UNLOCK TABLES + START SLAVE on the orig master; masterha_manager started again). manual/vip-manual: the DBA types read_only=ON + KILL, (ssh ip addr del), SHOW MASTER STATUS, waits on SHOW SLAVE STATUS, promotes after promote_time, moves the front door, CHANGE MASTER TO + START SLAVE on the old primary; each statement costs promote_time / 3. mmm: mmm_control move_role writer HOST (the old writer's agent: read_only=1, KILL, ip addr del; the new one's: sync_with_master, read_only=0, ip addr add; slaves follow)",
                    "mha4mysql-manager 0.58 lib/MHA/MasterRotate.pm, samples/scripts/master_ip_online_change; mysql-mmm 2.2.1 lib/Monitor/Commands.pm move_role; seed 000's runbook order")
        case .maintenance:
            return ("maintenance: manager", "operator action: the manager stands down until recover_after (mha: masterha_stop, then masterha_manager started again; mmm: mmm_control set_passive, then set_active; manual: a scheduled downtime in the monitoring): a failure meanwhile is nobody's to fail over",
                    "mha4mysql-manager bin/masterha_stop; Nagios/Zabbix scheduled downtime")
        case .reattach:
            return ("reattach: {host: OLD_PRIMARY, to: NEW_PRIMARY, check: true, coordinates_at: DURATION}", "operator action: a DBA makes the old primary a replica of the new one: (check: SELECT GTID_SUBSET(old's @@gtid_executed, new's) on both servers, and refuse when it has errant transactions) SET GLOBAL read_only=ON; CHANGE MASTER TO ... MASTER_AUTO_POSITION=1; START SLAVE. By file and position instead when the server answers 1777 (gtid_mode=OFF) or coordinates_at is given: MASTER_LOG_FILE/MASTER_LOG_POS from the new primary's SHOW MASTER STATUS as read at coordinates_at (default: at the re-attach): read after the new primary took writes, those are skipped; read while it still applied its relay log, those events come again. Each statement typed (40 s, manual's promote_time / 3)",
                    "MySQL 8.0 reference manual, GTID_SUBSET(); the errant-transaction check of every re-attach runbook (Percona, 'How to find errant transactions', 2014)")
        case .reapplyBinlog:
            return ("reapply_binlog: {from: OLD_PRIMARY, to: NEW_PRIMARY}", "operator action: a DBA copies the transactions the old primary logged and the new one lacks: SELECT @@GLOBAL.gtid_executed on the new primary, then mysqlbinlog --read-from-remote-server --exclude-gtids=<that set> on the old one (its mysqld must be up again) piped into mysql on the new one; like mysql reading a pipe, the first error (1062: a key the new primary already gave to another row) stops it and what follows is not applied; each command typed (40 s, manual's promote_time / 3)",
                    "mysqlbinlog(1) --read-from-remote-server, --exclude-gtids; mysql(1) stops at the first error without --force; Percona, 'Recovering transactions from a failed master with mysqlbinlog'")
        case .skipReplicaError:
            return ("skip_replica_error: DB_HOST | {host: DB_HOST, events: 1}", "operator action: a DBA reads SHOW SLAVE STATUS and skips the event its SQL thread stopped on (1062/1032), and again while it stops on the next, up to events times (pt-slave-restart by hand; each statement typed, 40 s): MySQL with GTIDs an empty transaction (SET GTID_NEXT; BEGIN; COMMIT), else SET GLOBAL sql_slave_skip_counter=1; then START SLAVE. The row change is never applied: replication runs again, the data differs",
                    "MySQL 8.0 manual 'Skipping Transactions'; MariaDB sql_slave_skip_counter")
        case .unlockTables:
            return ("unlock_tables: DB_HOST", "operator action: a DBA finds the session holding FLUSH TABLES WITH READ LOCK or the long query (SHOW PROCESSLIST) and KILLs it: UNLOCK TABLES; waiting writes and the applier go on",
                    "MySQL KILL / UNLOCK TABLES")
        case .bootstrap:
            return ("bootstrap: DB_HOST", "operator action: a DBA runs SET GLOBAL wsrep_provider_options='pc.bootstrap=YES' on this Galera node (after SHOW STATUS LIKE 'wsrep%'): its non-Primary component becomes the Primary Component, with its history; a node with more (a higher seqno) must rejoin it by SST",
                    "Galera documentation 'Resetting the Quorum' (pc.bootstrap=YES; galera_new_cluster on a stopped node)")
        case .galeraNewCluster:
            return ("galera_new_cluster: most_advanced | DB_HOST | {host: DB_HOST, force: true}", "operator action, every Galera node stopped (a whole-cluster crash; strategy option autostart: false keeps them down): a DBA reads grastate.dat on each host over SSH (seqno, safe_to_bootstrap), runs mysqld --wsrep-recover where seqno is -1 (a start-up each) to read the recovered position, and runs galera_new_cluster on the chosen node, then systemctl start on the others. most_advanced: the highest recovered seqno (first in topology order on a tie), with safe_to_bootstrap edited to 1 as the documentation says. DB_HOST: that node as it is: mysqld refuses 'It may not be safe to bootstrap the cluster from this node...' when safe_to_bootstrap is 0 (only the last node alone in a Primary Component has 1); force: true edits it first. A node started after a bootstrap from a less advanced one aborts ('Local state seqno (N) is greater than group seqno (M): states diverged') and what only it had is not in the cluster. Each command typed (40 s, manual's promote_time / 3)",
                    "codership/galera galera/src/replicator_smm.cpp (connect: safe_to_bootstrap; process_conf_change: safe_to_bootstrap = one-member Primary view), replicator_str.cpp state_transfer_required; Galera documentation 'Restarting the Cluster' / 'Crash Recovery'")
        }
    }
}
