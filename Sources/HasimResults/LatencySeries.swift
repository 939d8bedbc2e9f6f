import Histogram
import HasimKernel
import HasimWorkload
import HasimScenario

/// Commit latency percentiles, throughput and replication lag over time. Buckets are the
/// run's sample interval (`RunOutcome.sampleInterval`), so every series of one run shares
/// its time axis.
enum LatencySeries {
    /// Commit latency of acknowledged writes (the application's issue of the attempt that
    /// committed, to its acknowledgement): the whole run, each group, each time bucket (by
    /// acknowledgement time, every group together). HDR histograms in microseconds:
    /// 3 significant digits for the run and the groups; 2 for the buckets, one histogram
    /// reset between buckets (no sorting, constant memory, a small array to clear).
    static func latencyRows(_ o: RunOutcome, buckets: Bool = true) -> [LatencyRow] {
        guard !o.ledger.isEmpty else { return [] }
        var rows: [LatencyRow] = []
        var h = makeHistogram(.three)
        func row(group: Int?, bucket: SimTime?) -> LatencyRow {
            LatencyRow(group: group, bucketStart: bucket, count: Int(h.totalCount),
                       p50: ns(h.valueAtPercentile(50)), p99: ns(h.valueAtPercentile(99)),
                       p999: ns(h.valueAtPercentile(99.9)), max: ns(h.max))
        }
        for e in o.ledger { record(&h, e) }
        rows.append(row(group: nil, bucket: nil))
        let groupCount = max(o.groups.count, (o.ledger.map(\.group).max() ?? 0) + 1)
        if groupCount > 1 {
            for g in 0..<groupCount {
                h.reset()
                for e in o.ledger where e.group == g { record(&h, e) }
                if h.totalCount > 0 { rows.append(row(group: g, bucket: nil)) }
            }
        }
        guard buckets else { return rows }
        // The ledger is in acknowledgement order: one pass, one bucket at a time.
        h = makeHistogram(.two)
        var bucket = o.ledger[0].ackedAt / o.sampleInterval
        for e in o.ledger {
            let b = e.ackedAt / o.sampleInterval
            if b != bucket {
                rows.append(row(group: nil, bucket: bucket * o.sampleInterval))
                h.reset()
                bucket = b
            }
            record(&h, e)
        }
        rows.append(row(group: nil, bucket: bucket * o.sampleInterval))
        return rows
    }

    /// 1 µs to 1 h; longer values are clamped (a write the application waited on for an
    /// hour is off any chart anyway).
    private static let highest: UInt64 = 3_600_000_000
    private static func makeHistogram(_ digits: SignificantDigits) -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highest, numberOfSignificantValueDigits: digits)
    }

    private static func record(_ h: inout Histogram<UInt64>, _ e: LedgerEntry) {
        let us = UInt64(max(0, e.ackedAt - e.issuedAt) / 1_000)
        _ = h.record(Swift.max(1, Swift.min(us, highest)))
    }

    private static func ns(_ us: UInt64) -> SimTime { SimTime(us) * 1_000 }

    /// Writes acknowledged per second in each bucket, per application group, over the
    /// workload (buckets without a write are 0, so outages show as gaps to the floor).
    static func throughput(_ o: RunOutcome) -> [SeriesRow] {
        let interval = o.sampleInterval
        let buckets = Int((o.scenario.duration + interval - 1) / interval)
        guard buckets > 0 else { return [] }
        let names = o.groups.isEmpty ? ["app"] : o.groups.map(\.name)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: buckets), count: names.count)
        for e in o.ledger where e.group < names.count {
            let b = Int(e.ackedAt / interval)
            if b < buckets { counts[e.group][b] += 1 }
        }
        let perSecond = 1.0 / Time.seconds(interval)
        var out: [SeriesRow] = []
        for b in 0..<buckets {
            for g in names.indices {
                out.append(SeriesRow(time: SimTime(b) * interval, name: "throughput", subject: names[g],
                                     value: Double(counts[g][b]) * perSecond))
            }
        }
        return out
    }

    /// Replication lag of every server that was a running replica when sampled:
    /// transactions received but not applied, and Seconds_Behind_Source (NULL while a
    /// replication thread is stopped, as MySQL shows it).
    static func lag(_ o: RunOutcome) -> [SeriesRow] {
        var out: [SeriesRow] = []
        for s in o.samples {
            guard let tx = s.lagTransactions else { continue }
            out.append(SeriesRow(time: s.time, name: "lag_transactions", subject: s.server, value: Double(tx)))
            out.append(SeriesRow(time: s.time, name: "lag_seconds", subject: s.server,
                                 value: s.lagTime.map { Time.seconds($0) } ?? .nan))
        }
        return out
    }
}
