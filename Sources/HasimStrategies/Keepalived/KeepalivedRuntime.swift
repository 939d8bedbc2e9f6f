import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// One keepalived per database host. A node knows only the adverts it hears and its own
/// track script's results; nothing fences anyone, so two MASTERs (a cut link) both hold
/// the VIP until they hear each other again, when the lower priority yields. Which host
/// a client reaches then is what its neighbour cache says, set by the last GARP it heard.
final class KeepalivedRuntime: StrategyRuntime {
    enum VRRPState: String { case backup = "BACKUP", master = "MASTER", fault = "FAULT" }

    /// VRRP is IP protocol 112 to 224.0.0.18: one datagram per advert, no reply. hasim's
    /// datagrams carry a port, so the protocol number stands in for it.
    static let vrrpProtocol = 112

    final class Node: Daemon, DatagramReceiver {
        /// The database host this keepalived runs on, by name: its track script reaches the
        /// local mysqld through SQL only, so no server object is held (nothing to read behind its back).
        let dbName: String
        let priority: Int
        let mysql: AdminClient
        var state: VRRPState = .backup
        /// When the last advert that holds this node back arrived.
        var lastAdvert: SimTime = 0
        var trackFailures = 0
        var trackSuccesses = 0
        var onBoot: (() -> Void)?
        /// An advert heard: the sender's host and its priority.
        var onAdvert: ((HostID, Int) -> Void)?
        init(dbName: String, host: Host, priority: Int, network: Network) {
            self.dbName = dbName
            self.priority = priority
            mysql = AdminClient(name: "keepalived-chk", host: host, network: network)
            super.init(name: "keepalived", host: host, network: network)
            adopt(mysql.process)
        }
        override func crashed() {
            state = .backup
            trackFailures = 0
            trackSuccesses = 0
        }
        override func booted() { onBoot?() }
        func received(_ datagram: Datagram) { onAdvert?(datagram.source, Int(datagram.sequence)) }
    }

