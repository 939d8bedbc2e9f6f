import HasimKernel
import HasimNetwork
import HasimScenario

/// The scenario's parameters as JSON text with sorted keys: stored with each run
/// so any figure can be traced back and re-run.
public enum ScenarioParameters {
    public static func json(_ s: Scenario) -> String {
        var o: [(String, String)] = []
        o.append(("name", str(s.name)))
        if let g = s.group { o.append(("group", str(g))) }
        o.append(("file", str(s.file)))
        o.append(("duration_ns", String(s.duration)))
        o.append(("quiesce_ns", String(s.quiesce)))
        if let i = s.sampleInterval { o.append(("sample_interval_ns", String(i))) }
        o.append(("strategy", str(s.architecture.strategy)))
        o.append(("options", obj(s.architecture.options.sortedPairs.map { ($0.0, str($0.1)) })))
        o.append(("workload", workload(s.workload)))
        if s.workloads.count > 1 { o.append(("workloads", "[" + s.workloads.map(workload).joined(separator: ",") + "]")) }
        let m = s.mysql
        // The disk device's settings matter only with a disk model (disk_fsync).
        let disk: [(String, String)] = m.diskFsync == nil ? [] : [
            ("disk_batching", String(m.diskBatching)), ("disk_flush_streaming", num(m.diskFlushStreaming)),
            ("disk_flush_per_request_ns", String(m.diskFlushPerRequest)),
        ] + (m.diskFlushBusy.map { [("disk_flush_busy_ns", String($0))] } ?? [])
        o.append(("mysql", obj([
            ("sql_thread_rate", num(m.sqlThreadRate)), ("sql_apply_sigma", num(m.sqlApplySigma)), ("commit_latency_ns", String(m.commitLatency)),
            ("startup_time_ns", String(m.startupTime)), ("redo_apply_per_transaction_ns", String(m.redoApplyPerTransaction)),
            ("checkpoint_interval_ns", String(m.checkpointInterval)), ("autostart", String(m.autostart)),
            ("slave_net_timeout_ns", String(m.slaveNetTimeout)), ("connect_retry_ns", String(m.connectRetry)),
            ("heartbeat_period_ns", String(m.heartbeatPeriod)), ("log_slave_updates", String(m.logSlaveUpdates)),
            ("sync_binlog", String(m.syncBinlog)), ("innodb_flush_log_at_trx_commit", String(m.innodbFlushLogAtTrxCommit)),
            ("flavor", str(m.flavor.rawValue)), ("master_use_gtid", str(m.masterUseGTID.rawValue)),
            ("gtid_mode", String(m.gtidMode)), ("relay_log_info_repository", str(m.relayLogInfoRepository.rawValue)),
            ("relay_log_recovery", String(m.relayLogRecovery)), ("binlog_expire_ns", String(m.binlogExpire)),
        ] + (m.lockWaitTimeout.map { [("lock_wait_timeout_ns", String($0))] } ?? []) + [
            ("slave_parallel_workers", String(m.parallelWorkers)), ("slave_parallel_mode", str(m.parallelMode.rawValue)),
            ("disk_fsync", m.diskFsync.map { str(String(describing: $0)) } ?? "null"),
            ("disk_fsync_append", m.binlogFsync.map { str(String(describing: $0)) } ?? "null"),
        ] + disk + [
            ("semi_sync", obj([
                ("enabled", String(m.semiSync.sourceEnabled)), ("wait_point", str(m.semiSync.waitPoint.rawValue)),
                ("timeout_ns", String(m.semiSync.timeout)), ("wait_for_slave_count", String(m.semiSync.waitForReplicaCount)),
                ("wait_no_slave", String(m.semiSync.waitNoReplica)),
            ])),
        ])))
        // Everything a regression flips is here, so two stored runs show what differs.
        o.append(("topology", obj([
            ("sites", "[" + s.topology.sites.map { obj([("name", str($0.name)), ("hosts", "[" + $0.hosts.map(str).joined(separator: ",") + "]")]) }.joined(separator: ",") + "]"),
            ("databases", "[" + s.topology.databases.map(database).joined(separator: ",") + "]"),
            ("latency", obj([
                ("same_site", link(s.topology.sameSite)), ("cross_site", link(s.topology.crossSite)),
                ("links", "[" + s.topology.links.map { obj([("between", list([$0.siteA, $0.siteB])), ("link", link($0.spec))]) }
                    .joined(separator: ",") + "]"),
            ])),
        ])))
        o.append(("faults", "[" + s.faults.map(fault).joined(separator: ",") + "]"))
        if !s.faultProcesses.isEmpty {
            o.append(("fault_processes", "[" + s.faultProcesses.map {
                obj([("component", str($0.component.rawValue)), ("afr", num($0.afr)), ("shape", num($0.shape)),
                     ("mttr_ns", "\($0.mttr)"), ("repair_sigma", num($0.repairSigma))])
            }.joined(separator: ",") + "]"))
        }
        if let door = s.frontDoor { o.append(("front_door", frontDoor(door))) }
        // The web tier as its resolved YAML text: every setting a regression may flip.
        if let w = s.web { o.append(("web", str(ScenarioYAML.web(w).joined(separator: "\n")))) }
        return obj(o)
    }

