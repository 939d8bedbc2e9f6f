import ArgumentParser
import Foundation
import HasimReport

/// `hasim report`: report.html and report.md from a results database.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the comparison report (report.html, report.md) of a results database.",
        discussion: """
        report.html is one self-contained file (inline CSS and SVG, nothing fetched from
        anywhere): per scenario group a comparison table (mean and spread over seeds), bar
        charts of write downtime and lost transactions, the parameters that differ, and a
        timeline per run; report.md holds the tables as Markdown. Each run shows the command
        that re-runs it. The same database always gives the same files.
        """)

    @Argument(help: "Results database (.sqlite) written by hasim run, check or compare.")
    var database: String

    @Option(name: .long, help: "Folder to write into (default: next to the database, <name>-report/).")
    var out: String?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @OptionGroup var thresholds: ThresholdOptions

    mutating func run() throws {
        let folder = out ?? ReportCommand.defaultFolder(for: database)
        let written: ReportWriter.Written
        do {
            written = try ReportWriter.write(database: database, to: folder, thresholds: try thresholds.value())
        } catch let e as ReportWriter.Failure {
            throw ValidationFailure(e.description)
        }
        for i in written.incomplete {
            let missing = i.planned.map { "\(max(0, $0 - i.written)) of \($0) runs missing" } ?? "runs missing"
            printError("warning: 'hasim \(i.command)' (invocation \(i.id)) did not complete: \(missing); "
                       + "the report shows the \(i.written) runs it wrote")
        }
        if !quiet {
            let d = written.data
            print("\(d.runs.count) runs, \(d.groups.count) group\(d.groups.count == 1 ? "" : "s")")
            print("report: \(written.html)\n        \(written.markdown)")
        }
    }

    /// results/main.sqlite -> results/main-report
    static func defaultFolder(for database: String) -> String {
        let base = (database as NSString).deletingPathExtension
        return base + "-report"
    }
}
