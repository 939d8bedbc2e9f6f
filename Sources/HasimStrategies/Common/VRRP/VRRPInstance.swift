import HasimKernel
import HasimNetwork

/// One `vrrp_instance` of keepalived (RFC 5798 as acassen/keepalived implements it), embedded in
/// the daemon that runs it: keepalived on a database host, or the keepalived beside IPVS on an
/// L4 director. It knows only the adverts it hears and what its owner tells it (a track script
/// failed); it raises and drops its VIP through the network's VIP table, whose gratuitous ARPs
/// are what moves the clients.
public final class VRRPInstance: DatagramReceiver {
    public enum State: String, Sendable { case backup = "BACKUP", master = "MASTER", fault = "FAULT" }

    /// VRRP is IP protocol 112 to 224.0.0.18: one datagram per advert, no reply. hasim's
    /// datagrams carry a port, so the protocol number stands in for it.
    public static let ipProtocol = 112

    public struct Settings: Sendable, Equatable {
        public var priority: Int
        public var advertInt: SimTime
        public var preempt: Bool
        public var garpMasterDelay: SimTime
        public init(priority: Int, advertInt: SimTime, preempt: Bool, garpMasterDelay: SimTime) {
            self.priority = priority
            self.advertInt = advertInt
            self.preempt = preempt
            self.garpMasterDelay = garpMasterDelay
        }
    }

    /// A router of the same virtual router id: where its adverts come from and its name in logs.
    public struct Peer: Sendable { public var address: IPAddress; public var name: String
        public init(address: IPAddress, name: String) { self.address = address; self.name = name } }

    /// The trace node of this instance (its host's role name).
    public let name: String
    public let settings: Settings
    public let vip: IPAddress?
    public var peers: [Peer] = []
    public private(set) var state: State = .backup
    /// After the VIP is set on becoming MASTER (notify_master).
    public var onMaster: (() -> Void)?
    /// When the last advert that holds this node back arrived.
    private var lastAdvert: SimTime = 0
    private unowned let daemon: Daemon
    private var network: Network { daemon.network }

    public init(name: String, daemon: Daemon, settings: Settings, vip: IPAddress?) {
        self.name = name
        self.daemon = daemon
        self.settings = settings
        self.vip = vip
    }

    private func record(_ kind: TraceKind, _ detail: String) { network.sim.record(name, kind, detail) }

    /// keepalived starts (at boot, or the initial MASTER raised by the deployment): binds its
    /// VRRP socket and starts its advert loop.
    public func start(initial: State) {
        state = initial
        lastAdvert = network.sim.now
        network.bind(daemon.process, port: Self.ipProtocol, self)
        if initial == .backup { armMasterDown() }
        daemon.every(settings.advertInt) { [weak self] in self?.sendAdvert() }
    }

    /// The host died: keepalived's memory goes with it.
    public func crashed() { state = .backup }

    /// Skew_Time = (256 - priority) / 256 x advert_int; Master_Down_Interval = 3 x advert_int + skew.
    private var masterDown: SimTime {
        Time.sum(Time.scaled(settings.advertInt, 3), Time.fraction(settings.advertInt, SimTime(256 - settings.priority), of: 256))
    }

    // MARK: adverts

    /// An advert is a multicast datagram: it reaches a peer if the path from this host to it
    /// holds, whatever the way back does (a filter that drops VRRP only on one side makes one
    /// node deaf and the other still hearing: validation keepalived-split-brain).
    private func sendAdvert() {
        guard state == .master else { return }
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
        let outranks = priority > settings.priority || (priority == settings.priority && source > daemon.host.address)
        switch state {
        case .master:
            // Two MASTERs (a healed partition): the lower priority yields; the higher one
            // answers a lower advert with its own advert and gratuitous ARPs ("forcing a
            // new election"), so the clients' caches come back to it.
            if outranks {
                becomeBackup(reason: "higher priority advert from \(sender.name)")
            } else if let vip {
                record(.failoverStep, "keepalived: received lower priority advert from \(sender.name), forcing a new election")
                network.vips?.announceAgain(vip, from: daemon.host)
            }
        case .backup:
            // With preempt, a BACKUP of higher priority discards a lower advert and its
            // master-down timer then makes it MASTER.
            if outranks || !settings.preempt {
                lastAdvert = network.sim.now
                armMasterDown()
            }
        case .fault:
            break
        }
    }

    private func armMasterDown() {
        let heardAt = lastAdvert
        daemon.after(masterDown) { [weak self] in
            guard let self, self.state == .backup, self.lastAdvert == heardAt else { return }
            self.becomeMaster()
        }
    }

    // MARK: transitions

    private func becomeMaster() {
        state = .master
        record(.failoverStart, "keepalived: (VI_1) Receive advertisement timeout; Entering MASTER STATE")
        // vrrp_state_goto_master -> vrrp_state_master_tx: the first advert goes out at once
        // (a MASTER of higher priority that hears it answers and re-sends its gratuitous ARPs).
        sendAdvert()
        guard let vip, let vips = network.vips else { return }
        switch vips.acquire(vip, on: daemon.host) {
        case .success: record(.failoverStep, "keepalived: setting VIPs, gratuitous ARPs for \(vip)")
        case .failure(let e): record(.failoverStepFailed, "keepalived: \(e)")
        }
        // garp_master_delay: the second round of gratuitous ARPs.
        daemon.after(settings.garpMasterDelay) { [weak self] in
            guard let self, self.state == .master else { return }
            vips.announceAgain(vip, from: self.daemon.host)
        }
        onMaster?()
    }

    private func becomeBackup(reason: String) {
        state = .backup
        lastAdvert = network.sim.now
        armMasterDown()
        record(.failoverStep, "keepalived: Entering BACKUP STATE (\(reason)); removing VIPs")
        if let vip { network.vips?.release(vip, on: daemon.host) }
    }

    /// The owner's track script failed `fall` times: FAULT, and a MASTER drops the VIP.
    public func fault() {
        guard state != .fault else { return }
        let wasMaster = state == .master
        state = .fault
        if wasMaster, let vip { network.vips?.release(vip, on: daemon.host) }
    }

    /// The track script succeeded `rise` times: BACKUP again, waiting for adverts.
    public func recover() {
        guard state == .fault else { return }
        state = .backup
        lastAdvert = network.sim.now
        armMasterDown()
    }
}
