import HasimKernel
import HasimNetwork

/// Nothing watches and nothing fails over: the application keeps the server's
/// IP, and writes fail until mysqld is back and has recovered.
final class SingleServerRuntime: StrategyRuntime {
    let deployment: Deployment
    init(deployment: Deployment) { self.deployment = deployment }
    var applicationAddress: IPAddress { deployment.initialPrimary.host.address }
    func start() {}
}
