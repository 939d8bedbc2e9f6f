import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// What a manager asks a database host to do: MMM's agent protocol (port 9989) or
/// the commands MHA runs over SSH (port 22). Everything is done *on* that host.
public enum AgentCommand: Sendable {
    /// `ip addr add VIP dev eth0; arping -U VIP`
    /// `ip addr add`, then `arping -U` unless `arping` is false (a script that forgets it).
    case addVIP(IPAddress, arping: Bool = true)
    /// `ip addr del VIP dev eth0`
    case deleteVIP(IPAddress)
    /// A statement through the local mysqld socket.
    case sql(Query)
    /// save_binary_logs / apply_diff_relay_logs --command=generate: the binlog and
    /// relay-log events on this host's disk that `set` lacks (mysqld may be dead).
    case eventsOnDisk(notIn: GTIDSet)
    /// save_binary_logs --command=save --start_pos: the binlog files on this host from
    /// event position `from` on (file/position replication; mysqld may be dead).
    case binlogFrom(Int)
    /// apply_diff_relay_logs --command=generate_and_send: this slave's relay-log events from
    /// its source's position `from` on (what a slave that read less lacks).
    case relayLogFrom(Int)
    /// apply_diff_relay_logs --command=find: does this slave's relay log still start at or
    /// before the source's position `from`? Answers `.reachable`.
    case relayLogHas(Int)
    /// scp of a file of `events` binlog events to this host (MHA's send_binlog).
    case receiveFile(events: Int)
    /// A shutdown_script's stopssh: `kill -9` of mysqld and mysqld_safe on this host.
    case killMySQLD
    /// A node tool run for its version (MHA's SSH reachability check of a host).
    case version
    /// Secondary check: can this host open a TCP connection to address:port?
    case canConnect(IPAddress, port: Int, timeout: SimTime)
    /// Galera, mysqld stopped (GaleraNewCluster.swift): `cat /var/lib/mysql/grastate.dat`,
    /// `mysqld --wsrep-recover` (both answer `.grastate`), `sed -i` safe_to_bootstrap: 1,
    /// `galera_new_cluster`, and `systemctl start mariadb`.
    case readGrastate, wsrepRecover, setSafeToBootstrap, galeraNewCluster, startMySQLD
    /// MMM's SET_STATUS: the host's state, its roles and the active master, as the monitor
    /// has them; the agent applies the difference with the roles it holds (MMMAgent.swift).
    case setStatus(AgentStatus)
    /// MMM's GET_AGENT_STATUS: the state, roles and master the agent holds (answers `.status`).
    case getAgentStatus
    /// MMM's configure_ip: `ip addr show` on this host; if the address is missing,
    /// `ip addr add` and send_arp. A no-op when this host's NIC already has it.
    case configureVIP(IPAddress)
}

/// One MMM role on one host: its name (`writer`, `reader`) and the VIP it carries.
public struct AgentRole: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let name: String
    public let ip: IPAddress
    public init(name: String, ip: IPAddress) { self.name = name; self.ip = ip }
    public static func < (a: AgentRole, b: AgentRole) -> Bool { a.description < b.description }
    public var description: String { "\(name)(\(ip))" }
}

/// What MMM's monitor tells an agent (SET_STATUS) and an agent answers (GET_AGENT_STATUS).
public struct AgentStatus: Sendable, Equatable {
    /// ONLINE, HARD_OFFLINE, ...; an agent that has been told nothing since it started is UNKNOWN.
    public var state: String
    /// Sorted, as Agent.pm keeps them.
    public var roles: [AgentRole]
    /// The active master's name ("" for none).
    public var master: String
    public init(state: String, roles: [AgentRole], master: String) {
        self.state = state; self.roles = roles.sorted(); self.master = master
    }
    public static let unknown = AgentStatus(state: "UNKNOWN", roles: [], master: "")
}

/// The part of an agent that keeps a tool's roles in the agent process's memory (MMM's
/// mmm_agentd): it answers SET_STATUS / GET_AGENT_STATUS and forgets everything when
/// its host dies.
protocol AgentStatusHandler: AnyObject {
    func setStatus(_ status: AgentStatus, completion: @escaping (AgentReply) -> Void)
    var status: AgentStatus { get }
    func forget()
}

