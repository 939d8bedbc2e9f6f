import HasimKernel
import HasimNetwork

/// One `vrrp_instance` of keepalived (RFC 5798 as acassen/keepalived 2.2 implements it),
/// embedded in the daemon that runs it: keepalived on a database host, or the keepalived beside
/// IPVS on an L4 director. It knows only the adverts it hears and what its owner tells it (a
/// track script failed); it raises and drops its VIP through the network's VIP table, whose
/// gratuitous ARPs are what moves the clients.
///
/// One timer per instance, as keepalived's `sands`: in MASTER the next advert, in BACKUP the
/// master-down interval. Every action of the daemon (a timer thread, a received advert, adding
/// the VIP over netlink) takes `stepTime`, and a timer is re-armed from when its action ran,
/// so the MASTER's adverts drift by a step per interval as keepalived's do
/// (vrrp_init_instance_sands: sands = time_now + adver_int).
public final class VRRPInstance: DatagramReceiver {
    public enum State: String, Sendable { case backup = "BACKUP", master = "MASTER", fault = "FAULT" }

    /// VRRP is IP protocol 112 to 224.0.0.18: one datagram per advert, no reply. hasim's
    /// datagrams carry a port, so the protocol number stands in for it.
    public static let ipProtocol = 112

    public struct Settings: Sendable, Equatable {
        public var priority: Int
        public var advertInt: SimTime
        public var preempt: Bool
        /// Delay of the second round of gratuitous ARPs after becoming MASTER (0: none).
        public var garpMasterDelay: SimTime
        /// GARPs per round on becoming MASTER (0: none). They leave back to back
        /// (vrrp_garp_interval 0), so one GARP event stands for the round.
        public var garpMasterRepeat: Int
        /// GARPs a MASTER sends when it hears a lower-priority advert (0: none), and the delay of
        /// its second such round.
        public var garpLowerPrioRepeat: Int
        public var garpLowerPrioDelay: SimTime
        /// keepalived's own time for one action (a timer thread's run, handling a received
        /// advert, `ip addr add` over netlink).
        public var stepTime: LatencyModel
        public init(priority: Int, advertInt: SimTime, preempt: Bool, garpMasterDelay: SimTime, garpMasterRepeat: Int = 5,
                    garpLowerPrioRepeat: Int = 5, garpLowerPrioDelay: SimTime = Time.s(5),
                    stepTime: LatencyModel = .logNormal(median: Time.ms(2), sigma: 1.0)) {
            self.priority = priority
            self.advertInt = advertInt
            self.preempt = preempt
            self.garpMasterDelay = garpMasterDelay
            self.garpMasterRepeat = garpMasterRepeat
            self.garpLowerPrioRepeat = garpLowerPrioRepeat
            self.garpLowerPrioDelay = garpLowerPrioDelay
            self.stepTime = stepTime
        }
    }

    /// A router of the same virtual router id: where its adverts come from and its name in logs.
    public struct Peer: Sendable {
        public var address: IPAddress
        public var name: String
        public init(address: IPAddress, name: String) { self.address = address; self.name = name }
    }

    /// The trace node of this instance (its host's role name).
    public let name: String
    public let settings: Settings
    public let vip: IPAddress?
    public var peers: [Peer] = []
    public private(set) var state: State = .backup
    /// The trace kinds of its transitions: a database VIP manager's are failover steps; an L4
    /// director pair's are its own (they are not database failovers, and metrics count those).
    public struct TraceKinds: Sendable {
        public var master: TraceKind, step: TraceKind, failed: TraceKind
        public init(master: TraceKind, step: TraceKind, failed: TraceKind) { self.master = master; self.step = step; self.failed = failed }
    }
    public var traceKinds = TraceKinds(master: .failoverStart, step: .failoverStep, failed: .failoverStepFailed)
    /// After the VIP is set on becoming MASTER (notify_master).
    public var onMaster: (() -> Void)?
    /// After the VIP is removed on leaving MASTER (notify_backup).
    public var onBackup: (() -> Void)?
    /// The generation of the one timer (`sands`): a re-arm makes older firings void.
    private var timer = 0
    private var rng: SimRandom
    private unowned let daemon: Daemon
    private var network: Network { daemon.network }

