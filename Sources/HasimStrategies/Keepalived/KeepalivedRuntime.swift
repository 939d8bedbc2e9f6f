import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// One keepalived per database host (its VRRP state machine: Common/VRRP/VRRPInstance.swift).
/// A node knows only the adverts it hears and its own track script's results; nothing fences
/// anyone, so two MASTERs (a cut link) both hold
/// the VIP until they hear each other again, when the lower priority yields. Which host
/// a client reaches then is what its neighbour cache says, set by the last GARP it heard.
final class KeepalivedRuntime: StrategyRuntime {
    final class Node: Daemon {
        /// The database host this keepalived runs on, by name: its track script reaches the
        /// local mysqld through SQL only, so no server object is held (nothing to read behind its back).
        let dbName: String
        let mysql: AdminClient
        private(set) var vrrp: VRRPInstance!
        var trackFailures = 0
        var trackSuccesses = 0
        var onBoot: (() -> Void)?
        init(dbName: String, host: Host, settings: VRRPInstance.Settings, vip: IPAddress?, network: Network) {
            self.dbName = dbName
            mysql = AdminClient(name: "keepalived-chk", host: host, network: network)
            super.init(name: "keepalived", host: host, network: network)
            adopt(mysql.process)
            vrrp = VRRPInstance(name: dbName, daemon: self, settings: settings, vip: vip)
        }
        override func crashed() {
            vrrp.crashed()
            trackFailures = 0
            trackSuccesses = 0
        }
        override func booted() { onBoot?() }
    }

    private let d: Deployment
    private let advert: SimTime
    private let preempt: Bool
    private let garpDelay: SimTime
    private let garpRepeat: Int
    private let lowerPrioRepeat: Int
    private let lowerPrioDelay: SimTime
    private let stepTime: LatencyModel
    private let trackInterval: SimTime
    private let fall: Int
    private let rise: Int
    private let makeWritable: Bool
    private let masterPriority: Int
    private let backupPriority: Int
    private var nodes: [Node] = []

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        advert = options.duration("advert_int")
        preempt = options.bool("preempt")
        garpDelay = options.duration("garp_master_delay")
        garpRepeat = options.int("garp_master_repeat")
        lowerPrioRepeat = options.int("garp_lower_prio_repeat")
        lowerPrioDelay = options.duration("garp_lower_prio_delay")
        stepTime = .logNormal(median: options.duration("step_time"), sigma: options.double("step_time_sigma"))
        trackInterval = options.duration("track_interval")
        fall = max(1, options.int("track_fall"))
        rise = max(1, options.int("track_rise"))
        makeWritable = options.bool("notify_master_writable")
        masterPriority = options.int("master_priority")
        backupPriority = options.int("backup_priority")
    }

    var applicationAddress: IPAddress { d.initialPrimary.host.address }

    private func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    func start() {
        let members = [d.initialPrimary] + d.replicas.map(\.replica).filter { $0 != d.initialPrimary }
        for s in members {
            let settings = VRRPInstance.Settings(priority: s == d.initialPrimary ? masterPriority : backupPriority,
                                                 advertInt: advert, preempt: preempt, garpMasterDelay: garpDelay,
                                                 garpMasterRepeat: garpRepeat, garpLowerPrioRepeat: lowerPrioRepeat,
                                                 garpLowerPrioDelay: lowerPrioDelay, stepTime: stepTime)
            nodes.append(Node(dbName: s.name, host: s.host, settings: settings, vip: d.applicationVIP, network: d.network))
        }
        for n in nodes {
            // keepalived.conf lists the other routers (unicast_peer, or the multicast group's members).
            n.vrrp.peers = nodes.filter { $0 !== n }.map { VRRPInstance.Peer(address: $0.host.address, name: $0.dbName) }
            // Weak: the node keeps this closure; a strong capture of itself would outlive the run.
            n.onBoot = { [weak self, weak n] in
                guard let n else { return }
                self?.run(n, initial: .backup)
            }
            n.vrrp.onMaster = { [weak self, weak n] in
                guard let n else { return }
                self?.notifyMaster(n)
            }
            // The front door raised the VIP on the initial primary: its keepalived is MASTER.
            run(n, initial: n.dbName == d.initialPrimary.name ? .master : .backup)
        }
    }

    private func run(_ n: Node, initial: VRRPInstance.State) {
        n.vrrp.start(initial: initial)
        if trackInterval > 0 { n.every(trackInterval) { [weak self] in self?.track(n) } }
    }

    /// notify_master: make the new MASTER's mysqld writable.
    private func notifyMaster(_ n: Node) {
        guard makeWritable else {
            record(n.dbName, .failoverComplete, "keepalived MASTER on \(n.dbName)")
            return
        }
        n.mysql.execute(.setReadOnly(false), on: n.host.address, connectTimeout: Time.s(2), timeout: Time.s(5),
                        completion: n.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success(.ok) = r {
                self.record(n.dbName, .failoverComplete, "notify_master: read_only=0")
            } else {
                self.record(n.dbName, .failoverStepFailed, "notify_master: \(r)")
            }
        })
    }

    // MARK: track script (vrrp_script chk_mysql)

    private func track(_ n: Node) {
        n.mysql.execute(.ping, on: n.host.address, connectTimeout: trackInterval, timeout: trackInterval,
                        completion: n.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success(.ok) = r {
                n.trackFailures = 0
                n.trackSuccesses += 1
                if n.vrrp.state == .fault && n.trackSuccesses >= self.rise {
                    self.record(n.dbName, .failoverStep, "keepalived: chk_mysql succeeded; Entering BACKUP STATE")
                    n.vrrp.recover()
                }
                return
            }
            n.trackSuccesses = 0
            n.trackFailures += 1
            guard n.vrrp.state != .fault, n.trackFailures >= self.fall else { return }
            self.record(n.dbName, .alert, "keepalived: chk_mysql failed \(n.trackFailures) times; Entering FAULT STATE")
            n.vrrp.fault()
        })
    }
}