public enum AgentReply: Sendable {
    case done
    case result(QueryResult)
    case events([BinlogEvent])
    case reachable(Bool)
    case failed(String)
    /// grastate.dat's seqno and safe_to_bootstrap (after --wsrep-recover: the recovered seqno).
    case grastate(seqno: Int64, safeToBootstrap: Bool)
    /// GET_AGENT_STATUS's answer.
    case status(AgentStatus)
}

public enum AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotConnect(host: String, timedOut: Bool)
    case noAnswer(host: String)
    public var description: String {
        switch self {
        case .cannotConnect(let h, let t): return "cannot reach the agent on \(h) (\(t ? "timed out" : "refused"))"
        case .noAnswer(let h): return "agent on \(h) did not answer"
        }
    }
}

/// What one remote command costs on top of the network, as the real tool runs it: a
/// command over SSH is an SSH session (key exchange + authentication + a shell) that
/// starts an interpreter (MHA's node scripts are Perl), then does its work: reading
/// binlog/relay-log bytes from disk, shipping them with scp, replaying events through
/// the mysql client. MMM's agent is a resident daemon: no session, no start-up.
public struct RemoteCommandCost: Sendable, Equatable {
    /// SSH key exchange, authentication and channel set-up, after the TCP connect.
    public var session: SimTime = 0
    /// Start-up of the remote program (e.g. `perl save_binary_logs` loading its modules).
    public var startup: SimTime = 0
    /// Programs the remote program starts in turn (mysqlbinlog, mysql, ssh, scp, md5sum), each
    /// costing `helperStartup`, and SSH sessions it opens to a third host (`session` each).
    public var helpers: Int = 0
    public var helperStartup: SimTime = 0
    public var extraSessions: Int = 0
    /// Size of one binlog event as read or shipped.
    public var eventBytes: Int = 0
    /// mysqlbinlog reading the binlog/relay log from disk.
    public var readBytesPerSecond: Double = 0
    /// scp between the hosts (the manager and a node).
    public var shipBytesPerSecond: Double = 0
    /// mysqlbinlog | mysql replaying events, one transaction after another.
    public var applyEventsPerSecond: Double = 0

    public init() {}
    public static let none = RemoteCommandCost()

    func seconds(_ units: Double, per rate: Double) -> SimTime {
        rate > 0 ? Time.fromSeconds(units / rate) : 0
    }
    /// Reading `events` from disk and copying them to another host (a second SSH session).
    func readAndShip(_ events: Int) -> SimTime {
        let bytes = Double(events * eventBytes)
        return seconds(bytes, per: readBytesPerSecond) + (events > 0 ? session : 0) + seconds(bytes, per: shipBytesPerSecond)
    }
    /// Receiving a file of `events` by scp.
    func ship(_ events: Int) -> SimTime { seconds(Double(events * eventBytes), per: shipBytesPerSecond) }
    /// Receiving `events` by scp and replaying them.
    func shipAndApply(_ events: Int) -> SimTime {
        seconds(Double(events * eventBytes), per: shipBytesPerSecond) + seconds(Double(events), per: applyEventsPerSecond)
    }
}

struct AgentRequest: WireMessage { let id: Int64; let command: AgentCommand; let cost: RemoteCommandCost }
struct AgentResponse: WireMessage { let id: Int64; let reply: AgentReply }

/// A daemon on a database host that runs manager commands locally. It lives and
/// dies with its host; a command to a dead or unreachable host times out.
public final class HostAgent: Listener, HostLifecycleObserver {
    public let process: NetProcess
    public let port: Int
    let network: Network
    /// This host's own database (its files and process), set by `Deployment.startHostAgent`.
    var local: LocalDatabase?
    /// The agent's client of its local mysqld (and of peers, for MMM's set_active_master).
    let mysql: AdminClient
    /// Role memory of an MMM agent (MMMAgent.swift); nil for agents that keep none.
    var statusHandler: AgentStatusHandler?