    private static func frontDoor(_ door: FrontDoorSpec) -> String {
        switch door {
        case .vip(let v):
            return obj([("vip", obj([("address", str(v.address)), ("site", str(v.site)), ("holder", str(v.holder))]))])
        case .dns(let d):
            return obj([("dns", obj([("name", str(d.name)), ("ttl_ns", String(d.ttl)), ("api_delay_min_ns", String(d.apiDelayMin)),
                                     ("api_delay_max_ns", String(d.apiDelayMax)), ("client_cache_ns", d.clientCache.map { String($0) } ?? "null"),
                                     ("target", str(d.target))]))])
        case .proxy(let p):
            let s = p.settings
            return obj([("proxy", obj([
                ("host", str(p.host)), ("port", String(s.port)), ("backends", list(p.backends)), ("backup", list(p.backup)),
                ("balance", str(s.balance.rawValue)), ("inter_ns", String(s.inter)), ("rise", String(s.rise)), ("fall", String(s.fall)),
                ("timeout_check_ns", s.timeoutCheck.map { String($0) } ?? "null"), ("timeout_connect_ns", String(s.timeoutConnect)),
                ("retries", String(s.retries)), ("shutdown_sessions", String(s.shutdownSessions)),
            ]))])
        }
    }

    private static func database(_ d: DatabaseSpec) -> String {
        obj([("host", str(d.host)), ("role", str(d.role.rawValue)), ("source", d.source.map(str) ?? "null"),
             ("auto_increment_increment", String(d.autoIncrementIncrement)),
             ("auto_increment_offset", String(d.autoIncrementOffset)),
             ("read_only", d.readOnly.map { String($0) } ?? "null"), ("semi_sync", String(d.semiSync)),
             ("sql_thread_rate", d.sqlThreadRate.map(num) ?? "null"), ("sql_apply_sigma", d.sqlApplySigma.map(num) ?? "null"),
             ("slave_parallel_workers", d.parallelWorkers.map { String($0) } ?? "null"),
             ("sync_binlog", d.syncBinlog.map { String($0) } ?? "null"),
             ("innodb_flush_log_at_trx_commit", d.innodbFlushLogAtTrxCommit.map { String($0) } ?? "null")])
    }

    private static func link(_ l: LinkSpec) -> String {
        let model: (String, String)
        switch l.latency {
        case .constant(let t): model = ("constant_ns", String(t))
        case .uniform(let lo, let hi): model = ("uniform_ns", "[\(lo),\(hi)]")
        case .logNormal(let median, let sigma): model = ("lognormal", obj([("median_ns", String(median)), ("sigma", num(sigma))]))
        }
        return obj([model, ("loss", num(l.loss))])
    }

