import HasimKernel
import HasimNetwork

/// The DBA's SSH to the Galera nodes' hosts (whole-cluster recovery: grastate.dat,
/// mysqld --wsrep-recover, galera_new_cluster, systemctl start), from the application's host.
extension GaleraRuntime: OperatorShell {
    public var shellHosts: [String] { nodes.map(\.name) }

    public func openShell() {
        guard sshClient == nil else { return }
        sshd = nodes.map { deployment.startHostAgent(name: "sshd", on: $0.host, port: 22) }
        sshClient = AgentClient(name: "dba-ssh", host: deployment.app.process.host, network: deployment.network)
    }

    public func ssh(_ command: AgentCommand, on host: String, completion: @escaping (Result<AgentReply, AgentError>) -> Void) {
        guard let client = sshClient, let h = nodes.first(where: { $0.name == host }) else {
            completion(.failure(.cannotConnect(host: host, timedOut: false)))
            return
        }
        // mysqld --wsrep-recover and galera_new_cluster take a mysqld start-up each.
        client.run(command, on: h.host, port: 22, timeout: Time.minute * 5, completion: completion)
    }
}
