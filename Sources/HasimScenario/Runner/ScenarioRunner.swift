import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload
import HasimStrategies

extension TraceKind {
    public static let fault = TraceKind("fault")
    public static let faultEnd = TraceKind("fault_end")
}

public enum RunError: Error, CustomStringConvertible {
    case unknownStrategy(String)
    /// The kernel's watchdog stopped a run whose clock no longer advanced.
    case stalled(Simulation.Stall)
    public var description: String {
        switch self {
        case .stalled(let s): return "run stopped: \(s)"

        case .unknownStrategy(let s): return "strategy '\(s)' has no runtime (known: \(StrategyCatalog.names.joined(separator: ", ")))"
        }
    }
}

/// Builds the simulated world of a scenario, runs it for one seed, and returns
/// what happened. Used by `hasim run`, `hasim check` and the tests alike.
public enum ScenarioRunner {
    public static func run(_ scenario: Scenario, seed: UInt64,
                           observe: ((Simulation) -> Void)? = nil) throws -> RunOutcome {
        let sim = Simulation(seed: seed, expectedPending: 4096)
        let network = Network(sim: sim)
        network.sameSite = scenario.topology.sameSite
        network.crossSite = scenario.topology.crossSite
        for link in scenario.topology.links { network.setLink(link.siteA, link.siteB, link.spec) }
        for site in scenario.topology.sites {
            for h in site.hosts { network.addHost(h, site: site.name) }
        }

        var servers: [MySQLServer] = []
        for (i, spec) in scenario.topology.databases.enumerated() {
            var cfg = ServerConfig(serverID: UInt32(i + 1))
            let m = scenario.mysql
            cfg.sqlThreadRate = m.sqlThreadRate
            cfg.commitLatency = m.commitLatency
            cfg.startupTime = m.startupTime
            cfg.redoApplyPerTransaction = m.redoApplyPerTransaction
            cfg.checkpointInterval = m.checkpointInterval
            cfg.autostart = m.autostart
            cfg.slaveNetTimeout = m.slaveNetTimeout
            cfg.connectRetry = m.connectRetry
            cfg.heartbeatPeriod = m.heartbeatPeriod
            cfg.logSlaveUpdates = m.logSlaveUpdates
            cfg.autoIncrementIncrement = Int64(spec.autoIncrementIncrement)
            cfg.autoIncrementOffset = Int64(spec.autoIncrementOffset)
            // Replicas run with read_only=ON in my.cnf, as every HA guide sets them up.
            cfg.readOnlyAtStartup = spec.readOnly ?? (spec.role == .replica)
            var ss = SemiSyncConfig()
            ss.sourceEnabled = m.semiSync.enabled && spec.semiSync
            ss.replicaEnabled = m.semiSync.enabled && spec.semiSync
            ss.waitPoint = SemiSyncWaitPoint(rawValue: m.semiSync.waitPoint) ?? .afterSync
            ss.timeout = m.semiSync.timeout
            ss.waitForReplicaCount = m.semiSync.waitForReplicaCount
            ss.waitNoReplica = m.semiSync.waitNoReplica
            cfg.semiSync = ss
            let server = MySQLServer(name: spec.host, host: network.host(named: spec.host)!, network: network, config: cfg)
            server.seed(hotRows: scenario.workload.hotRows)
            servers.append(server)
        }
        func server(_ name: String) -> MySQLServer? { servers.first { $0.name == name } }
        var replicas: [(replica: MySQLServer, source: MySQLServer)] = []
        for spec in scenario.topology.databases {
            if let src = spec.source.flatMap(server), let r = server(spec.host) {
                r.configureReplica(of: src.host.address)
                if spec.role == .replica { replicas.append((r, src)) }
            }
        }
        let primary = scenario.topology.databases.first { $0.role == .primary }.flatMap { server($0.host) } ?? servers[0]
        // A strategy with its own node kind (galera) starts its nodes itself; the MySQLServers stay down.
        let ownNodes = StrategyFactory.ownsDatabaseNodes(scenario.architecture.strategy)
        if !ownNodes { for s in servers { s.start(immediately: true) } }

        let deployment = Deployment(sim: sim, network: network, servers: servers, initialPrimary: primary, replicas: replicas)
        guard let strategy = StrategyFactory.make(scenario.architecture.strategy, options: scenario.architecture.options,
                                                  deployment: deployment) else {
            throw RunError.unknownStrategy(scenario.architecture.strategy)
        }
        let nodes = strategy as? DatabaseNodeProvider
        let frontDoor = scenario.frontDoor.map { FrontDoorRuntime($0, network: network) }
        var apps: [ApplicationClient] = []
        for (i, w) in scenario.workloads.enumerated() {
            var cc = ClientConfig()
            cc.poolSize = w.poolSize
            cc.appThreads = w.appThreads
            cc.connectTimeout = w.connectTimeout
            cc.queryTimeout = w.queryTimeout
            cc.retries = w.retries
            cc.retryBackoff = w.retryBackoff
            cc.probeTimeout = w.probeTimeout
            if let port = frontDoor?.port { cc.port = port }
            let address = w.address.map { IPAddress($0) } ?? frontDoor?.applicationAddress ?? strategy.applicationAddress
            let app = ApplicationClient(name: i == 0 ? "app" : "app\(i + 1)", host: network.host(named: w.client)!,
                                        network: network, address: address, config: cc, clientIndex: i)
            frontDoor?.start(app: app)
            app.setReads(perSecond: w.readsPerSecond)
            apps.append(app)
        }
        let app = apps[0]
        deployment.app = app
        strategy.start()
        for (w, a) in zip(scenario.workloads, apps) {
            // A read-only group measures no write downtime: it sends no probe writes.
            a.startWorkload(writesPerSecond: w.writesPerSecond, updateFraction: w.updateFraction, hotRows: w.hotRows,
                            probeInterval: w.writesPerSecond > 0 ? w.probeInterval : 0, start: w.start, stop: scenario.duration)
        }

        var applied: [AppliedFault] = []
        for (i, var f) in scenario.faults.enumerated() {
            if let latest = f.atLatest, latest > f.at {
                // One stream per fault: adding a fault does not move the others.
                var rng = sim.random("fault.\(i)")
                f.at += SimTime(rng.next(upperBound: UInt64(latest - f.at + 1)))
            }
            applied.append(schedule(f, index: i, sim: sim, network: network, server: server, nodes: nodes))
        }
        observe?(sim)
        let end = scenario.duration + scenario.quiesce
        sim.run(until: end)
        if let stall = sim.stall { throw RunError.stalled(stall) }

        // Recovery times are only known once the run is over.
        for i in applied.indices {
            if let r = scenario.faults[i].recoverAfter, applied[i].at + r <= end { applied[i].recoveredAt = applied[i].at + r }
        }
        // Where the front door leads, unless the application was pointed elsewhere (redeployed).
        let finalPrimary = (frontDoor.flatMap { app.address == $0.applicationAddress ? $0.finalTarget(from: app.process.host) : nil }
                            ?? network.resolve(app.address, from: app.process.host))
            .flatMap { id in servers.first { $0.host.id == id } }
        let snapshots = servers.map { s in
            ServerSnapshot(name: s.name, storage: nodes?.storage(of: s.name) ?? s.storage,
                           isUp: nodes.map { $0.isUp(s.name) } ?? (s.state == .running),
                           source: s.source.flatMap { addr in network.resolve(addr, from: s.host) }
                               .flatMap { id in servers.first { $0.host.id == id }?.name },
                           sqlRunning: s.replicaStatus?.sqlRunning ?? false,
                           replicationFailures: s.replicationFailures)
        }
        // One ledger for all application groups, in acknowledgement order.
        let ledger = apps.flatMap(\.ledger).sorted { ($0.ackedAt, $0.txid) < ($1.ackedAt, $1.txid) }
        return RunOutcome(scenario: scenario, seed: seed, ledger: ledger, reads: apps.flatMap(\.reads),
                          probes: apps[0].probes, probeGroups: apps.map(\.probes),
                          failures: apps.flatMap(\.failures).sorted { ($0.failedAt, $0.issuedAt) < ($1.failedAt, $1.issuedAt) },
                          abandonedWrites: apps.reduce(0) { $0 + $1.abandonedWrites },
                          trace: sim.trace.records, servers: snapshots, finalPrimary: finalPrimary?.name,
                          faults: applied, eventsProcessed: sim.eventsProcessed, endTime: sim.now)
    }

