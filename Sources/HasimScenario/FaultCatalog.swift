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
                    "extra one-way delay between the two sets, for recover_after", "tc netem delay")
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
            return ("pause: DB_HOST", "kill -STOP of mysqld until recover_after (kill -CONT): nothing answers, the kernel keeps connections open and queues requests (served at resume), new connects get no greeting and time out",
                    "a GC-like stall or a frozen VM; replicas notice after slave_net_timeout (60s)")
        }
    }
}
