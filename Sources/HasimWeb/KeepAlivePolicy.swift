import HasimKernel
import HasimNetwork

/// Apache's keep-alive rules for the users' connections: after `MaxKeepAliveRequests`
/// responses the connection is closed with the last one (Connection: close), and one idle
/// for `KeepAliveTimeout` is closed by the server. How a drained server's connections end.
final class KeepAlivePolicy {
    unowned let apache: Apache
    /// Per connection id: responses sent, and the request count when it last went idle.
    var connections: [Int: (served: Int, arrivals: Int)] = [:]
    init(apache: Apache) { self.apache = apache }

    func requestArrived(_ c: Connection) { connections[c.id, default: (0, 0)].arrivals += 1 }

    /// A response went out: true if the connection closes with it.
    func answered(_ c: Connection) -> Bool {
        var e = connections[c.id, default: (0, 0)]
        e.served += 1
        connections[c.id] = e
        let max = apache.spec.maxKeepAliveRequests
        if max > 0 && e.served >= max { connections[c.id] = nil; return true }
        let timeout = apache.spec.keepAliveTimeout
        if timeout > 0 {
            let arrivals = e.arrivals
            apache.after(timeout) { [weak self, weak c] in
                guard let self, let c, let now = self.connections[c.id], now.arrivals == arrivals, now.served == now.arrivals else { return }
                self.connections[c.id] = nil
                self.apache.network.close(c, from: .server)
            }
        }
        return false
    }

    func forget(_ c: Connection) { connections[c.id] = nil }
}
