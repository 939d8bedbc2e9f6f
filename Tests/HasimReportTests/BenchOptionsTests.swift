import Testing
@testable import HasimCLI

/// `hasim bench --scenario` measures the scenario only: the hold model's 2 M-event runs at
/// 100,000 pending timers took longer than a short scenario and raised the process's peak
/// memory before the scenario's first run was measured. Flip: defaulting `--pending` to the
/// three sizes again makes the scenario case run the hold model.
@Suite struct BenchOptionsTests {
    @Test func theHoldModelRunsAloneOrWhenAsked() throws {
        #expect(try Bench.parse([]).pendingSizes == [10, 1000, 100000])
        #expect(try Bench.parse(["--scenario", "scenarios/bench/mha-1000.yaml"]).pendingSizes.isEmpty)
        #expect(try Bench.parse(["--fleet", "scenarios/architectures/"]).pendingSizes.isEmpty)
        #expect(try Bench.parse(["--scenario", "x.yaml", "--pending", "10,1000"]).pendingSizes == [10, 1000])
        #expect(throws: (any Error).self) { try Bench.parse(["--pending", ""]) }
    }
}

/// Each run's processor time is kept, so the report can give the median and the fastest next
/// to the mean: on this shared machine the same binary measured 0.84-1.33 s per run of
/// mha-1000.yaml within minutes. Flip: summing without `cpuByRun` leaves the list empty.
@Suite struct ScenarioBenchCPUTests {
    @Test func everyRunIsTimedAndTheMedianLiesBetweenTheExtremes() throws {
        let r = try ScenarioBench.run(path: "scenarios/single-server-crash.yaml", seeds: 3)
        #expect(r.cpuByRun.count == 3)
        #expect(abs(r.cpuByRun.reduce(0, +) - r.cpuSeconds) < 1e-9)
        #expect(r.cpuFastest <= r.cpuMedian && r.cpuMedian <= r.cpuByRun.max()!)
    }
}
