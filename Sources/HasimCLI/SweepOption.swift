import HasimScenario

extension Runner {
    /// Loads the files, then expands `--set KEY=V1,V2` parameters into one variant per
    /// combination (HasimScenario's `Sweep`); a bad key or value is a CLI error with a hint.
    public static func load(_ files: [String], sweep: [String]) throws -> [Scenario] {
        let scenarios = try load(files)
        do {
            return try Sweep.expand(scenarios, try sweep.map { try SweepParameter(parsing: $0) })
        } catch let e as SweepError {
            throw CLIError(e.description)
        }
    }
}
