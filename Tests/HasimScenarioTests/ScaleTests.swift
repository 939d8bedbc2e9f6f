import Testing
import HasimScenario

/// Validation scales with the topology: checks that were cubic in the number of hosts
/// (the replication-loop walk) hung on chains of a few thousand replicas. These tests
/// would not finish with the old algorithms; their speed is measured in benchmarks.
@Suite struct ValidationScaleTests {
    /// db1 <- db2 <- ... <- dbN: the longest possible chain of sources.
    static func chain(_ n: Int, loopAtEnd: Bool = false) -> String {
        var hosts: [String] = []
        var dbs: [String] = ["    db1: {role: primary}"]
        hosts.append("db1")
        for i in 2...n {
            hosts.append("db\(i)")
            dbs.append("    db\(i): {role: replica, source: db\(i - 1)}")
        }
        if loopAtEnd {
            // db2 now replicates from the last one: db2 <- dbN <- ... <- db2.
            dbs[1] = "    db2: {role: replica, source: db\(n)}"
        }
        return """
        name: chain
        duration: 1m
        topology:
          sites:
            idc1: [app1, \(hosts.joined(separator: ", "))]
          databases:
        \(dbs.joined(separator: "\n"))
        architecture:
          strategy: manual
        workload:
          client: app1
          writes_per_second: 10
        """
    }

    @Test func aChainOfTenThousandReplicasValidates() throws {
        let s = try ScenarioLoader.load(text: Self.chain(10_000), file: "chain.yaml")
        #expect(s.topology.databases.count == 10_000)
    }

    @Test func aLoopAtTheEndOfALongChainIsFoundOnce() {
        let all = issues(Self.chain(10_000, loopAtEnd: true))
        #expect(all.count == 1)
        #expect(all.first?.message.hasPrefix("replication loop: db2 -> db10000 -> db9999") == true)
    }
}