    private let d: Deployment
    private let advert: SimTime
    private let preempt: Bool
    private let garpDelay: SimTime
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
        let members = [d.initialPrimary] + d.replicas.map(\.replica).filter { $0 !== d.initialPrimary }
        for s in members {
            let n = Node(dbName: s.name, host: s.host, priority: s === d.initialPrimary ? masterPriority : backupPriority, network: d.network)
            nodes.append(n)
        }
        for n in nodes {
            // Weak: the node keeps this closure; a strong capture of itself would outlive the run.
            n.onBoot = { [weak self, weak n] in
                guard let n else { return }
                self?.run(n, initial: .backup)
            }
            n.onAdvert = { [weak self, weak n] source, priority in
                guard let self, let n, let sender = self.nodes.first(where: { $0.host.id == source }) else { return }
                self.received(from: sender, priority: priority, by: n)
            }
            // The front door raised the VIP on the initial primary: its keepalived is MASTER.
            run(n, initial: n.dbName == d.initialPrimary.name ? .master : .backup)
        }
    }

    /// Skew_Time = (256 - priority) / 256 x advert_int; Master_Down_Interval = 3 x advert_int + skew.
    private func masterDown(_ n: Node) -> SimTime {
        Time.sum(Time.scaled(advert, 3), Time.fraction(advert, SimTime(256 - n.priority), of: 256))
    }

    private func run(_ n: Node, initial: VRRPState) {
        n.state = initial
        n.lastAdvert = d.sim.now
        d.network.bind(n.process, port: Self.vrrpProtocol, n)
        if initial == .backup { armMasterDown(n) }
        n.every(advert) { [weak self] in self?.sendAdverts(n) }
        if trackInterval > 0 { n.every(trackInterval) { [weak self] in self?.track(n) } }
    }

    // MARK: VRRP

    /// An advert is a multicast datagram: it reaches a peer if the path from this host to it
    /// holds, whatever the way back does (a filter that drops VRRP only on one side makes one
    /// node deaf and the other still hearing: validation keepalived-split-brain).
    private func sendAdverts(_ n: Node) {
        guard n.state == .master else { return }
        for peer in nodes where peer !== n {
            d.network.sendDatagram(from: n.process, sourcePort: Self.vrrpProtocol, to: peer.host.address,
                                   port: Self.vrrpProtocol, sequence: Int64(n.priority))
        }
    }

    private func received(from sender: Node, priority: Int, by n: Node) {
        guard n.isAlive else { return }
        let outranks = priority > n.priority || (priority == n.priority && sender.host.address > n.host.address)
        switch n.state {
        case .master:
            // Two MASTERs (a healed partition): the lower priority yields; the higher one
            // answers a lower advert with its own advert and gratuitous ARPs ("forcing a
            // new election"), so the clients' caches come back to it.
            if outranks {
                becomeBackup(n, reason: "higher priority advert from \(sender.dbName)")
            } else if let vip = d.applicationVIP {
                record(n.dbName, .failoverStep, "keepalived: received lower priority advert from \(sender.dbName), forcing a new election")
                d.network.vips?.announceAgain(vip, from: n.host)
            }
        case .backup:
            // With preempt, a BACKUP of higher priority discards a lower advert and its
            // master-down timer then makes it MASTER.
            if outranks || !preempt {
                n.lastAdvert = d.sim.now
                armMasterDown(n)
            }
        case .fault:
            break
        }
    }

    private func armMasterDown(_ n: Node) {
        let heardAt = n.lastAdvert
        n.after(masterDown(n)) { [weak self] in
            guard let self, n.state == .backup, n.lastAdvert == heardAt else { return }
            self.becomeMaster(n)
        }
    }

    private func becomeMaster(_ n: Node) {
        n.state = .master
        record(n.dbName, .failoverStart, "keepalived: (VI_1) Receive advertisement timeout; Entering MASTER STATE")
        // vrrp_state_goto_master -> vrrp_state_master_tx: the first advert goes out at once
        // (a MASTER of higher priority that hears it answers and re-sends its gratuitous ARPs).
        sendAdverts(n)
        guard let vip = d.applicationVIP, let vips = d.network.vips else { return }
        switch vips.acquire(vip, on: n.host) {
        case .success: record(n.dbName, .failoverStep, "keepalived: setting VIPs, gratuitous ARPs for \(vip)")
        case .failure(let e): record(n.dbName, .failoverStepFailed, "keepalived: \(e)")
        }
        // garp_master_delay: the second round of gratuitous ARPs.
        n.after(garpDelay) { [weak self] in
            guard self != nil, n.state == .master else { return }
            vips.announceAgain(vip, from: n.host)
        }
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

    private func becomeBackup(_ n: Node, reason: String) {
        n.state = .backup
        n.lastAdvert = d.sim.now
        armMasterDown(n)
        record(n.dbName, .failoverStep, "keepalived: Entering BACKUP STATE (\(reason)); removing VIPs")
        if let vip = d.applicationVIP { d.network.vips?.release(vip, on: n.host) }
    }

    // MARK: track script (vrrp_script chk_mysql)

    private func track(_ n: Node) {
        n.mysql.execute(.ping, on: n.host.address, connectTimeout: trackInterval, timeout: trackInterval,
                        completion: n.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success(.ok) = r {
                n.trackFailures = 0
                n.trackSuccesses += 1
                if n.state == .fault && n.trackSuccesses >= self.rise {
                    self.record(n.dbName, .failoverStep, "keepalived: chk_mysql succeeded; Entering BACKUP STATE")
                    n.state = .backup
                    n.lastAdvert = self.d.sim.now
                    self.armMasterDown(n)
                }
                return
            }
            n.trackSuccesses = 0
            n.trackFailures += 1
            guard n.state != .fault, n.trackFailures >= self.fall else { return }
            let wasMaster = n.state == .master
            n.state = .fault
            self.record(n.dbName, .alert, "keepalived: chk_mysql failed \(n.trackFailures) times; Entering FAULT STATE")
            if wasMaster, let vip = self.d.applicationVIP { self.d.network.vips?.release(vip, on: n.host) }
        })
    }
}
