import HasimKernel
import HasimNetwork
import HasimDatabase

/// Galera Cluster (MariaDB Galera / PXC): every node takes writes; write-sets are replicated in
/// total order and certified; the nodes keep the group themselves (evs.*, pc.*). The only human
/// is the operator who bootstraps a non-Primary survivor (pc.bootstrap=YES).
public enum Galera {
    public static let descriptor = StrategyDescriptor(
        name: "galera",
        summary: "Galera cluster: total-order write-set replication, certification (1213), quorum by weight (non-Primary refuses with 1047), flow control, IST/SST; operator bootstraps after quorum loss.",
        options: [
            OptionSpec("evs_keepalive_period", .duration, default: .duration(Time.s(1)),
                       help: "evs.keepalive_period: keepalive when silent.", source: "galera gcomm/src/evs_proto.cpp (PT1S)", range: .interval),
            OptionSpec("evs_inactive_check_period", .duration, default: .duration(Time.ms(500)),
                       help: "evs.inactive_check_period: how often a member looks for silent peers (eviction waits up to this past suspect_timeout).",
                       source: "galera gcomm/src/defaults.cpp (PT0.5S; the docs table says PT1S)", range: .interval),
            OptionSpec("evs_suspect_timeout", .duration, default: .duration(Time.s(5)),
                       help: "evs.suspect_timeout: silence after which a member is suspected; it leaves the view once every survivor suspects it (a membership round).",
                       source: "galera gcomm/src/defaults.cpp (PT5S)"),
            OptionSpec("evs_join_retrans_period", .duration, default: .duration(Time.s(1)),
                       help: "evs.join_retrans_period: how often a member in a membership round resends its join; a member's new suspicion reaches the others with its next join, so a view change takes about this much past the first suspicion.",
                       source: "galera gcomm/src/defaults.cpp (PT1S); evs_proto.cpp next_expiration(T_RETRANS) in S_GATHER", range: .interval),
            OptionSpec("evs_inactive_timeout", .duration, default: .duration(Time.s(15)),
                       help: "evs.inactive_timeout: a membership round that has not agreed within install_timeout (inactive_timeout/2) drops the members that did not answer.",
                       source: "galera gcomm/src/defaults.cpp (PT15S)"),
            OptionSpec("pc_weights", .string, default: .string(""),
                       help: "pc.weight per node, comma-separated in topology order; empty = 1 each.",
                       source: "galera gcomm/src/defaults.cpp (pc.weight = 1); documentation/weighted-quorum.rst"),
            OptionSpec("gcs_fc_limit", .int, default: .int(16),
                       help: "gcs.fc_limit: receive-queue length that triggers FC_PAUSE (scaled by sqrt(N) in multi-master).",
                       source: "galera gcs/src/gcs_params.cpp (16)", range: .integers(1...1_000_000)),
            OptionSpec("gcs_fc_factor", .double, default: .double(1.0),
                       help: "gcs.fc_factor: resume when the queue falls to upper limit x factor.",
                       source: "galera gcs/src/gcs_params.cpp (1.0)", range: .numbers(0...1)),
            OptionSpec("gcs_fc_master_slave", .bool, default: .bool(false),
                       help: "gcs.fc_master_slave: no sqrt(N) scaling of the limit.", source: "galera gcs/src/gcs_params.cpp (no)"),
            OptionSpec("apply_time", .duration, default: .duration(Time.us(200)),
                       help: "Time an applier needs per remote write-set (5000 write-sets/s per node).",
                       source: "our estimate: one small row change with wsrep_slave_threads=1 on SSD"),
            OptionSpec("wsrep_retry_autocommit", .int, default: .int(1),
                       help: "Times an autocommit statement that failed certification is re-run before the client sees 1213.",
                       source: "galera documentation/mysql-wsrep-options.rst (wsrep_retry_autocommit = 1)", range: .integers(0...10_000)),
            OptionSpec("slow_node", .string, default: .string(""),
                       help: "A node whose appliers are slow (disk saturated); empty = none.", source: "scenario choice (FC-23)"),
            OptionSpec("slow_apply_time", .duration, default: .duration(Time.us(1250)),
                       help: "apply_time of slow_node (800 write-sets/s as in FC-23).", source: "failure-cases.md FC-23"),
            OptionSpec("local_commit", .duration, default: .duration(Time.us(500)),
                       help: "Local execution and InnoDB commit on the node the client talks to.",
                       source: "our estimate; same as mysql.commit_latency"),
            OptionSpec("disk_fsync", .duration, default: .duration(Time.us(300)),
                       help: "Median time of one fsync of the redo log on the node's disk: each local commit waits for one after its ordered commit; commits arriving during an fsync share the next (group commit).",
                       source: "our estimate for a datacenter SSD with power-loss protection (0.1-0.5 ms); this machine's virtual disk measured 2-7 ms (validation galera-commit-latency)"),
            OptionSpec("disk_fsync_sigma", .double, default: .double(0.25),
                       help: "Spread of the fsync time (lognormal shape): a shared disk has a long tail.",
                       source: "our estimate; validation measures the p99 beside the p50", range: .sigma),
            OptionSpec("innodb_flush_log_at_trx_commit", .int, default: .int(1),
                       help: "1: every commit waits for an fsync of the redo log (group commit); 0 or 2: the log is flushed once a second and commits do not wait.",
                       source: "MariaDB 10.11 innodb_flush_log_at_trx_commit (default 1)", range: .integers(0...3)),
            OptionSpec("per_member_send_cost", .duration, default: .duration(Time.us(15)),
                       help: "Time the origin spends per other member sending a write-set (gcomm unicasts one copy each): what each member adds to a commit.",
                       source: "our estimate; to be checked against the validation cluster (3/5/7 nodes)"),
            OptionSpec("write_set_cost", .duration, default: .duration(0),
                       help: "CPU a member's gcomm thread spends on each write-set from another node before acknowledging it; it queues for the cores of the host's machine (topology.machines), so on shared cores the slowest member sets the commit latency.",
                       source: "0 on a host of its own (no contention to model); validation bench: 1.5 ms, set by the real 3-node commit p50 (validation/scenarios/galera-commit-latency-3.yaml)"),
            OptionSpec("bf_abort_time", .duration, default: .duration(Time.us(300)),
                       help: "Rollback of a local transaction brute-force aborted by an applier that needs its row (the applier waits for it).",
                       source: "our estimate: an InnoDB rollback of one row change"),
            OptionSpec("wsrep_recover", .bool, default: .bool(true),
                       help: "mysqld --wsrep-recover before start (MariaDB's galera_recovery in the systemd unit): the node knows its seqno after a kill -9 and can rejoin by IST; false = seqno -1, full SST.",
                       source: "MariaDB 10.11 support-files/mariadb.service.in (ExecStartPre galera_recovery)"),
            OptionSpec("gcache_size_mb", .int, default: .int(128),
                       help: "gcache.size in MB: write-sets a donor can send by IST.", source: "galera gcache/src/gcache_params.cpp (128M)", range: .integers(0...1_048_576)),
            OptionSpec("writeset_bytes", .int, default: .int(1024),
                       help: "Average write-set size, to convert gcache.size into write-sets.", source: "our estimate (a 1 KB row insert, FC-24)", range: .integers(1...2_147_483_647)),
            OptionSpec("ist_per_writeset", .duration, default: .duration(Time.us(20)),
                       help: "IST cost per write-set from the donor's gcache.", source: "our estimate (~50k write-sets/s)"),
            OptionSpec("sst_duration", .duration, default: .duration(Time.s(60)),
                       help: "Full state snapshot transfer (xtrabackup-v2) from the donor.", source: "our estimate for a few GB on a LAN"),
            OptionSpec("sst_per_row", .duration, default: .duration(Time.us(0)),
                       help: "SST time per row of data on the donor, on top of sst_duration (SST grows with the data size).",
                       source: "our estimate; 0 = sst_duration alone"),
            OptionSpec("sst_method", .string, default: .string("xtrabackup-v2"),
                       help: "wsrep_sst_method: rsync and mysqldump hold FLUSH TABLES WITH READ LOCK on the donor for the whole SST (its writers wait); xtrabackup-v2 and mariabackup do not.",
                       source: "galera documentation/state-transfer.rst; PXC default wsrep_sst_method=xtrabackup-v2",
                       choices: ["xtrabackup-v2", "mariabackup", "rsync", "mysqldump"]),
            OptionSpec("clustercheck_available_when_donor", .bool, default: .bool(false),
                       help: "clustercheck (xinetd, port 9200) answers 200 for a Donor/Desynced node too; by default only a Synced node is 200.",
                       source: "percona/percona-clustercheck clustercheck (AVAILABLE_WHEN_DONOR=0)"),
            OptionSpec("autostart", .bool, default: .bool(true),
                       help: "mysqld starts when its host boots (systemd unit enabled); false: a node stays down after its host restarts until a DBA starts it (galera_new_cluster, systemctl start), as where the unit is disabled on Galera nodes so that a whole-cluster power loss waits for a human.",
                       source: "MariaDB support-files/mariadb.service.in (systemctl enable); Galera documentation 'Restarting the Cluster'"),
            OptionSpec("startup_time", .duration, default: .duration(Time.s(5)),
                       help: "mysqld start-up before the node contacts the group.", source: "our estimate"),
            OptionSpec("bootstrap_delay", .duration, default: .duration(Time.s(300)),
                       help: "How long the operator takes, once every node they can see is non-Primary, to run pc.bootstrap=YES on the most advanced one; 0 = never.",
                       source: "our estimate of a paged DBA; percona/pxc-docs docs/crash-recovery.md describes the action", range: .delays),
            OptionSpec("operator_host", .string, default: .string(""),
                       help: "The host the operator and their monitoring work from (SQL to each node's port 3306); empty = the application's host.",
                       source: "scenario choice"),
            OptionSpec("operator_check_interval", .duration, default: .duration(Time.s(10)),
                       help: "How often monitoring polls wsrep_cluster_status.", source: "our estimate (a Nagios-style check)", range: .interval),
        ],
        validate: { t in
            var problems: [String] = []
            if t.primaries.count < 2 { problems.append("a galera cluster needs at least 2 databases with role: primary (every node is writable); found \(t.primaries.count)") }
            if !t.replicas.isEmpty { problems.append("galera nodes do not replicate with CHANGE MASTER; give every database role: primary") }
            return problems
        },
        validateOptions: { t, options in
            if case .string(let h)? = options["operator_host"], !h.isEmpty, t.siteOf[h] == nil {
                return ["operator_host '\(h)' is not a host of the topology"]
            }
            return []
        })
}

