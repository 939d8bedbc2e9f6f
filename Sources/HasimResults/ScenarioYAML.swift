import HasimKernel
import HasimNetwork
import HasimStrategies
import HasimDatabase
import HasimScenario

/// The fully resolved scenario as YAML: every setting written out with the value the run
/// used, defaults included, durations in exact nanoseconds. Loading it back gives the same
/// `Scenario` (and emitting that again the same text), so `hasim rerun` reproduces a run
/// from the results database alone. `expect:` is left out: it checks a run, it does not
/// shape one.
public enum ScenarioYAML {
    public static func emit(_ s: Scenario) -> String {
        var out: [String] = []
        out.append("name: \(q(s.name))")
        if !s.description.isEmpty { out.append("description: \(q(s.description))") }
        if let g = s.group { out.append("group: \(q(g))") }
        out.append("duration: \(d(s.duration))")
        out.append("quiesce: \(d(s.quiesce))")
        if let i = s.sampleInterval { out.append("sample_interval: \(d(i))") }
        out.append("seeds: [\(s.seeds.map(String.init).joined(separator: ", "))]")
        out.append("topology:")
        out.append("  sites:")
        for site in s.topology.sites { out.append("    \(q(site.name)): [\(site.hosts.map(q).joined(separator: ", "))]") }
        out.append("  latency:")
        out.append("    same_site: \(link(s.topology.sameSite))")
        out.append("    cross_site: \(link(s.topology.crossSite))")
        if !s.topology.links.isEmpty {
            out.append("    links:")
            for l in s.topology.links {
                out.append("      - \(link(l.spec, extra: "between: [\(q(l.siteA)), \(q(l.siteB))]"))")
            }
        }
        if !s.topology.machines.isEmpty {
            out.append("  machines:")
            for m in s.topology.machines {
                out.append("    \(q(m.name)): {cpus: \(m.cpus), hosts: [\(m.hosts.map(q).joined(separator: ", "))]}")
            }
        }
        if !s.topology.nics.isEmpty {
            out.append("  nics:")
            for n in s.topology.nics {
                let bw = n.bitsPerSecond > 0 ? "bandwidth: \(BandwidthParser.format(n.bitsPerSecond)), " : ""
                out.append("    \(q(n.host)): {\(bw)packet_cost: \(d(n.packetCost))}")
            }
        }
        out.append("  databases:")
        for db in s.topology.databases {
            var fields = ["role: \(db.role.rawValue)"]
            if let src = db.source { fields.append("source: \(q(src))") }
            fields.append("auto_increment_increment: \(db.autoIncrementIncrement)")
            fields.append("auto_increment_offset: \(db.autoIncrementOffset)")
            if let ro = db.readOnly { fields.append("read_only: \(ro)") }
            fields.append("semi_sync: \(db.semiSync)")
            if let rate = db.sqlThreadRate { fields.append("sql_thread_rate: \(num(rate))") }
            if let sigma = db.sqlApplySigma { fields.append("sql_apply_sigma: \(num(sigma))") }
            if let w = db.parallelWorkers { fields.append("slave_parallel_workers: \(w)") }
            if let n = db.syncBinlog { fields.append("sync_binlog: \(n)") }
            if let n = db.innodbFlushLogAtTrxCommit { fields.append("innodb_flush_log_at_trx_commit: \(n)") }
            out.append("    \(q(db.host)): {\(fields.joined(separator: ", "))}")
        }
        let m = s.mysql
        out.append("mysql:")
        out.append("  sql_thread_rate: \(num(m.sqlThreadRate))")
        out.append("  sql_apply_sigma: \(num(m.sqlApplySigma))")
        out.append("  commit_latency: \(d(m.commitLatency))")
        out.append("  startup_time: \(d(m.startupTime))")
        out.append("  redo_apply_per_transaction: \(d(m.redoApplyPerTransaction))")
        out.append("  checkpoint_interval: \(d(m.checkpointInterval))")
        out.append("  autostart: \(m.autostart)")
        out.append("  slave_net_timeout: \(d(m.slaveNetTimeout))")
        out.append("  connect_retry: \(d(m.connectRetry))")
        out.append("  heartbeat_period: \(d(m.heartbeatPeriod))")
        out.append("  log_slave_updates: \(m.logSlaveUpdates)")
        out.append("  sync_binlog: \(m.syncBinlog)")
        out.append("  innodb_flush_log_at_trx_commit: \(m.innodbFlushLogAtTrxCommit)")
        out.append("  flavor: \(m.flavor.rawValue)")
        if m.flavor == .mariadb {
            out.append("  master_use_gtid: \(m.masterUseGTID.rawValue)")
        } else {
            out.append("  gtid_mode: \(m.gtidMode ? "ON" : "OFF")")
        }
        out.append("  relay_log_info_repository: \(m.relayLogInfoRepository.rawValue)")
        out.append("  relay_log_recovery: \(m.relayLogRecovery)")
        out.append("  binlog_expire: \(d(m.binlogExpire))")
        if let t = m.lockWaitTimeout { out.append("  lock_wait_timeout: \(d(t))") }
        out.append("  slave_parallel_workers: \(m.parallelWorkers)")
        out.append("  slave_parallel_mode: \(m.parallelMode.rawValue)")
        if case .logNormal(let median, let sigma)? = m.diskFsync {
            out.append("  disk_fsync: \(d(median))")
            out.append("  disk_fsync_sigma: \(num(sigma))")
            if case .logNormal(let append, _)? = m.binlogFsync { out.append("  disk_fsync_append: \(d(append))") }
            out.append("  disk_batching: \(m.diskBatching)")
            out.append("  disk_flush_streaming: \(num(m.diskFlushStreaming))")
            out.append("  disk_flush_per_request: \(d(m.diskFlushPerRequest))")
            if let b = m.diskFlushBusy { out.append("  disk_flush_busy: \(d(b))") }
        }
        let ss = m.semiSync
        out.append("  semi_sync: {enabled: \(ss.sourceEnabled), wait_point: \(q(ss.waitPoint.rawValue)), timeout: \(d(ss.timeout)), "
                   + "wait_for_slave_count: \(ss.waitForReplicaCount), wait_no_slave: \(ss.waitNoReplica)}")
        out.append("architecture:")
        out.append("  strategy: \(q(s.architecture.strategy))")
        let options = s.architecture.options.sortedPairs
        if options.isEmpty {
            out.append("  options: {}")
        } else {
            out.append("  options:")
            for (name, _) in options {
                if let v = s.architecture.options[name] { out.append("    \(q(name)): \(option(v))") }
            }
        }
        if let fd = s.frontDoor { out.append("front_door: \(frontDoor(fd))") }
        if let w = s.web { out += web(w) }
        out.append("workload:")
        for w in s.workloads { out.append("  - \(workload(w))") }
        if s.faults.isEmpty {
            out.append("faults: []")
        } else {
            out.append("faults:")
            for f in s.faults { out.append("  - \(fault(f))") }
        }
        // Only when present, so that scenarios without random faults keep their stored text.
        if !s.faultProcesses.isEmpty {
            out.append("fault_processes:")
            for p in s.faultProcesses {
                out.append("  \(p.component.rawValue): {afr: \(num(p.afr)), shape: \(num(p.shape)), mttr: \(d(p.mttr)), repair_sigma: \(num(p.repairSigma))}")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - parts

    static func workload(_ w: WorkloadSpec) -> String {
        var f = ["client: \(q(w.client))"]
        if let a = w.address { f.append("address: \(q(a))") }
        if let u = w.udp {
            // A UDP group: no SQL keys (the loader refuses them there).
            f += ["protocol: udp", "datagram_interval: \(d(u.interval))", "udp_port: \(u.port)", "start: \(d(w.start))"]
            return "{" + f.joined(separator: ", ") + "}"
        }
        f += ["writes_per_second: \(num(w.writesPerSecond))", "reads_per_second: \(num(w.readsPerSecond))",
              "update_fraction: \(num(w.updateFraction))", "hot_rows: \(w.hotRows)", "pool_size: \(w.poolSize)",
              "app_threads: \(w.appThreads)", "connect_timeout: \(d(w.connectTimeout))",
              "query_timeout: \(d(w.queryTimeout))", "retries: \(w.retries)", "retry_backoff: \(d(w.retryBackoff))",
              "probe_interval: \(d(w.probeInterval))", "probe_timeout: \(d(w.probeTimeout))", "start: \(d(w.start))"]
        return "{" + f.joined(separator: ", ") + "}"
    }

    static func fault(_ f: FaultSpec) -> String {
        // A uniform window stays a window: each seed draws its own instant from it, so the
        // drawn instant of one seed would make a different scenario for every other seed.
        var parts = [f.atLatest.map { "at: {uniform: [\(d(f.at)), \(d($0))]}" } ?? "at: \(d(f.at))"]
        let key = f.kind.name.rawValue
        switch f.kind {
        case .hostCrash(let h), .processCrash(let h), .diskStall(let h), .pause(let h), .drain(let h), .remove(let h): parts.append("\(key): \(q(h))")
        case .stopReplica(let h, let threads): parts.append("\(key): {host: \(q(h)), thread: \(threads.rawValue)}")
        case .slowDisk(let h, let factor): parts.append("\(key): {host: \(q(h)), factor: \(num(factor))}")
        case .readLock(let h, let global): parts.append("\(key): {host: \(q(h)), global: \(global)}")
        case .cpuLoad(let h, let threads): parts.append("\(key): {host: \(q(h)), threads: \(num(threads))}")
        case .partition(let a, let b, let oneWay, let firewall):
            parts.append("\(key): {between: \(list(a)), and: \(list(b)), one_way: \(oneWay)\(firewall ? ", firewall: true" : "")}")
        case .latencySpike(let a, let b, let add):
            parts.append("\(key): {between: \(list(a)), and: \(list(b)), add: \(d(add))}")
        case .packetLoss(let a, let b, let rate):
            parts.append("\(key): {between: \(list(a)), and: \(list(b)), rate: \(num(rate))}")
        case .switchover(let h), .unlockTables(let h), .bootstrap(let h): parts.append("\(key): \(q(h))")
        case .skipReplicaError(let h, let n): parts.append("\(key): {host: \(q(h)), events: \(n)}")
        case .maintenance: parts.append("\(key): manager")
        case .reattach(let h, let to, let check, let at):
            parts.append("\(key): {host: \(q(h)), to: \(q(to)), check: \(check)\(at.map { ", coordinates_at: \(d($0))" } ?? "")}")
        case .reapplyBinlog(let from, let to): parts.append("\(key): {from: \(q(from)), to: \(q(to))}")
        case .galeraNewCluster(let h, let force): parts.append("\(key): {host: \(q(h ?? "most_advanced")), force: \(force)}")
        }
        if let u = f.until { parts.append("until: \(d(u))") } else if let r = f.recoverAfter { parts.append("recover_after: \(d(r))") }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    static func frontDoor(_ fd: FrontDoorSpec) -> String {
        switch fd {
        case .vip(let v):
            return "{vip: {address: \(q(v.address)), site: \(q(v.site)), holder: \(q(v.holder))}}"
        case .dns(let n):
            let cache = n.clientCache.map(d) ?? "forever"
            return "{dns: {name: \(q(n.name)), ttl: \(d(n.ttl)), api_delay: {min: \(d(n.apiDelayMin)), max: \(d(n.apiDelayMax))}, "
                + "client_cache: \(cache)}}"
        case .proxy(let p):
            let st = p.settings
            var f = ["host: \(q(p.host))", "backends: \(list(p.backends))"]
            if !p.backup.isEmpty { f.append("backup: \(list(p.backup))") }
            f += ["port: \(st.port)", "balance: \(q(st.balance.rawValue))", "inter: \(d(st.inter))", "rise: \(st.rise)",
                  "fall: \(st.fall)"]
            if let t = st.timeoutCheck { f.append("timeout_check: \(d(t))") }
            f += ["timeout_connect: \(d(st.timeoutConnect))", "retries: \(st.retries)", "shutdown_sessions: \(st.shutdownSessions)"]
            // Every check setting too: a re-run must check the servers as the run did.
            switch st.check {
            case .mysqlCheck: f.append("check: \(q("mysql-check"))")
            case .httpChk(let port): f += ["check: \(q("httpchk"))", "check_port: \(port)"]
            }
            if let t = st.fastinter { f.append("fastinter: \(d(t))") }
            if let t = st.downinter { f.append("downinter: \(d(t))") }
            f += ["redispatch: \(st.redispatch)", "shutdown_backup_sessions: \(st.shutdownBackupSessions)",
                  "spread_checks: \(st.spreadChecks)", "check_phase: \(q(st.randomCheckPhase ? "random" : "start"))"]
            return "{proxy: {" + f.joined(separator: ", ") + "}}"
        }
    }

    static func link(_ l: LinkSpec, extra: String? = nil) -> String {
        var f: [String] = extra.map { [$0] } ?? []
        switch l.latency {
        case .constant(let t): f.append("constant: \(d(t))")
        case .uniform(let lo, let hi): f.append("uniform: {min: \(d(lo)), max: \(d(hi))}")
        case .logNormal(let median, let sigma): f.append("lognormal: {median: \(d(median)), sigma: \(num(sigma))}")
        }
        f.append("loss: \(num(l.loss))")
        return "{" + f.joined(separator: ", ") + "}"
    }

    static func option(_ v: OptionValue) -> String {
        switch v {
        case .duration(let t): return d(t)
        case .int(let i): return String(i)
        case .double(let x): return num(x)
        case .bool(let b): return String(b)
        case .string(let s): return q(s)
        }
    }

    // MARK: - scalars

    /// Exact: a whole number of nanoseconds.
    static func d(_ t: SimTime) -> String { "\(t)ns" }

    /// Shortest text that reads back as the same Double, always with a fraction so YAML
    /// reads a float.
    static func num(_ x: Double) -> String {
        let s = "\(x)"
        return s.contains(".") || s.contains("e") ? s : s + ".0"
    }

    static func list(_ xs: [String]) -> String { "[" + xs.map(q).joined(separator: ", ") + "]" }

    /// A double-quoted YAML string: a JSON string literal is one.
    static func q(_ s: String) -> String { ScenarioParameters.str(s) }
}
