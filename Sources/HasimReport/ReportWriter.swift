import Foundation
import HasimStore

/// Writes `report.html` and `report.md` for a results database.
public enum ReportWriter {
    public struct Written: Sendable {
        public var html: String
        public var markdown: String
        public var data: ComparisonData
        /// Commands whose runs were cut short (interrupted, or a write failed).
        public var incomplete: [ResultsStore.IncompleteInvocation]
    }

    public enum Failure: Error, CustomStringConvertible {
        case noDatabase(String)
        public var description: String {
            switch self {
            case .noDatabase(let p): return "\(p): no such results database"
            }
        }
    }

    /// Reads `database` (which must exist: a report never creates one) and writes
    /// both files into `folder`, creating it if needed.
    public static func write(database: String, to folder: String, thresholds: Thresholds = .default) throws -> Written {
        guard FileManager.default.fileExists(atPath: database) else { throw Failure.noDatabase(database) }
        let store = try ResultsStore(path: database)
        defer { try? store.close() }
        let (html, md, data) = try render(store, databasePath: database, thresholds: thresholds)
        let incomplete = try store.incompleteInvocations()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let htmlPath = (folder as NSString).appendingPathComponent("report.html")
        let mdPath = (folder as NSString).appendingPathComponent("report.md")
        try Data(html.utf8).write(to: URL(fileURLWithPath: htmlPath), options: .atomic)
        try Data(md.utf8).write(to: URL(fileURLWithPath: mdPath), options: .atomic)
        return Written(html: htmlPath, markdown: mdPath, data: data, incomplete: incomplete)
    }

    /// Both documents as text.
    public static func render(_ store: ResultsStore, databasePath: String, thresholds: Thresholds = .default)
        throws -> (html: String, markdown: String, data: ComparisonData) {
        let data = try ComparisonData.load(store, databasePath: databasePath)
        var details: [Int64: RunDetails] = [:]
        // Only the runs whose timelines are drawn: a suite of hundreds of runs stays quick to report.
        let drawn = HTMLReport.drawnTimelines(data)
        for r in data.runs where drawn.contains(r.id) { details[r.id] = try RunDetails.load(r, from: store) }
        let scorecard = Scorecard(data, thresholds: thresholds)
        let fleet = try store.fleetStudies()
        let fleetMarkdown = fleet.isEmpty ? "" : "\n" + FleetSection.markdown(fleet)
        return (HTMLReport.render(data, details: details, scorecard: scorecard, fleet: fleet),
                MarkdownReport.render(data, details: details, scorecard: scorecard) + fleetMarkdown, data)
    }
}
