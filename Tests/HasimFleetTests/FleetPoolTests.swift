import Foundation
import HasimKernel
import HasimScenario
import Testing
@testable import HasimFleet

/// Two small architectures whose windows differ in length (one fails over, one only waits for
/// the restart), so that in one pool they finish interleaved.
private func scenarios() throws -> [Scenario] {
    let single = try ScenarioLoader.load(text: ShardMergeTests.yaml, file: "pool-single.yaml")
    let mha = try ScenarioLoader.load(text: """
        name: pool mha
        duration: 1h
        topology:
          sites:
            idc1: [db1, db2, app1, mon1]
          databases:
            db1: {role: primary}
            db2: {role: replica, source: db1}
        front_door:
          vip: {address: 10.0.0.100, site: idc1, holder: db1}
        architecture:
          strategy: mha
          options: {manager_host: mon1}
        workload:
          client: app1
          writes_per_second: 5
        fault_processes:
          host: {afr: 4380, mttr: 10m}
        """, file: "pool-mha.yaml")
    return [mha, single]
}

private var config: FleetConfig {
    var c = FleetConfig()
    c.clusters = 2
    c.horizon = 2 * Time.hour
    c.replications = 4
    c.window = 3 * Time.minute
    c.warmup = Time.s(10)
    c.librarySize = 2
    return c
}

@Suite struct FleetPoolTests {
    /// The pool gives each study exactly what running it alone gives, and hands the studies
    /// over in the order asked, whatever order their windows finish in. Flip: a study run with
    /// another seed differs (so the comparison can tell studies apart).
    @Test func poolEqualsStudiesRunAlone() throws {
        let list = try scenarios()
        let alone = try list.map { try FleetSimulator.run($0, config: config, parallel: false) }
        final class Got: @unchecked Sendable { var order: [Int] = []; var fleets: [ArchitectureFleet] = [] }
        let got = Got()
        final class Count: @unchecked Sendable { let lock = NSLock(); var planned = 0; var done = 0 }
        let count = Count()
        try FleetPool.run(list, config: config, parallel: true, planned: { count.planned = $0 },
                          window: { count.lock.lock(); count.done += 1; count.lock.unlock() }) { i, fleet in
            got.order.append(i)
            got.fleets.append(fleet)
        }
        #expect(got.order == [0, 1])
        #expect(count.planned == alone.reduce(0) { $0 + $1.libraryRuns + $1.compoundIncidents })
        #expect(count.done == count.planned)
        for (a, b) in zip(alone, got.fleets) {
            #expect(a.replications == b.replications)
            #expect(a.scenarioName == b.scenarioName)
        }
        var other = config
        other.seed = 2
        let reseeded = try FleetSimulator.run(list[0], config: other, parallel: false)
        #expect(reseeded.replications != alone[0].replications)
    }

    /// A study whose handler fails stops the deliveries after it: nothing later is handed over
    /// out of order, and the error is the handler's own.
    @Test func aFailedDeliveryStopsTheRest() throws {
        struct Refused: Error {}
        final class Got: @unchecked Sendable { var order: [Int] = [] }
        let got = Got()
        #expect(throws: Refused.self) {
            try FleetPool.run(try scenarios(), config: config) { i, _ in
                got.order.append(i)
                throw Refused()
            }
        }
        #expect(got.order == [0])
    }
}
