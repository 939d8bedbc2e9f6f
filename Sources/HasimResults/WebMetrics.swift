import HasimKernel
import HasimWeb
import HasimScenario

/// What the users of the web tier saw, from their own ledger of requests (docs/metrics.md,
/// "Web tier"). Only runs with `web:` have these metrics, so other runs stay as they were.
enum WebMetrics {
    static let names = ["http_requests", "http_ok", "http_errors", "http_no_answer", "http_latency_p50", "http_latency_p99",
                        "sessions_lost", "http_write_errors", "http_db_mismatch", "http_tps", "http_tps_min", "session_replication_messages",
                        "l4_bytes_in", "l4_bytes_out", "l4_peak_utilisation", "l4_queue_delay_max", "l4_drops"]

    static func add(_ o: RunOutcome, to report: inout RunReport) {
        guard let w = o.web else { return }
        func add(_ name: String, _ value: Double, _ unit: String) {
            report.metrics.append(MetricValue(name: name, value: value, unit: unit))
        }
        let recs = w.records
        let ok = recs.filter(\.ok)
        add("http_requests", Double(recs.count), "count")
        add("http_ok", Double(ok.count), "count")
        add("http_errors", Double(recs.count - ok.count), "count")
        add("http_no_answer", Double(recs.filter { $0.status == 0 }.count), "count")
        // Latency of the answered requests (an error page is answered too), nearest rank.
        let lat = recs.filter { $0.status != 0 }.map(\.latency).sorted()
        func pct(_ q: Double) -> Double {
            lat.isEmpty ? 0 : Time.seconds(lat[min(lat.count - 1, Int((q * Double(lat.count)).rounded(.up)) - 1)])
        }
        add("http_latency_p50", pct(0.5), "s")
        add("http_latency_p99", pct(0.99), "s")
        add("sessions_lost", Double(recs.filter(\.sessionLost).count), "count")
        let writes = recs.filter { $0.kind == .write }
        add("http_write_errors", Double(writes.filter { !$0.ok }.count), "count")
        add("http_db_mismatch", Double(mismatch(o, writes: writes)), "count")
        add("http_tps", Double(ok.count) / max(1e-9, Time.seconds(o.scenario.duration)), "1/s")
        add("session_replication_messages", Double(w.replicationMessages), "count")
        if let l = w.l4 {
            // The balancer's NIC: what NAT carries both ways and DSR only the users' way.
            add("l4_bytes_in", Double(l.bytesIn), "bytes")
            add("l4_bytes_out", Double(l.bytesOut), "bytes")
            add("l4_peak_utilisation", l.peakUtilisation, "fraction")
            add("l4_queue_delay_max", Time.seconds(l.maxQueueDelay), "s")
            add("l4_drops", Double(l.drops), "count")
            report.l4Load = [L4LoadRow(mode: l.mode, bandwidth: l.bandwidth, bytesIn: l.bytesIn, bytesOut: l.bytesOut,
                                       peakUtilisation: l.bandwidth > 0 ? l.peakUtilisation : nil,
                                       queueDelayMax: l.maxQueueDelay, drops: l.drops, droppedPackets: l.droppedPackets)]
        }

        // By request kind and status, for the http_status table.
        var counts: [Int: Int] = [:]
        for r in recs { counts[Int(r.kind.rawValue) << 16 | Int(r.status), default: 0] += 1 }
        report.httpStatus = counts.keys.sorted().map { k in
            HTTPStatusRow(kind: RequestKind(rawValue: UInt8(k >> 16))!.name, status: k & 0xFFFF, count: counts[k]!)
        }
        // Answered and failed requests per sample interval: the users' TPS over time.
        let bucket = o.sampleInterval
        let n = Int((o.scenario.duration + bucket - 1) / bucket)
        var good = [Double](repeating: 0, count: n), bad = [Double](repeating: 0, count: n)
        for r in recs {
            let i = Int(r.finishedAt / bucket)
            guard i < n else { continue }
            if r.ok { good[i] += 1 } else { bad[i] += 1 }
        }
        let perSecond = 1 / Time.seconds(bucket)
        // The TPS dip: the lowest interval from the first fault on (from the second interval
        // without faults: the first holds the users' ramp), to the end of the workload.
        let from = o.faults.map(\.at).min().map { Int($0 / bucket) } ?? 1
        let dip = (min(from, n)..<n).map { good[$0] }.min() ?? 0
        add("http_tps_min", dip * perSecond, "1/s")
        for i in 0..<n {
            report.series.append(SeriesRow(time: SimTime(i) * bucket, name: "http_ok_per_s", subject: "users", value: good[i] * perSecond))
            report.series.append(SeriesRow(time: SimTime(i) * bucket, name: "http_errors_per_s", subject: "users", value: bad[i] * perSecond))
        }
    }

    /// Write pages whose HTTP answer disagrees with the database ledger (what the JDBC
    /// pools saw acknowledged): a 200 whose transaction the ledger lacks, or an error page
    /// for a transaction the ledger has. 0 when the errors users see are exactly the writes
    /// that failed.
    static func mismatch(_ o: RunOutcome, writes: [HTTPRecord]) -> Int {
        let acked = Set(o.ledger.map(\.txid))
        return writes.filter { r in
            r.status == 200 ? !acked.contains(r.txid) : (r.status != 0 && r.txid != 0 && acked.contains(r.txid))
        }.count
    }
}
