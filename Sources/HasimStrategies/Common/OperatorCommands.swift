import HasimKernel

/// What an operator asks a running HA tool to do at a given time (a scenario's `switchover:` and
/// `maintenance:` entries): each tool's own online switch and its own way of standing down.
/// A runtime that has them conforms; the descriptor lists them so that a scenario asking a tool
/// for something it has no command for is refused when the file is read.
public protocol OperatorCommands: AnyObject {
    /// The tool's planned switchover to `target` (a replica of the current primary).
    func switchover(to target: String)
    /// The manager stops acting on failures (MHA: masterha_stop; MMM: mmm_control set_passive;
    /// a monitoring system: a scheduled downtime) until `endMaintenance`.
    func beginMaintenance()
    func endMaintenance()
}

/// A DBA's SSH to the database hosts, for runbooks that work on files and stopped processes
/// (Galera's whole-cluster recovery): sshd on each host runs the command there. A runtime whose
/// hosts have it conforms.
public protocol OperatorShell: AnyObject {
    /// The database hosts, in the runbook's order.
    var shellHosts: [String] { get }
    /// sshd on every database host and the DBA's ssh client, before the run starts.
    func openShell()
    /// `ssh HOST COMMAND` from the DBA's terminal.
    func ssh(_ command: AgentCommand, on host: String, completion: @escaping (Result<AgentReply, AgentError>) -> Void)
}

/// The operator actions a strategy's tool has.
public enum OperatorAction: String, CaseIterable, Sendable {
    case switchover, maintenance
}

extension StrategyDescriptor {
    /// A copy that lists the operator commands its runtime carries out.
    func supporting(_ actions: [OperatorAction]) -> StrategyDescriptor {
        var d = self
        d.operatorActions = actions
        return d
    }
}