extension Galera {
    /// One Galera node per database host (no plain mysqld besides it), in topology order,
    /// configured from the strategy's options.
    public static func makeNodes(options: OptionValues, hosts: [(name: String, host: Host)], network: Network,
                                 hotRows: Int) -> [DatabaseNode] {
        let n = hosts.count
        let weights = options.string("pc_weights").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let gcacheWS = max(1, options.int("gcache_size_mb") * 1_048_576 / max(1, options.int("writeset_bytes")))
        var nodes: [GaleraNode] = []
        for (i, h) in hosts.enumerated() {
            var c = GaleraConfig()
            c.keepalivePeriod = options.duration("evs_keepalive_period")
            c.inactiveCheckPeriod = options.duration("evs_inactive_check_period")
            c.suspectTimeout = options.duration("evs_suspect_timeout")
            c.inactiveTimeout = options.duration("evs_inactive_timeout")
            c.joinRetransPeriod = options.duration("evs_join_retrans_period")
            c.weight = i < weights.count ? weights[i] : 1
            c.fcLimit = options.int("gcs_fc_limit")
            c.fcFactor = options.double("gcs_fc_factor")
            c.fcMasterSlave = options.bool("gcs_fc_master_slave")
            c.applyTime = h.name == options.string("slow_node") ? options.duration("slow_apply_time") : options.duration("apply_time")
            c.localCommit = options.duration("local_commit")
            c.perMemberSendCost = options.duration("per_member_send_cost")
            c.writeSetCost = options.duration("write_set_cost")
            c.diskFsync = options.int("innodb_flush_log_at_trx_commit") == 1
                ? .logNormal(median: options.duration("disk_fsync"), sigma: options.double("disk_fsync_sigma")) : nil
            c.bfAbortTime = options.duration("bf_abort_time")
            c.retryAutocommit = options.int("wsrep_retry_autocommit")
            c.gcacheWriteSets = gcacheWS
            c.istPerWriteSet = options.duration("ist_per_writeset")
            c.sstDuration = options.duration("sst_duration")
            c.sstPerRow = options.duration("sst_per_row")
            c.sstBlocksDonor = ["rsync", "mysqldump"].contains(options.string("sst_method"))
            c.startupTime = options.duration("startup_time")
            c.wsrepRecover = options.bool("wsrep_recover")
            c.autostart = options.bool("autostart")
            // wsrep_auto_increment_control=ON.
            c.autoIncrementIncrement = Int64(n)
            c.autoIncrementOffset = Int64(i + 1)
            let node = GaleraNode(name: h.name, index: i, host: h.host, network: network, config: c)
            node.seed(hotRows: hotRows)
            nodes.append(node)
        }
        for node in nodes { node.join(cluster: nodes) }
        // clustercheck under xinetd on every node's host (port 9200), for `option httpchk`.
        let donorOK = options.bool("clustercheck_available_when_donor")
        for node in nodes { node.clusterCheck = ClusterCheck(node: node, network: network, availableWhenDonor: donorOK) }
        return nodes
    }
}

public final class GaleraRuntime: StrategyRuntime {
    let deployment: Deployment
    let options: OptionValues
    /// The nodes as the operator's runbook lists them (name, address): no node object.
    let nodes: [DatabaseHandle]
    private var dba: GaleraOperator?
    /// sshd on the nodes' hosts and the DBA's ssh client (GaleraShell.swift), when a DBA acts.
    var sshd: [HostAgent] = []
    var sshClient: AgentClient?

    init(options: OptionValues, deployment: Deployment) {
        self.options = options
        self.deployment = deployment
        self.nodes = deployment.databases
    }

    public var applicationAddress: IPAddress { nodes[0].address }

    /// The operator works from `operator_host` (default: the application's host) and knows the
    /// nodes by address only, as in their runbook.
    public func start() {
        guard options.duration("bootstrap_delay") > 0 else { return }
        let network = deployment.network
        let host = network.host(named: options.string("operator_host")) ?? deployment.app.process.host
        let op = GaleraOperator(host: host, network: network, nodes: nodes.map { ($0.name, $0.host.address) },
                                checkInterval: options.duration("operator_check_interval"),
                                bootstrapDelay: options.duration("bootstrap_delay"))
        dba = op
        op.start()
    }
}
