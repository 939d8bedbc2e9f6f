import Foundation
import Testing
import HasimStrategies

/// Every strategy either names the real experiments that hold its defaults or says why there
/// are none, and every name is a committed real result with a section in docs/validation.md.
@Suite struct ValidatedByTests {
    @Test func everyStrategyIsValidatedOrSaysWhyNot() {
        for d in StrategyCatalog.all {
            let named = !(ValidatedBy.experiments[d.name] ?? []).isEmpty
            #expect(named || ValidatedBy.missing[d.name] != nil, "\(d.name): no experiment and no reason")
        }
    }

    @Test func everyNamedExperimentHasRealFiguresAndASection() throws {
        let doc = try String(contentsOfFile: repoRoot + "/docs/validation.md", encoding: .utf8)
        let headings = Set(doc.split(separator: "\n").filter { $0.hasPrefix("## ") || $0.hasPrefix("### ") }
            .map { String($0.drop { $0 == "#" }.dropFirst()) })
        let names = Set(ValidatedBy.experiments.values.joined()).union(ValidatedBy.frontDoors.values.joined())
        for n in names.sorted() {
            #expect(FileManager.default.fileExists(atPath: repoRoot + "/validation/results/\(n).json"), "\(n): no real result")
            #expect(headings.contains(n), "\(n): no section in docs/validation.md")
        }
        #expect(!headings.contains("no-such-experiment"))
    }
}
