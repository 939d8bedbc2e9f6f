/// Which real-system experiments hold each strategy's defaults (issue 11): the names of
/// `validation/results/NAME.json`, each a section of docs/validation.md where hasim's figures
/// stand next to the real runs. The report links every architecture to them, so a DBA can see
/// which of the numbers it decides from were measured against the real tool and which were not.
public enum ValidatedBy {
    /// Strategy name → experiments. A strategy that is absent was not run for real here, and
    /// `missing` says why.
    public static let experiments: [String: [String]] = [
        "single": ["galera-commit-latency", "async-kill9"],
        "manual": ["async-kill9", "replica-lag", "lagging-promote-gtid", "lagging-promote-filepos",
                   "host-crash-fast-slow-async", "host-crash-fast-slow-semisync"],
        "vip-manual": ["vip-garp", "vip-no-garp", "vip-no-garp-udp"],
        "mha": ["mha-failover-ping3", "mha-failover-ping1", "mha-lagging"],
        "heartbeat-mon": ["heartbeat-failover"],
        "keepalived": ["keepalived-failover", "keepalived-split-brain"],
        "drbd": ["pacemaker-failover"],
        "shared-disk": ["pacemaker-failover"],
        "galera": ["galera-commit-latency", "galera-kill-one", "galera-kill9-one", "galera-kill-two",
                   "galera-hot-row", "galera-flow-control-table", "galera-flow-control", "galera-rejoin", "galera-link-delay"],
    ]

    /// Why a strategy has no real experiment, in a DBA's words.
    public static let missing: [String: String] = [
        "mmm": "mysql-mmm 2.2.1 is not packaged for Debian 12 and has been unmaintained since 2010; its timings come from its source",
        "drbd": "DRBD itself needs its kernel module, which cannot load here; its protocol arithmetic is checked against the DRBD user's guide",
    ]

    /// Front doors validated on their own (any strategy behind them).
    public static let frontDoors: [String: [String]] = [
        "proxy": ["haproxy-backup", "haproxy-backup-kill9"],
        "vip": ["vip-garp", "vip-no-garp"],
    ]
}
