import HasimKernel
@_spi(Oracle) import HasimNetwork
import HasimDatabase
import HasimWorkload
import HasimStrategies
import HasimWeb

extension TraceKind {
    public static let fault = TraceKind("fault")
    public static let faultEnd = TraceKind("fault_end")
}

public enum RunError: Error, CustomStringConvertible {
    case unknownStrategy(String)
    /// The kernel's watchdog stopped a run whose clock no longer advanced.
    case stalled(Simulation.Stall)
    /// The run's watch stopped it (the memory budget).
    case interrupted(String)
    /// The run's watch refused it before it started: it could not fit the memory budget.
    case refused(String)
    public var description: String {
        switch self {
        case .stalled(let s): return "run stopped: \(s)"
        case .interrupted(let why): return "run stopped: \(why)"
        case .refused(let why): return why

        case .unknownStrategy(let s): return "strategy '\(s)' has no runtime (known: \(StrategyCatalog.names.joined(separator: ", ")))"
        }
    }
}

/// Builds the simulated world of a scenario, runs it for one seed, and returns
/// what happened. Used by `hasim run`, `hasim check` and the tests alike.
public enum ScenarioRunner {
    public static func run(_ scenario: Scenario, seed: UInt64,
                           observe: ((Simulation) -> Void)? = nil, watch: RunWatch? = RunWatch.current) throws -> RunOutcome {
        let planned = scenario.workloads.reduce(0.0) { sum, w in
            let seconds = Time.seconds(scenario.duration)
            return sum + w.writesPerSecond * seconds + (w.probeInterval > 0 ? seconds / Time.seconds(w.probeInterval) : 0)
        }
        if let why = watch?.preflight(run: "\(scenario.name) (seed \(seed))", duration: scenario.duration,
                                      plannedWrites: planned, bytesPerWrite: Ledger.bytesPerEntry) {
            throw RunError.refused(why)
        }
        let sim = Simulation(seed: seed, expectedPending: 4096)
        // The world and the simulation hold each other; the outcome keeps only values.
        defer { sim.close() }
        let network = Network(sim: sim)
        network.sameSite = scenario.topology.sameSite
        network.crossSite = scenario.topology.crossSite
        for link in scenario.topology.links { network.setLink(link.siteA, link.siteB, link.spec) }
        for site in scenario.topology.sites {
            for h in site.hosts { network.addHost(h, site: site.name) }
        }
        for m in scenario.topology.machines {
            network.place(m.hosts.compactMap { network.host(named: $0) }, onMachine: m.name, cores: m.cpus)
        }
        for n in scenario.topology.nics {
            guard let h = network.host(named: n.host) else { continue }
            var nic = h.nic
            nic.bitsPerSecond = n.bitsPerSecond
            nic.packetCost = n.packetCost
            network.setNIC(h, nic)
        }

        // One database node per host, of the kind the strategy runs (plain mysqld by default).
        let ownNodes = StrategyFactory.makeNodes(scenario.architecture.strategy, options: scenario.architecture.options,
                                                 hosts: scenario.topology.databases.map { ($0.host, network.host(named: $0.host)!) },
                                                 network: network, hotRows: scenario.workload.hotRows)
        var servers: [MySQLServer] = []
        for (i, spec) in scenario.topology.databases.enumerated() where ownNodes == nil {
            var cfg = scenario.mysql
            cfg.serverID = UInt32(i + 1)
            cfg.autoIncrementIncrement = Int64(spec.autoIncrementIncrement)
            cfg.autoIncrementOffset = Int64(spec.autoIncrementOffset)
            // Replicas run with read_only=ON in my.cnf, as every HA guide sets them up.
            cfg.readOnlyAtStartup = spec.readOnly ?? (spec.role == .replica)
            cfg.semiSync.sourceEnabled = cfg.semiSync.sourceEnabled && spec.semiSync
            cfg.semiSync.replicaEnabled = cfg.semiSync.replicaEnabled && spec.semiSync
            if let rate = spec.sqlThreadRate { cfg.sqlThreadRate = rate }
            if let sigma = spec.sqlApplySigma { cfg.sqlApplySigma = sigma }
            if let w = spec.parallelWorkers { cfg.parallelWorkers = w }
            if let n = spec.syncBinlog { cfg.syncBinlog = n }
            if let n = spec.innodbFlushLogAtTrxCommit { cfg.innodbFlushLogAtTrxCommit = n }
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
        let primary = scenario.topology.databases.first { $0.role == .primary }.flatMap { server($0.host) } ?? servers.first
        let nodes: [DatabaseNode] = ownNodes ?? servers
        func node(_ name: String) -> DatabaseNode? { nodes.first { $0.name == name } }
        for n in nodes { n.bootAtStart() }

        let deployment = Deployment(sim: sim, network: network, nodes: nodes, initialPrimary: primary, replicas: replicas)
        guard let strategy = StrategyFactory.make(scenario.architecture.strategy, options: scenario.architecture.options,
                                                  deployment: deployment) else {
            throw RunError.unknownStrategy(scenario.architecture.strategy)
        }
        let frontDoor = scenario.frontDoor.map { FrontDoorRuntime($0, network: network) }
        var apps: [ApplicationClient] = []
        for (i, w) in scenario.workloads.enumerated() {
            var cc = w.clientConfig
            if let port = frontDoor?.port { cc.port = port }
            let address = w.address.map { IPAddress($0) } ?? frontDoor?.applicationAddress ?? strategy.applicationAddress
            let app = ApplicationClient(name: i == 0 ? "app" : "app\(i + 1)", host: network.host(named: w.client)!,
                                        network: network, address: address, config: cc, clientIndex: i)
            frontDoor?.start(app: app)
            app.setReads(perSecond: w.readsPerSecond)
            apps.append(app)
        }
        let udpClients = startUDPClients(scenario, apps: apps, network: network)
        let app = apps[0]
        deployment.app = app
        let web = scenario.web.map { buildWeb($0, scenario: scenario, apps: &apps, frontDoor: frontDoor, network: network) }
        deployment.webPools = web?.tomcats.map(\.pool) ?? []
        strategy.start()
        for (w, a) in zip(scenario.workloads, apps) {
            // A read-only group measures no write downtime: it sends no probe writes.
            a.startWorkload(writesPerSecond: w.writesPerSecond, updateFraction: w.updateFraction, hotRows: w.hotRows,
                            probeInterval: w.writesPerSecond > 0 ? w.probeInterval : 0, start: w.start, stop: scenario.duration)
        }
        web?.start(at: 0, stop: scenario.duration)

        var applied: [AppliedFault] = []
        let desk = OperatorDesk(scenario, sim: sim, network: network, strategy: strategy)
        let faults = scenario.faults(seed: seed)
        for (i, var f) in faults.enumerated() {
            if let latest = f.atLatest, latest > f.at {
                // One stream per fault: adding a fault does not move the others.
                var rng = sim.random("fault.\(i)")
                f.at += SimTime(rng.next(upperBound: UInt64(latest - f.at + 1)))
            }
            // until: the window ends at that time of the run, whatever instant `at` drew.
            if let u = f.until { f.recoverAfter = u - f.at }
            applied.append(f.kind.name.isOperatorAction
                ? AppliedFault(index: i, kind: f.kind.name.rawValue, target: desk.schedule(f), at: f.at, recoveredAt: nil)
                : schedule(f, index: i, sim: sim, network: network, node: node, web: web))
        }
        observe?(sim)
        defer { withExtendedLifetime(desk) {} }
        let end = scenario.duration + scenario.quiesce
        for s in servers { s.runEnd = end }
        let interval = scenario.sampleInterval ?? sampleInterval(duration: scenario.duration)
        var samples: [ServerSample] = []
        // Capped: a long quiesce after a short workload is sampled at the workload's rate,
        // and reserving for ten years of it up front would take gigabytes (issue 17).
        samples.reserveCapacity(min(Int(end / interval + 1), 1 << 16) * servers.count)
        // A measurement, not a daemon: it reads state at fixed simulated times and decides nothing.
        func sample() {
            let appHost = app.process.host
            for s in servers {
                let status = s.replicaStatus
                let running = s.state == .running
                samples.append(ServerSample(
                    // A stopped mysqld (SIGSTOP) takes no write until it runs again.
                    time: sim.now, server: s.name, writable: running && !s.process.isPaused && !s.readOnly,
                    reachable: network.canReach(appHost.id, s.host.id) && network.canReach(s.host.id, appHost.id),
                    lagTransactions: running ? status?.relayLogPending : nil,
                    lagTime: running ? status?.secondsBehind : nil))
            }
            if sim.now + interval <= end { sim.after(interval) { sample() } }
        }
        sim.at(0) { sample() }
        let watching = watch?.begin(sim, run: "\(scenario.name) (seed \(seed))", end: end) {
            let acknowledged = apps.reduce(0) { $0 + $1.ledger.count }
            let binlog = nodes.reduce(0) { $0 + $1.storage.binlog.count }
            return "\(acknowledged) acknowledged writes in the ledger, \(binlog) binlog events kept on the servers, "
                + "\(sim.trace.records.count) trace records"
        }
        sim.run(until: end)
        // The echoes are held by nothing else once their host dies (the socket table let go).
        withExtendedLifetime(udpClients) {}
        if let watching { watch?.finish(watching) }
        if let stall = sim.stall { throw RunError.stalled(stall) }
        if let why = sim.interruption { throw RunError.interrupted(why) }
        for a in apps { a.finishRun() }

        // Recovery times are only known once the run is over.
        for i in applied.indices {
            let recovery = faults[i].until ?? faults[i].recoverAfter.map { applied[i].at + $0 }
            if let t = recovery, t <= end { applied[i].recoveredAt = t }
        }
        let targets = frontDoorTargets(app: app, frontDoor: frontDoor, network: network, nodes: nodes)
        let snapshots = nodes.map { s in
            ServerSnapshot(name: s.name, storage: s.storage, isUp: s.isRunning,
                           source: s.replicationSource.flatMap { addr in network.resolve(addr, from: s.host) }
                               .flatMap { id in nodes.first { $0.host.id == id }?.name },
                           sqlRunning: s.sqlThreadRunning,
                           replicationFailures: s.replicationFailures)
        }
        // One ledger for all application groups, in acknowledgement order.
        // A lone group's ledger is shared, not copied (a run's largest array); it is already in
        // acknowledgement order unless two acknowledgements fell on one instant out of txid order.
        func ackOrder(_ a: LedgerEntry, _ b: LedgerEntry) -> Bool { (a.ackedAt, a.txid) < (b.ackedAt, b.txid) }
        var ledger = apps.count == 1 ? apps[0].ledger : Ledger(apps.flatMap(\.ledger))
        // The ledger knows whether it was appended in that order (one comparison per append):
        // reading it back decoded every column, 4 % of a 1,000 writes/s run's CPU.
        if !ledger.isInAckOrder { ledger.sort(by: ackOrder) }
        // The web tier's JDBC pools are groups too, after the workload's.
        let groups = apps.map { a in
            ApplicationGroupInfo(name: a.process.name, client: a.process.host.name, address: a.initialAddress.value)
        }
        return RunOutcome(scenario: scenario, seed: seed, ledger: ledger, reads: apps.flatMap(\.reads),
                          probes: apps[0].probes, probeGroups: apps.prefix(scenario.workloads.count).map(\.probes),
                          failures: FailureLog.merged(apps.map(\.failures)),
                          abandonedWrites: apps.reduce(0) { $0 + $1.abandonedWrites },
                          trace: sim.trace.records, servers: snapshots,
                          finalPrimary: targets.count == 1 ? targets[0] : nil,
                          frontDoorTargets: targets, groups: groups, samples: samples, sampleInterval: interval,
                          faults: applied, eventsProcessed: sim.eventsProcessed, endTime: sim.now,
                          datagrams: udpClients.clients.map(\.log), web: web?.outcome)
    }

    /// The web tier in front of the database: each Tomcat's JDBC pool is an application client
    /// with the first group's driver settings and address (so the front door, a redeploy and
    /// the loss measurement treat it as the application it is), appended to `apps`.
    private static func buildWeb(_ spec: WebSpec, scenario: Scenario, apps: inout [ApplicationClient],
                                 frontDoor: FrontDoorRuntime?, network: Network) -> WebTier {
        let first = apps[0]
        var pools: [ApplicationClient] = []
        let base = apps.count
        let tier = WebTier(spec, network: network) { host, i in
            var cc = first.config
            // Every request thread may hold a statement: the pool's queue, not a thread cap, limits it.
            cc.appThreads = max(cc.appThreads, spec.tomcat.maxThreads)
            let pool = ApplicationClient(name: "jdbc", host: host, network: network, address: first.initialAddress,
                                         config: cc, clientIndex: base + i)
            frontDoor?.start(app: pool)
            pools.append(pool)
            return pool
        }
        apps += pools
        return tier
    }

    /// The `protocol: udp` groups' clients, each sending to its group's address from its host,
    /// and a UDP echo on every database host for each port they use (vip_udp.py's servers).
    private static func startUDPClients(_ scenario: Scenario, apps: [ApplicationClient], network: Network)
        -> (clients: [DatagramClient], echoes: [UDPEcho]) {
        var clients: [DatagramClient] = [], echoes: [UDPEcho] = [], ports: [Int] = []
        for (i, (w, a)) in zip(scenario.workloads, apps).enumerated() {
            guard let u = w.udp else { continue }
            let c = DatagramClient(name: "udp-client\(i == 0 ? "" : "\(i + 1)")", host: a.process.host, network: network,
                                   address: a.address, port: u.port, interval: u.interval, sourcePort: 40_000 + i)
            c.start(at: w.start, stop: scenario.duration)
            clients.append(c)
            if !ports.contains(u.port) { ports.append(u.port) }
        }
        for port in ports {
            for d in scenario.topology.databases {
                if let h = network.host(named: d.host) { echoes.append(UDPEcho(host: h, network: network, port: port)) }
            }
        }
        return (clients, echoes)
    }

    /// Samples every second, or coarser for long runs so that a run keeps at most about
    /// 3,600 samples per server (a whole number of seconds).
    static func sampleInterval(duration: SimTime) -> SimTime {
        let seconds = max(1, (duration + Time.s(3600) - 1) / Time.s(3600))
        return seconds * Time.s(1)
    }

    /// Where the first application's address is bound at the end, by the tools' own state
    /// only: every live VIP holder (never an ARP answer, which is a random draw between two
    /// holders), the authoritative DNS record, the proxy's current choice, the IP's owner.
    /// An application that was redeployed to another address is followed there.
    private static func frontDoorTargets(app: ApplicationClient, frontDoor: FrontDoorRuntime?, network: Network,
                                         nodes: [DatabaseNode]) -> [String] {
        func name(_ id: HostID) -> String? { nodes.first { $0.host.id == id }?.name }
        if let vips = network.vips, vips.isVIP(app.address) {
            return vips.holders(of: app.address).compactMap { name($0.id) }.sorted()
        }
        if let fd = frontDoor, app.address == fd.applicationAddress {
            return fd.finalTarget(from: app.process.host).flatMap(name).map { [$0] } ?? []
        }
        return network.resolve(app.address, from: app.process.host).flatMap(name).map { [$0] } ?? []
    }

    private static func schedule(_ f: FaultSpec, index: Int, sim: Simulation, network: Network,
                                 node: @escaping (String) -> DatabaseNode?, web: WebTier?) -> AppliedFault {
        func ids(_ names: [String]) -> [HostID] { names.compactMap { network.host(named: $0)?.id } }
        let kind = f.kind.name.rawValue, target: String
        switch f.kind {
        case .hostCrash(let h):
            target = h
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
            target = "mysqld@\(h)"
            sim.at(f.at) {
                sim.record(h, .fault, "mysqld killed")
                node(h)?.crash()
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "mysqld started")
                    node(h)?.startProcess()
                }
            }
        case .partition(let a, let b, let oneWay, let firewall):
            target = "\(a.joined(separator: ",")) | \(b.joined(separator: ","))"
            sim.at(f.at) {
                sim.record(a.joined(separator: ","), .fault, "partition from \(b.joined(separator: ","))\(oneWay ? " (one-way)" : "")")
                network.partition(ids(a), ids(b), oneWay: oneWay, atHosts: firewall)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(a.joined(separator: ","), .faultEnd, "partition healed")
                    network.heal(ids(a), ids(b), oneWay: oneWay)
                }
            }
        case .latencySpike(let a, let b, _), .packetLoss(let a, let b, _):
            target = "\(a.joined(separator: ",")) | \(b.joined(separator: ","))"
            // A change of the links between the two sets, undone at the window's end.
            let (begin, end): (String, String)
            let change: (Bool) -> Void
            if case .latencySpike(_, _, let add) = f.kind {
                (begin, end) = ("latency +\(Time.format(add))", "latency back to normal")
                change = { on in network.addLatency(ids(a), ids(b), on ? add : -add) }
            } else if case .packetLoss(_, _, let rate) = f.kind {
                (begin, end) = ("packet loss \(rate * 100)%", "packet loss ends")
                change = { on in on ? network.addLoss(ids(a), ids(b), rate) : network.removeLoss(ids(a), ids(b), rate) }
            } else { preconditionFailure("a link fault") }
            sim.at(f.at) {
                sim.record(a.joined(separator: ","), .fault, "\(begin) to \(b.joined(separator: ","))")
                change(true)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(a.joined(separator: ","), .faultEnd, end)
                    change(false)
                }
            }
        case .stopReplica(let h, let threads):
            target = "mysqld@\(h)"
            let mysqld = { node(h) as? MySQLServer }
            sim.at(f.at) {
                sim.record(h, .fault, threads.statement("STOP"))
                mysqld()?.stopReplica(threads)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, threads.statement("START"))
                    mysqld()?.startReplica(threads)
                }
            }
        case .pause(let h) where web?.tomcat(on: h) != nil:
            target = "tomcat@\(h)"
            sim.at(f.at) {
                sim.record(h, .fault, "kill -STOP of Tomcat's JVM")
                web?.tomcat(on: h)?.pause()
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "kill -CONT of Tomcat's JVM")
                    web?.tomcat(on: h)?.resume()
                }
            }
        case .pause(let h):
            target = "mysqld@\(h)"
            sim.at(f.at) {
                sim.record(h, .fault, "kill -STOP mysqld")
                node(h)?.pause()
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "kill -CONT mysqld")
                    node(h)?.resume()
                }
            }
        case .diskStall(let h):
            target = "disk@\(h)"
            let mysqld = { node(h) as? MySQLServer }
            sim.at(f.at) {
                sim.record(h, .fault, "disk stall")
                mysqld()?.beginDiskStall()
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "disk writes complete again")
                    mysqld()?.endDiskStall()
                }
            }
        case .slowDisk(let h, let factor):
            target = "disk@\(h)"
            let mysqld = { node(h) as? MySQLServer }
            sim.at(f.at) {
                sim.record(h, .fault, "disk \(factor)x slower")
                mysqld()?.setDiskSlowdown(factor)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "disk back to normal")
                    mysqld()?.setDiskSlowdown(1)
                }
            }
        case .readLock(let h, let global):
            target = "mysqld@\(h)"
            let statement = global ? "FLUSH TABLES WITH READ LOCK" : "FLUSH TABLES t WITH READ LOCK"
            sim.at(f.at) {
                sim.record(h, .fault, statement)
                node(h)?.flushTablesWithReadLock(global: global)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "UNLOCK TABLES")
                    node(h)?.unlockTables()
                }
            }
        case .drain(let h) where web?.isBalancedApache(h) == true, .remove(let h) where web?.isBalancedApache(h) == true:
            target = "l4@\(h)"
            let remove = f.kind.name == .remove
            sim.at(f.at) {
                sim.record(h, .fault, remove ? "real server deleted from the L4 service (ipvsadm -d)" : "real server drained (weight 0)")
                if remove { web?.removeApache(h, true) } else { web?.drainApache(h) }
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "real server back in the L4 service")
                    web?.removeApache(h, false)
                }
            }
        case .drain(let h), .remove(let h):
            target = "mod_jk@\(h)"
            let stop = f.kind.name == .remove
            sim.at(f.at) {
                sim.record(h, .fault, stop ? "mod_jk worker stopped (removed)" : "mod_jk worker disabled (drained)")
                web?.setActivation(h, stop ? .stopped : .disabled)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "mod_jk worker active again")
                    web?.setActivation(h, .active)
                }
            }
        case .cpuLoad(let h, let threads):
            target = "cpu@\(h)"
            let machine = network.host(named: h)!.machine
            sim.at(f.at) {
                sim.record(h, .fault, "\(threads) CPU-bound threads on \(machine.name)")
                machine.setLoad(machine.load + threads)
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) {
                    sim.record(h, .faultEnd, "CPU load ends")
                    machine.setLoad(machine.load - threads)
                }
            }
        case .switchover, .maintenance, .reattach, .reapplyBinlog, .skipReplicaError, .unlockTables, .bootstrap, .galeraNewCluster:
            preconditionFailure("operator actions are scheduled by the OperatorDesk")
        }
        return AppliedFault(index: index, kind: kind, target: target, at: f.at, recoveredAt: nil)
    }
}
