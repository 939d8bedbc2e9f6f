import HasimKernel

/// One mysqld, clients use its IP; down until the host is repaired.
public enum SingleServer {
    public static let descriptor = StrategyDescriptor(
        name: "single",
        summary: "One MySQL server reached by its IP; nothing to fail over to, down until it restarts and recovers.",
        options: [],
        validate: { t in
            var problems: [String] = []
            if t.primaries.count != 1 { problems.append("the single strategy needs exactly one database with role: primary (found \(t.primaries.count))") }
            if !t.replicas.isEmpty { problems.append("the single strategy has no replicas; remove them or use strategy: manual") }
            return problems
        })
}
