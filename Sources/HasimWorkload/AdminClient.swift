import HasimKernel
import HasimNetwork
import HasimDatabase

/// What a DBA's mysql client or an HA tool uses to talk to a server: a short
/// connection per command, with the driver's connect and read timeouts, so a
/// command to an unreachable server fails the way the real one would.
public final class AdminClient {
    public let process: NetProcess
    private let network: Network
    private var nextID: Int64 = 0

    public init(name: String, host: Host, network: Network) {
        self.network = network
        self.process = network.spawn(name, on: host)
    }

    public var host: Host { process.host }

    /// Runs one statement on the server at `address`.
    public func execute(_ query: Query, on address: IPAddress, port: Int = 3306,
                        connectTimeout: SimTime = Time.s(5), timeout: SimTime = Time.s(10),
                        completion: @escaping (Result<QueryResult, MySQLError>) -> Void) {
        nextID += 1
        let call = Call(id: nextID, network: network, completion: completion)
        network.connect(from: process, to: address, port: port, timeout: connectTimeout, delegate: call) { result in
            switch result {
            case .success(let c):
                call.connection = c
                guard self.network.send(QueryMessage(id: call.id, query: query), on: c, from: .client) else {
                    call.finish(.failure(.goneAway))
                    return
                }
                self.network.sim.after(timeout) { call.finish(.failure(.lostConnection)) }
            case .failure(let e):
                call.finish(.failure(.cannotConnect(address.value, timedOut: e != .refused)))
            }
        }
    }

    /// Runs statements one after another, stopping at the first failure.
    public func executeAll(_ queries: [Query], on address: IPAddress, timeout: SimTime = Time.s(10),
                           completion: @escaping (Result<[QueryResult], MySQLError>) -> Void) {
        var results: [QueryResult] = []
        func step(_ i: Int) {
            guard i < queries.count else { completion(.success(results)); return }
            execute(queries[i], on: address, timeout: timeout) { r in
                switch r {
                case .success(.error(let e)): completion(.failure(e))
                case .success(let v): results.append(v); step(i + 1)
                case .failure(let e): completion(.failure(e))
                }
            }
        }
        step(0)
    }

    final class Call: ConnectionDelegate {
        let id: Int64
        let network: Network
        var connection: Connection?
        var completion: ((Result<QueryResult, MySQLError>) -> Void)?
        init(id: Int64, network: Network, completion: @escaping (Result<QueryResult, MySQLError>) -> Void) {
            self.id = id
            self.network = network
            self.completion = completion
        }
        func finish(_ r: Result<QueryResult, MySQLError>) {
            guard let c = completion else { return }
            completion = nil
            if let conn = connection { network.close(conn, from: .client) }
            c(r)
        }
        func received(_ message: WireMessage, on connection: Connection) {
            if let m = message.as(ResultMessage.self), m.id == id { finish(.success(m.result)) }
        }
        func closed(_ connection: Connection, reason: CloseReason) {
            finish(.failure(.lostConnection))
        }
    }
}