    private static func workload(_ w: WorkloadSpec) -> String {
        obj([
            ("client", str(w.client)), ("address", w.address.map(str) ?? "null"),
            ("writes_per_second", num(w.writesPerSecond)), ("reads_per_second", num(w.readsPerSecond)),
            ("update_fraction", num(w.updateFraction)),
            ("hot_rows", String(w.hotRows)), ("pool_size", String(w.poolSize)), ("app_threads", String(w.appThreads)),
            ("connect_timeout_ns", String(w.connectTimeout)), ("query_timeout_ns", String(w.queryTimeout)),
            ("retries", String(w.retries)), ("retry_backoff_ns", String(w.retryBackoff)),
            ("probe_interval_ns", String(w.probeInterval)), ("probe_timeout_ns", String(w.probeTimeout)),
            ("start_ns", String(w.start)),
        ] + (w.udp.map { u in
            // Only for a UDP group, so the stored parameters of MySQL groups stay as they were.
            [("protocol", str("udp")), ("datagram_interval_ns", String(u.interval)), ("udp_port", String(u.port))]
        } ?? []))
    }

    private static func fault(_ f: FaultSpec) -> String {
        var p: [(String, String)] = [("at_ns", String(f.at)), ("recover_after_ns", f.recoverAfter.map { String($0) } ?? "null")]
        if let latest = f.atLatest { p.insert(("at_latest_ns", String(latest)), at: 1) }
        // Only when given, so the stored parameters of other faults stay as they were.
        if let u = f.until { p.append(("until_ns", String(u))) }
        switch f.kind {
        case .hostCrash(let h): p.append((f.kind.name.rawValue, str(h)))
        case .processCrash(let h): p.append((f.kind.name.rawValue, str(h)))
        case .partition(let a, let b, let one, let firewall):
            // `firewall` only when set, so that stored parameters of network partitions stay as they were.
            p.append((f.kind.name.rawValue, obj([("between", list(a)), ("and", list(b)), ("one_way", String(one))]
                                                 + (firewall ? [("firewall", "true")] : []))))
        case .latencySpike(let a, let b, let add):
            p.append((f.kind.name.rawValue, obj([("between", list(a)), ("and", list(b)), ("add_ns", String(add))])))
        case .packetLoss(let a, let b, let rate):
            p.append((f.kind.name.rawValue, obj([("between", list(a)), ("and", list(b)), ("rate", num(rate))])))
        case .stopReplica(let h, let threads):
            p.append((f.kind.name.rawValue, obj([("host", str(h)), ("thread", str(threads.rawValue))])))
        case .diskStall(let h), .pause(let h), .drain(let h), .remove(let h): p.append((f.kind.name.rawValue, str(h)))
        case .slowDisk(let h, let factor):
            p.append((f.kind.name.rawValue, obj([("host", str(h)), ("factor", num(factor))])))
        case .readLock(let h, let global):
            p.append((f.kind.name.rawValue, obj([("host", str(h)), ("global", String(global))])))
        case .cpuLoad(let h, let threads):
            p.append((f.kind.name.rawValue, obj([("host", str(h)), ("threads", num(threads))])))
        case .switchover(let h), .unlockTables(let h), .bootstrap(let h):
            p.append((f.kind.name.rawValue, str(h)))
        case .skipReplicaError(let h, let n):
            p.append((f.kind.name.rawValue, obj([("host", str(h)), ("events", String(n))])))
        case .maintenance: p.append((f.kind.name.rawValue, str("manager")))
        case .reattach(let h, let to, let check, let at):
            var fields = [("host", str(h)), ("to", str(to)), ("check", String(check))]
            if let at { fields.append(("coordinates_at", String(Time.seconds(at)))) }
            p.append((f.kind.name.rawValue, obj(fields)))
        case .reapplyBinlog(let from, let to):
            p.append((f.kind.name.rawValue, obj([("from", str(from)), ("to", str(to))])))
        case .galeraNewCluster(let h, let force):
            p.append((f.kind.name.rawValue, obj([("host", str(h ?? "most_advanced")), ("force", String(force))])))
        }
        return obj(p)
    }

    private static func list(_ xs: [String]) -> String { "[" + xs.map(str).joined(separator: ",") + "]" }

    private static func obj(_ pairs: [(String, String)]) -> String {
        "{" + pairs.sorted { $0.0 < $1.0 }.map { str($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    private static func num(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    /// A JSON string literal (also the machine output's, so both quote alike).
    public static func str(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += "\\u" + String(format4(c.value)) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }

    private static func format4(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }
}
