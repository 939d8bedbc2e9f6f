import ArgumentParser
import Foundation
import HasimKernel
import HasimStore
import HasimReport
import HasimFleet

/// `hasim merge`: joins the shard databases of a `hasim fleet --shard K/N` study into one
/// database whose fleet tables equal those of the unsharded run, row for row.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shard databases of a sharded `hasim fleet` into one results database.",
        discussion: """
        Each shard holds some replications of every architecture's study; the merge puts them
        back in replication order and recomputes every mean and confidence interval, so the
        merged database's fleet tables equal an unsharded run's row for row.

        Example (three shards, e.g. a Slurm array or a Kubernetes Indexed Job):
          hasim fleet scenarios/architectures/ --shard 1/3 --out shards/1.sqlite   # ... 2/3, 3/3
          hasim merge --out results/fleet.sqlite shards/1.sqlite shards/2.sqlite shards/3.sqlite
        """)

    @Option(help: "The merged database to write (must not hold fleet studies yet).")
    var out: String

    @Argument(help: "Shard databases written by `hasim fleet --shard K/N`.")
    var shards: [String]

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    mutating func run() throws {
        guard !shards.isEmpty else { throw ValidationFailure("no shard databases given") }
        var studies: [[FleetStudyRow]] = []
        for path in shards {
            guard FileManager.default.fileExists(atPath: path) else { throw ValidationFailure("\(path): no such file") }
            let store = try ResultsStore(path: path)
            studies.append(try store.fleetStudies())
            try store.close()
        }
        // Studies are matched by position and identity: every shard ran the same scenarios.
        let count = studies[0].count
        guard studies.allSatisfy({ $0.count == count }) else {
            throw ValidationFailure("the shards hold different numbers of studies (\(studies.map(\.count))): not shards of one run")
        }
        var merged: [FleetStudyRow] = []
        for i in 0..<count {
            guard let m = FleetStudyRow.merging(studies.map { $0[i] }) else {
                throw ValidationFailure("study \(i + 1) (\(studies[0][i].scenarioName)) differs between shards in scenario, settings or replications")
            }
            if m.values.count != m.replications && !quiet {
                printError("warning: \(m.scenarioName): \(m.values.count) of \(m.replications) replications present (a shard is missing)")
            }
            merged.append(m)
        }
        let store = try ResultsStore(path: out)
        guard try store.fleetStudies().isEmpty else {
            try store.close()
            throw ValidationFailure("\(out) already holds fleet studies; merge into a new database")
        }
        let invocation = try store.beginInvocation(command: "merge", arguments: CommandLine.arguments.dropFirst().map { $0 },
                                                   hasimVersion: HasimVersion.string)
        for m in merged { try store.writeFleet(m, invocation: invocation) }
        try store.close()
        if !quiet {
            print(FleetSection.markdown(merged))
            print("results: \(out)")
        }
    }
}