    /// An agent with no database on its host (a secondary-check host); one on a database host
    /// comes from `Deployment.startHostAgent`.
    public init(name: String, host: Host, port: Int, network: Network) {
        self.network = network
        self.port = port
        process = network.spawn(name, on: host)
        mysql = AdminClient(name: name + "-mysql", host: host, network: network)
        process.observer = self
        network.listen(process, port: port, self)
    }

    public func accept(_ connection: Connection) -> ConnectionDelegate? { AgentSession(agent: self) }

    /// The host's CPU and disk do one costly command at a time: several at once (MHA
    /// generating a diff per slave on the latest slave) queue behind each other.
    private var busyUntil: SimTime = 0
    /// Whether the agent runs, from its own lifecycle (the host's power is not its to read).
    private var running = true

    public func hostDidCrash() { busyUntil = 0; running = false; statusHandler?.forget() }

    /// Runs a command after its session and start-up costs, and replies after the work
    /// it did (bytes read and shipped). Nothing is answered if the host died meanwhile.
    func execute(_ command: AgentCommand, cost: RemoteCommandCost, completion: @escaping (AgentReply) -> Void) {
        let sim = network.sim
        let inc = process.incarnation
        func alive() -> Bool { running && process.incarnation == inc }
        var before = cost.session * SimTime(1 + cost.extraSessions) + cost.startup + cost.helperStartup * SimTime(cost.helpers)
        if case .sql(.applyEvents(let e)) = command { before += cost.shipAndApply(e.count) }
        if case .receiveFile(let n) = command { before += cost.ship(n) }
        let start = max(sim.now, busyUntil) + before
        busyUntil = start
        sim.at(start) { [weak self] in
            guard let self, alive() else { return }
            self.execute(command) { reply in
                var work: SimTime = 0
                if case .events(let e) = reply { work = cost.readAndShip(e.count) }
                guard work > 0 else { completion(reply); return }
                let done = max(sim.now, self.busyUntil) + work
                self.busyUntil = done
                sim.at(done) { if alive() { completion(reply) } }
            }
        }
    }

    public func hostDidRestart() {
        running = true
        network.processStarted(process)
        // Its mysql client socket died with the host too: the agent's statements need it back.
        network.processStarted(mysql.process)
        network.listen(process, port: port, self)
    }

    func execute(_ command: AgentCommand, completion: @escaping (AgentReply) -> Void) {
        let host = process.host
        switch command {
        case .addVIP(let vip, let arping):
            guard let vips = network.vips else { completion(.failed("no VIPs configured")); return }
            switch vips.acquire(vip, on: host, announce: arping) {
            case .success: completion(.done)
            case .failure(let e): completion(.failed("\(e)"))
            }
        case .deleteVIP(let vip):
            network.vips?.release(vip, on: host)
            completion(.done)
        case .sql(let q):
            // Through the local socket: a refused connection if mysqld is down.
            mysql.execute(q, on: host.address, connectTimeout: Time.s(2), timeout: Time.s(30)) { r in
                switch r {
                case .success(let v): completion(.result(v))
                case .failure(let e): completion(.failed("\(e)"))
                }
            }
        case .eventsOnDisk(let set):
            guard let db = local, let e = db.eventsOnDisk(notIn: set) else { completion(.failed("no mysqld on \(host.name)")); return }
            completion(.events(e))
        case .binlogFrom(let p):
            guard let db = local, db.hasBinlogs else { completion(.failed("no mysqld on \(host.name)")); return }
            if let e = db.binlogEvents(from: p) { completion(.events(e)) } else { completion(.failed("binary logs from position \(p) were purged")) }
        case .relayLogFrom(let p):
            guard let db = local, db.hasBinlogs else { completion(.failed("no mysqld on \(host.name)")); return }
            if let e = db.relayLogEvents(fromSourcePosition: p) { completion(.events(e)) } else { completion(.failed("relay logs from position \(p) were purged")) }
        case .relayLogHas(let p):
            completion(.reachable(local?.relayLogEvents(fromSourcePosition: p) != nil))
        case .killMySQLD:
            // mysqld_safe is killed too: nothing restarts it.
            guard let db = local, db.killMySQLD() else { completion(.failed("no mysqld on \(host.name)")); return }
            completion(.done)
        case .receiveFile, .version:
            completion(.done)
        case .readGrastate, .wsrepRecover, .setSafeToBootstrap, .galeraNewCluster, .startMySQLD:
            guard let db = local else { completion(.failed("no mysqld on \(host.name)")); return }
            db.galeraCommand(command, completion: completion)
        case .setStatus(let status):
            guard let h = statusHandler else { completion(.failed("ERROR: Invalid command 'SET_STATUS'!")); return }
            h.setStatus(status, completion: completion)
        case .getAgentStatus:
            guard let h = statusHandler else { completion(.failed("ERROR: Invalid command 'GET_AGENT_STATUS'!")); return }
            completion(.status(h.status))
        case .configureVIP(let vip):
            // check_ip asks this host's own interface, not where the VIP lives in the network.
            guard let vips = network.vips else { completion(.failed("no VIPs configured")); return }
            if vips.isConfigured(vip, on: host) { completion(.done); return }
            execute(.addVIP(vip, arping: true), completion: completion)
        case .canConnect(let address, let port, let timeout):
            let probe = Probe()
            network.connect(from: process, to: address, port: port, timeout: timeout, delegate: probe) { [network] r in
                if case .success(let c) = r { network.close(c, from: .client) }
                if case .success = r { completion(.reachable(true)) } else { completion(.reachable(false)) }
            }
        }
    }

