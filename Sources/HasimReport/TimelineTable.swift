import HasimKernel
import HasimStore

/// The `hasim run --timeline` table: what happened in one run, step by step.
public enum TimelineTable {
    /// The kinds a DBA reads a failover by (not every connection retry).
    public static let kinds: Set<String> = [
        "fault", "fault_end", "host_crash", "host_restart", "process_crash", "mysql_ready",
        "partition", "heal", "latency_spike", "alert", "failover_start", "failover_step",
        "failover_step_failed", "failover_complete", "vip_acquire", "vip_release", "dns_update",
        "dns_change", "read_only", "replication_error", "source_changed", "semi_sync_off",
        "semi_sync_on", "app_redeploy", "drbd_split_brain", "l4_vrrp",
    ]

    public static func render(_ r: RunReport) -> String {
        var rows = [["time", "node", "event", "detail"]]
        for t in r.timeline where kinds.contains(t.kind) {
            rows.append([Time.format(t.time), t.node, t.kind, t.detail])
        }
        return "\(r.scenarioName) (\(r.strategy), seed \(r.seed))\n" + SummaryTable.table(rows, numericFrom: rows[0].count)
    }
}
