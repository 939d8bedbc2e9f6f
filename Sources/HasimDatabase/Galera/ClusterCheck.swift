import HasimKernel
@_spi(Oracle) import HasimNetwork

/// Percona's `clustercheck` script under xinetd on port 9200, on a Galera node's host: for each
/// HTTP request it runs `mysql -e "SHOW STATUS LIKE 'wsrep_local_state'"` against the local
/// mysqld and answers 200 when the node is Synced (4), or Donor/Desynced (2) with
/// AVAILABLE_WHEN_DONOR=1; 503 otherwise, and 503 when mysqld does not answer
/// (percona-clustercheck/clustercheck). xinetd is its own process: it outlives mysqld, not the host.
public final class ClusterCheck: Listener, HostLifecycleObserver {
    public static let port = 9200
    public let process: NetProcess
    unowned let node: GaleraNode
    let network: Network
    /// AVAILABLE_WHEN_DONOR (0 in the script).
    public var availableWhenDonor: Bool
    /// Forking the script and the local mysql client (our estimate for a shell script + client).
    public var scriptTime: SimTime = Time.ms(10)

    public init(node: GaleraNode, network: Network, availableWhenDonor: Bool = false) {
        self.node = node
        self.network = network
        self.availableWhenDonor = availableWhenDonor
        process = network.spawn("xinetd", on: node.host)
        process.observer = self
        network.listen(process, port: Self.port, self)
    }

    public func hostDidCrash() {}
    public func hostDidRestart() {
        network.processStarted(process)
        network.listen(process, port: Self.port, self)
    }

    public func accept(_ connection: Connection) -> ConnectionDelegate? { Request(check: self) }

    /// The status the script would print now.
    var status: Int {
        // A node outside the Primary Component reports wsrep_local_state 0 (Initialized).
        guard node.isRunning, node.isPrimary else { return 503 }
        switch node.localState {
        case 4: return 200
        case 2: return availableWhenDonor ? 200 : 503
        default: return 503
        }
    }

    final class Request: ConnectionDelegate {
        unowned let check: ClusterCheck
        init(check: ClusterCheck) { self.check = check }
        func received(_ message: WireMessage, on connection: Connection) {
            guard message is HTTPCheckRequest else { return }
            let c = check
            // The fork and the mysql client burn CPU: on an overloaded machine the check slows down.
            c.node.host.machine.compute(c.process, c.scriptTime) { [weak c] in
                guard let c, c.process.isAlive else { return }
                c.network.send(HTTPCheckResponse(status: c.status), on: connection, from: .server)
            }
        }
        func closed(_ connection: Connection, reason: CloseReason) {}
    }
}