    final class Probe: ConnectionDelegate {
        func received(_ message: WireMessage, on connection: Connection) {}
        func closed(_ connection: Connection, reason: CloseReason) {}
    }

    final class AgentSession: ConnectionDelegate {
        let agent: HostAgent
        init(agent: HostAgent) { self.agent = agent }
        func received(_ message: WireMessage, on connection: Connection) {
            guard let req = message as? AgentRequest else { return }
            agent.execute(req.command, cost: req.cost) { [agent] reply in
                agent.network.send(AgentResponse(id: req.id, reply: reply), on: connection, from: .server)
            }
        }
        func closed(_ connection: Connection, reason: CloseReason) {}
    }
}

/// The manager's side: one connection per command, with connect and answer timeouts.
public final class AgentClient {
    public let process: NetProcess
    private let network: Network
    private var nextID: Int64 = 0

    public init(name: String, host: Host, network: Network) {
        self.network = network
        process = network.spawn(name, on: host)
    }

    public func run(_ command: AgentCommand, on host: Host, port: Int,
                    connectTimeout: SimTime = Time.s(5), timeout: SimTime = Time.s(30),
                    cost: RemoteCommandCost = .none,
                    completion: @escaping (Result<AgentReply, AgentError>) -> Void) {
        nextID += 1
        let call = Call(id: nextID, network: network, completion: completion, host: host.name)
        network.connect(from: process, to: host.address, port: port, timeout: connectTimeout, delegate: call) { [network] r in
            switch r {
            case .success(let c):
                call.connection = c
                guard network.send(AgentRequest(id: call.id, command: command, cost: cost), on: c, from: .client) else {
                    call.finish(.failure(.noAnswer(host: host.name)))
                    return
                }
                network.sim.after(timeout) { call.finish(.failure(.noAnswer(host: host.name))) }
            case .failure(let e):
                call.finish(.failure(.cannotConnect(host: host.name, timedOut: e != .refused)))
            }
        }
    }

    final class Call: ConnectionDelegate {
        let id: Int64
        let network: Network
        let host: String
        var connection: Connection?
        var completion: ((Result<AgentReply, AgentError>) -> Void)?
        init(id: Int64, network: Network, completion: @escaping (Result<AgentReply, AgentError>) -> Void, host: String) {
            self.id = id
            self.network = network
            self.completion = completion
            self.host = host
        }
        func finish(_ r: Result<AgentReply, AgentError>) {
            guard let c = completion else { return }
            completion = nil
            if let conn = connection { network.close(conn, from: .client) }
            c(r)
        }
        func received(_ message: WireMessage, on connection: Connection) {
            if let m = message as? AgentResponse, m.id == id { finish(.success(m.reply)) }
        }
        func closed(_ connection: Connection, reason: CloseReason) {
            finish(.failure(.noAnswer(host: host)))
        }
    }
}
