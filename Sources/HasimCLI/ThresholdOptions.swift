import ArgumentParser
import HasimKernel
import HasimScenario
import HasimReport

/// `--rpo` / `--rto`: what the reader tolerates; the scorecard colours each cell against them.
struct ThresholdOptions: ParsableArguments {
    @Option(name: .long, help: "Acknowledged transactions a design may lose before its scorecard cell turns red (default 0: none).")
    var rpo: Double = Thresholds.default.rpoTransactions

    @Option(name: .long, help: "Longest tolerated RTO, with a unit (e.g. 30s, 2m); longer turns a scorecard cell amber (default 30s).")
    var rto: String = "30s"

    func value() throws -> Thresholds {
        guard rpo >= 0, rpo.isFinite else { throw ValidationFailure("--rpo \(rpo): a number of transactions >= 0, e.g. --rpo 0") }
        switch DurationParser.parse(rto) {
        case .success(let ns): return Thresholds(rpoTransactions: rpo, rtoSeconds: Double(ns) / 1e9)
        case .failure: throw ValidationFailure("--rto \(rto): not a duration\n  hint: a number with a unit (\(DurationParser.unitList)), e.g. --rto 30s")
        }
    }
}
