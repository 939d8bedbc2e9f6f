import HasimKernel
import HasimDatabase
import HasimStrategies

/// Whole-cluster recovery of Galera by a DBA over SSH, as the documentation's runbook has it
/// (Galera 'Restarting the Cluster'; MariaDB KB 'Getting Started with MariaDB Galera Cluster':
/// galera_new_cluster): every step is a command typed at the terminal.
extension OperatorDesk {
    func galeraNewCluster(_ shell: OperatorShell, host: String?, force: Bool) {
        sim.record(host ?? "cluster", .operatorAction, "whole-cluster recovery: galera_new_cluster on \(host ?? "the most advanced node")")
        guard let host else { return findMostAdvanced(shell, left: shell.shellHosts, best: nil) }
        bootstrap(shell, host, force: force)
    }

    /// `cat grastate.dat` on each host in turn, and `mysqld --wsrep-recover` where it says -1;
    /// the highest position wins (the first one on a tie).
    private func findMostAdvanced(_ shell: OperatorShell, left: [String], best: (host: String, seqno: Int64)?) {
        guard let h = left.first else {
            guard let best else {
                sim.record("cluster", .operatorRefused, "galera_new_cluster: no grastate.dat could be read")
                return
            }
            sim.record(best.host, .operatorAction, "the most advanced node: \(best.host) (seqno \(best.seqno))")
            return bootstrap(shell, best.host, force: true)
        }
        let rest = Array(left.dropFirst())
        func keep(_ seqno: Int64) {
            let better = best.map { seqno > $0.seqno } ?? true
            findMostAdvanced(shell, left: rest, best: better ? (h, seqno) : best)
        }
        ssh(shell, .readGrastate, on: h, "cat /var/lib/mysql/grastate.dat") { [weak self] r in
            guard case .grastate(let seqno, _) = r else { return keep(-1) }
            guard seqno < 0, let self else { return keep(seqno) }
            self.ssh(shell, .wsrepRecover, on: h, "mysqld --wsrep-recover (grastate.dat says seqno: -1)") { r in
                if case .grastate(let recovered, _) = r { keep(recovered) } else { keep(-1) }
            }
        }
    }

    /// (sed -i safe_to_bootstrap: 1,) galera_new_cluster, then systemctl start on the others.
    private func bootstrap(_ shell: OperatorShell, _ host: String, force: Bool) {
        let start: () -> Void = { [weak self] in
            self?.ssh(shell, .galeraNewCluster, on: host, "galera_new_cluster") { [weak self] r in
                guard let self, case .done = r else { return }
                self.startOthers(shell, shell.shellHosts.filter { $0 != host })
            }
        }
        guard force else { start(); return }
        ssh(shell, .setSafeToBootstrap, on: host, "sed -i 's/safe_to_bootstrap: 0/safe_to_bootstrap: 1/' grastate.dat") { _ in start() }
    }

    private func startOthers(_ shell: OperatorShell, _ hosts: [String]) {
        guard let h = hosts.first else { return }
        ssh(shell, .startMySQLD, on: h, "systemctl start mariadb") { [weak self] _ in
            self?.startOthers(shell, Array(hosts.dropFirst()))
        }
    }

    /// One command typed, then run over SSH; a failure is recorded and ends the runbook.
    private func ssh(_ shell: OperatorShell, _ command: AgentCommand, on host: String, _ what: String,
                     then next: @escaping (AgentReply) -> Void) {
        sim.after(typing) { [weak self] in
            shell.ssh(command, on: host) { [weak self] r in
                guard let self else { return }
                switch r {
                case .success(.failed(let why)):
                    self.sim.record(host, .operatorRefused, "\(what): \(why)")
                case .success(let reply):
                    self.sim.record(host, .operatorAction, what)
                    next(reply)
                case .failure(let e):
                    self.sim.record(host, .operatorRefused, "ssh \(host) \(what): \(e)")
                }
            }
        }
    }
}