    public init(name: String, daemon: Daemon, settings: Settings, vip: IPAddress?) {
        self.name = name
        self.daemon = daemon
        self.settings = settings
        self.vip = vip
        rng = daemon.network.sim.random("vrrp.\(name)")
    }

    private func record(_ kind: TraceKind, _ detail: String) { network.sim.record(name, kind, detail) }
    private func step() -> SimTime { settings.stepTime.sample(&rng) }

    /// keepalived starts (at boot, or as the initial MASTER the deployment raised the VIP on):
    /// binds its VRRP socket; a MASTER's first advert comes at a seeded phase of its interval.
    public func start(initial: State) {
        state = initial
        network.bind(daemon.process, port: Self.ipProtocol, self)
        arm(initial == .master ? daemon.randomPhase(in: settings.advertInt) : masterDown)
    }

    /// The host died: keepalived's memory goes with it.
    public func crashed() {
        state = .backup
        timer &+= 1
    }

    /// Skew_Time = (256 - priority) / 256 x advert_int; Master_Down_Interval = 3 x advert_int + skew.
    private var masterDown: SimTime {
        Time.sum(Time.scaled(settings.advertInt, 3), Time.fraction(settings.advertInt, SimTime(256 - settings.priority), of: 256))
    }

    // MARK: the timer (vrrp_scheduler: the instance's sands)

    private func arm(_ delay: SimTime) {
        timer &+= 1
        let generation = timer
        daemon.after(delay) { [weak self] in
            guard let self, self.timer == generation else { return }
            // The timer thread runs a step late; whatever re-arms meanwhile wins.
            self.daemon.after(self.step()) { [weak self] in
                guard let self, self.timer == generation else { return }
                self.expired()
            }
        }
    }

    private func expired() {
        switch state {
        case .master:
            sendAdvert()
            arm(settings.advertInt)
        case .backup:
            becomeMaster()
        case .fault:
            break
        }
    }

    // MARK: adverts

    /// An advert is a multicast datagram: it reaches a peer if the path from this host to it
    /// holds, whatever the way back does (a filter that drops VRRP only on one side makes one
    /// node deaf and the other still hearing: validation keepalived-split-brain).
    private func sendAdvert() {
        for peer in peers {
            network.sendDatagram(from: daemon.process, sourcePort: Self.ipProtocol, to: peer.address,
                                 port: Self.ipProtocol, sequence: Int64(settings.priority))
        }
    }

    public func received(_ datagram: Datagram) {
        guard daemon.isAlive else { return }
        let source = network.host(datagram.source).address
        guard let sender = peers.first(where: { $0.address == source }) else { return }
        let priority = Int(datagram.sequence)
        // Handling a packet is an action of the daemon like any other.
        daemon.after(step()) { [weak self] in self?.handle(from: sender, priority: priority, source: source) }
    }

    private func handle(from sender: Peer, priority: Int, source: IPAddress) {
        let outranks = priority > settings.priority || (priority == settings.priority && source > daemon.host.address)
        switch state {
        case .master:
            if outranks {
                record(traceKinds.step, "keepalived: (VI_1) Master received advert from \(sender.name) with higher priority \(priority), ours \(settings.priority)")
                becomeBackup(reason: "higher priority advert from \(sender.name)")
                return
            }
            // vrrp_state_master_rx: a lower priority MASTER (a healed partition, a deaf peer):
            // answer with an advert and refresh the clients' ARP caches at once, and again
            // garp_lower_prio_delay later.
            record(traceKinds.step, "keepalived: (VI_1) Received advert from \(sender.name) with lower priority \(priority), ours \(settings.priority), forcing new election")
            sendAdvert()
            if settings.garpLowerPrioRepeat > 0, let vip {
                network.vips?.announceAgain(vip, from: daemon.host)
                if settings.garpLowerPrioDelay > 0 { delayedGARP(after: settings.garpLowerPrioDelay, vip) }
            }
            // "If we have sent an advert, reset the timer" (vrrp_dispatcher_read).
            arm(settings.advertInt)
        case .backup:
            // A higher (or, without preempt, any) advert holds the BACKUP back: the master-down
            // timer starts again. With preempt a lower one is discarded and the timer runs on.
            if outranks || !settings.preempt { arm(masterDown) }
        case .fault:
            break
        }
    }

