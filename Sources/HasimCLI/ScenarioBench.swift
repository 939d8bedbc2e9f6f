import Foundation
import HasimKernel
import HasimScenario

/// Speed of a full scenario: every seed of one file run once, serially, timed
/// around the simulation only (loading and metrics excluded).
public struct ScenarioBenchResult: Sendable {
    public let file: String
    public let runs: Int
    public let events: UInt64
    public let simulatedSeconds: Double
    public let wallSeconds: Double
    public var eventsPerSecond: Double { Double(events) / max(wallSeconds, 1e-9) }
    /// Simulated seconds per wall-clock second.
    public var speedup: Double { simulatedSeconds / max(wallSeconds, 1e-9) }
}

public enum ScenarioBench {
    public static func run(path: String) throws -> ScenarioBenchResult {
        let scenario = try ScenarioLoader.load(path: path)
        var events: UInt64 = 0
        var simulated: SimTime = 0
        let clock = ContinuousClock()
        var wall = Duration.zero
        for seed in scenario.seeds {
            let start = clock.now
            let outcome = try ScenarioRunner.run(scenario, seed: seed)
            wall += clock.now - start
            events += outcome.eventsProcessed
            simulated += outcome.endTime
        }
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        return ScenarioBenchResult(file: path, runs: scenario.seeds.count, events: events,
                                   simulatedSeconds: Time.seconds(simulated), wallSeconds: seconds)
    }
}