    private static func schedule(_ f: FaultSpec, index: Int, sim: Simulation, network: Network,
                                 server: @escaping (String) -> MySQLServer?,
                                 nodes: DatabaseNodeProvider? = nil) -> AppliedFault {
        func ids(_ names: [String]) -> [HostID] { names.compactMap { network.host(named: $0)?.id } }
        let kind: String, target: String
        switch f.kind {
        case .hostCrash(let h):
            kind = "host_crash"; target = h
            sim.at(f.at) {
                sim.record(h, .fault, "host crash")
                if let host = network.host(named: h) { network.crashHost(host) }
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "host powered on")
                    if let host = network.host(named: h) { network.restartHost(host) }
                }
            }
        case .processCrash(let h):
            kind = "process_crash"; target = "mysqld@\(h)"
            sim.at(f.at) {
                sim.record(h, .fault, "mysqld killed")
                server(h)?.crash()
                nodes?.crashProcess(h)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "mysqld started")
                    server(h)?.start()
                    nodes?.startProcess(h)
                }
            }
        case .partition(let a, let b, let oneWay):
            kind = "partition"; target = "\(a.joined(separator: ",")) | \(b.joined(separator: ","))"
            sim.at(f.at) {
                sim.record(a.joined(separator: ","), .fault, "partition from \(b.joined(separator: ","))\(oneWay ? " (one-way)" : "")")
                network.partition(ids(a), ids(b), oneWay: oneWay)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(a.joined(separator: ","), .faultEnd, "partition healed")
                    network.heal(ids(a), ids(b), oneWay: oneWay)
                }
            }
        case .latencySpike(let a, let b, let add):
            kind = "latency_spike"; target = "\(a.joined(separator: ",")) | \(b.joined(separator: ","))"
            sim.at(f.at) {
                sim.record(a.joined(separator: ","), .fault, "latency +\(Time.format(add)) to \(b.joined(separator: ","))")
                network.addLatency(ids(a), ids(b), add)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(a.joined(separator: ","), .faultEnd, "latency back to normal")
                    network.addLatency(ids(a), ids(b), -add)
                }
            }
        }
        return AppliedFault(index: index, kind: kind, target: target, at: f.at, recoveredAt: nil)
    }
}
