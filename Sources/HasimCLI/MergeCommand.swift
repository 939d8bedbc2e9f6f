import ArgumentParser
import Foundation
import HasimKernel
import HasimStore
import HasimReport
import HasimFleet

/// `hasim merge`: joins the shard databases of a `hasim fleet --shard K/N` study, or of a
/// `hasim run`/`compare --shard K/N` (a sweep with --set too), into one database equal,
/// row for row, to the unsharded command's.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shard databases of a sharded `hasim fleet`, `run` or `compare` into one results database.",
        discussion: """
        Each shard holds some replications of every architecture's study; the merge puts them
        back in replication order and recomputes every mean and confidence interval, so the
        merged database's fleet tables equal an unsharded run's row for row.

        Shards of `hasim run` or `hasim compare` (any --set sweep, any --seed list) hold runs: the
        merge puts run i of the unsharded command back at place i (shard K ran the runs with
        i mod N = K - 1), so `hasim report` of the merged database reads the unsharded run. Every
        shard must be complete and all N must be given.

        Example (three shards, e.g. a Slurm array or a Kubernetes Indexed Job):
          hasim fleet scenarios/architectures/ --shard 1/3 --out shards/1.sqlite   # ... 2/3, 3/3
          hasim merge --out results/fleet.sqlite shards/1.sqlite shards/2.sqlite shards/3.sqlite
          hasim compare scenarios/architectures/ --faults scenarios/faults/ --shard 2/3 --out shards/2.sqlite
        """)

    @Option(help: "The merged database to write (must not hold fleet studies yet).")
    var out: String

    @Argument(help: "Shard databases written by `hasim fleet|run|compare --shard K/N`.")
    var shards: [String]

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    mutating func run() throws {
        guard !shards.isEmpty else { throw ValidationFailure("no shard databases given") }
        var studies: [[FleetStudyRow]] = []
        var runCounts: [Int] = []
        for path in shards {
            guard FileManager.default.fileExists(atPath: path) else { throw ValidationFailure("\(path): no such file") }
            let store = try ResultsStore(path: path)
            studies.append(try store.fleetStudies())
            runCounts.append(try store.runs(includeIncomplete: true).count)
            try store.close()
        }
        // Shards of `hasim run`/`compare --shard K/N` hold runs; shards of `hasim fleet` hold studies.
        if studies.allSatisfy(\.isEmpty) && runCounts.contains(where: { $0 > 0 }) {
            try mergeRuns()
            return
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
        let invocation = try store.beginInvocation(command: "merge", arguments: InvocationArguments.current,
                                                   hasimVersion: HasimVersion.string)
        for m in merged { try store.writeFleet(m, invocation: invocation) }
        try store.close()
        if !quiet {
            print(FleetSection.markdown(merged))
            print("results: \(out)")
        }
    }
}