    /// vrrp_gratuitous_arp_thread: a later round, sent if the VIP is still set then.
    private func delayedGARP(after delay: SimTime, _ vip: IPAddress) {
        daemon.after(delay + step()) { [weak self] in
            guard let self, self.state == .master else { return }
            self.network.vips?.announceAgain(vip, from: self.daemon.host)
        }
    }

    // MARK: transitions

    /// vrrp_state_goto_master -> vrrp_state_master_tx: the advert goes out first ("the old
    /// master needs to remove the VIPs before we send the gratuitous ARPs"), then the VIP is
    /// added over netlink and the gratuitous ARPs follow. A MASTER of higher priority that hears
    /// that advert answers with its own GARPs meanwhile, so whose GARPs the clients hear last
    /// is a race of these two steps (validation keepalived-split-brain).
    private func becomeMaster() {
        state = .master
        record(traceKinds.master, "keepalived: (VI_1) Receive advertisement timeout; Entering MASTER STATE")
        sendAdvert()
        // The next advert is timed from when this transition's work is done
        // (vrrp_dispatcher_read_timeout calls vrrp_init_instance_sands after it), as is the
        // garp_master_delay round: so the later round leaves before that advert, whose answer
        // by a higher-priority MASTER then has the last word (the real runs: db2's second
        // round 24-33 ms before its advert).
        timer &+= 1
        guard let vip, let vips = network.vips else { arm(settings.advertInt); onMaster?(); return }
        // Adding the VIP is a netlink request and then kernel_netlink_poll for its answer: two
        // steps, against the one the other MASTER takes to answer the advert, so the new
        // MASTER's GARPs come last about three times in four (12 real runs: 8 of 12, and 5 of 5
        // the day before).
        daemon.after(step() + step()) { [weak self] in
            guard let self, self.state == .master else { return }
            switch vips.acquire(vip, on: self.daemon.host, announce: self.settings.garpMasterRepeat > 0) {
            case .success: self.record(self.traceKinds.step, "keepalived: setting VIPs, gratuitous ARPs for \(vip)")
            case .failure(let e): self.record(self.traceKinds.failed, "keepalived: \(e)")
            }
            if self.settings.garpMasterRepeat > 0 && self.settings.garpMasterDelay > 0 {
                self.delayedGARP(after: self.settings.garpMasterDelay, vip)
            }
            self.arm(self.settings.advertInt)
            self.onMaster?()
        }
    }

    private func becomeBackup(reason: String) {
        state = .backup
        arm(masterDown)
        record(traceKinds.step, "keepalived: Entering BACKUP STATE (\(reason)); removing VIPs")
        if let vip { network.vips?.release(vip, on: daemon.host) }
        onBackup?()
    }

    /// The owner's track script failed `fall` times: FAULT, and a MASTER drops the VIP.
    public func fault() {
        guard state != .fault else { return }
        let wasMaster = state == .master
        state = .fault
        timer &+= 1
        if wasMaster, let vip { network.vips?.release(vip, on: daemon.host) }
        if wasMaster { onBackup?() }
    }

    /// The track script succeeded `rise` times: BACKUP again, waiting for adverts.
    public func recover() {
        guard state == .fault else { return }
        state = .backup
        arm(masterDown)
    }
}
