import Foundation
import HasimKernel
import HasimScenario

/// Sums of one replication, before scaling to a year.
struct Totals {
    var incidents = 0.0
    var downtime = 0.0
    var lost = 0.0
    var crashes = 0.0
    var splitBrains = 0.0
    var divergent = 0.0
    var pages = 0.0
    var nightPages = 0.0
    var dbaHours = 0.0
}

/// Composes incident results into a fleet-year. The only rules here are the ones the
/// transaction level cannot see because they lie beyond its window: how long writes stay
/// down after the window if they were down at its end, and the human work (docs/fleet.md).
struct Composer {
    let config: FleetConfig
    let targets: FaultTargets
    let processes: [FaultProcessSpec]

    func add(_ inc: FleetIncident, failures: [SampledFailure], result: IncidentResult, to t: inout Totals) {
        let h = config.human
        var downtime = result.downtime
        var manualFix = false
        if result.downAtEnd {
            let windowEnd = (failures.last?.at ?? 0) + config.window
            let repairEnd = failures.map { $0.at + $0.repair }.max() ?? 0
            let afterRepair = Double(max(0, repairEnd - windowEnd) + result.startupTime) / 1e9
            let byHand = (h.pageResponse + h.manualFailover) * 3600
            if repairEnd > windowEnd && !hasSurvivor(failures) {
                downtime += afterRepair              // nothing to fail over to: wait for the repair
            } else if repairEnd > windowEnd {
                downtime += min(afterRepair, byHand) // the DBA fails over by hand unless the repair is sooner
                manualFix = byHand < afterRepair
            } else {
                downtime += byHand                   // repaired, still down: automation left it broken
                manualFix = true
            }
        }
        let brain = result.splitBrainTime > 0
        // Divergent means two histories a DBA must reconcile: rows differ *and* some server
        // holds transactions the final primary lacks. Rows a replica or a stale old primary
        // merely lacks (a site cut that outlasts the window, an old primary MHA could not
        // reach, still holding the VIP) are a copy to rebuild, counted as reintegration.
        let divergent = result.divergentRows > 0 && result.errantTransactions > 0
        let paged = downtime >= Double(h.pageAfter) / 1e9 || result.replicationCrashes > 0 || brain || divergent
        var hours = 0.0
        if paged { hours += h.pageResponse }
        if manualFix { hours += h.manualFailover }
        hours += result.replicationCrashes * h.fixReplication
        if brain || divergent { hours += h.reconcile }
        // A planned switchover is a failover the maintenance itself reattaches (MHA's
        // --orig_master_is_new_slave, the runbook's CHANGE MASTER on the old primary).
        let planned = failures.filter { $0.component == .maintenance }.count
        if result.failovers > Double(planned) { hours += h.reintegrate }
        hours += Double(failures.filter { $0.component == .disk }.count) * h.rebuildServer
        hours += Double(planned) * h.maintenance

        t.incidents += 1
        t.downtime += downtime
        t.lost += result.lostTransactions
        t.crashes += result.replicationCrashes
        t.splitBrains += brain ? 1 : 0
        t.divergent += divergent ? 1 : 0
        if paged {
            t.pages += 1
            if isNight(inc.start) { t.nightPages += 1 }
        }
        t.dbaHours += hours
    }

    /// A database of the cluster that none of the incident's failures touched: something a
    /// DBA could promote by hand.
    private func hasSurvivor(_ failures: [SampledFailure]) -> Bool {
        var hit = Set<String>()
        for f in failures {
            switch f.component {
            case .host, .disk, .mysqld, .nic: hit.insert(targets.databases[f.target])
            case .site: for h in targets.siteTargets[f.target].hosts { hit.insert(h) }
            case .sitePartition, .manager, .maintenance: break
            }
        }
        return targets.databases.contains { !hit.contains($0) }
    }

    private func isNight(_ t: SimTime) -> Bool {
        let hour = Int((t / Time.hour) % 24)
        let h = config.human
        return h.nightStartHour > h.nightEndHour ? (hour >= h.nightStartHour || hour < h.nightEndHour)
                                                 : (hour >= h.nightStartHour && hour < h.nightEndHour)
    }

    /// Per-replication figures in `FleetMetric.all` order, scaled to one year.
    func metrics(_ t: Totals, clusters: Int, serversPerCluster: Int) -> [Double] {
        let perYear = Double(FaultProcessSpec.year) / Double(config.horizon)
        let horizonSeconds = Double(config.horizon) / 1e9
        let perDatabase = t.downtime / Double(clusters)
        let unavailable = perDatabase / horizonSeconds
        let capacity = Double(config.human.dbas) * config.human.hoursPerDBA
        return FleetMetric.all.map { m in
            switch m {
            case .incidents: return t.incidents * perYear
            case .fleetDowntime: return t.downtime / 3600 * perYear
            case .databaseDowntime: return perDatabase / 60 * perYear
            case .availability: return 100 * (1 - unavailable)
            case .nines: return unavailable > 0 ? min(9, -log10(unavailable)) : 9
            case .lostTransactions: return t.lost * perYear
            case .replicationCrashes: return t.crashes * perYear
            case .splitBrains: return t.splitBrains * perYear
            case .divergentIncidents: return t.divergent * perYear
            case .pages: return t.pages * perYear
            case .nightPages: return t.nightPages * perYear
            case .dbaHours: return t.dbaHours * perYear
            case .dbaCapacity: return 100 * t.dbaHours * perYear / capacity
            case .servers: return Double(clusters * serversPerCluster)
            }
        }
    }
}
