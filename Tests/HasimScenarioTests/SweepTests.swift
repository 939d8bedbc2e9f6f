import HasimKernel
import HasimScenario
import Testing

/// `--set KEY=V1,V2` grids (issue 15, sweeps).
@Suite struct SweepTests {
    static let yaml = mhaPairScenario

    @Test func gridExpandsEveryCombinationInOrder() throws {
        let s = try ScenarioLoader.load(text: Self.yaml, file: "t.yaml")
        let grid = try Sweep.expand([s], [try SweepParameter(parsing: "architecture.options.ping_interval=1s,3s"),
                                          try SweepParameter(parsing: "workload.writes_per_second=100, 500")])
        #expect(grid.map(\.name) == ["t [ping_interval=1s, writes_per_second=100]", "t [ping_interval=1s, writes_per_second=500]",
                                     "t [ping_interval=3s, writes_per_second=100]", "t [ping_interval=3s, writes_per_second=500]"])
        #expect(grid[2].architecture.options.duration("ping_interval") == Time.s(3))
        #expect(grid[2].architecture.options.string("manager_host") == "mon1", "other options keep their values")
        #expect(grid[3].workload.writesPerSecond == 500)
        #expect(try Sweep.expand([s], []).map(\.name) == ["t"])
    }

    @Test func badKeysAndValuesAreRefusedWithAHint() throws {
        let s = try ScenarioLoader.load(text: Self.yaml, file: "t.yaml")
        func message(_ arg: String) -> String {
            do {
                _ = try Sweep.expand([s], [try SweepParameter(parsing: arg)])
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(message("architecture.options.ping_intervall=1s").contains("did you mean 'ping_interval'"))
        #expect(message("architecture.options.ping_interval=3").contains("expected a duration"))
        #expect(message("workload.writes_per_second=-1").contains("expected a number"))
        #expect(message("workload.wps=1").contains("not a key a sweep can set"))
        #expect(message("ping_interval").contains("expected KEY=VALUE"))
    }
}
