import Foundation
import Testing
import HasimScenario

/// Tests/HasimScenarioTests/Fixtures, found from this file's path.
let fixturesDirectory: String = {
    let here = URL(fileURLWithPath: #filePath)
    return here.deletingLastPathComponent().appendingPathComponent("Fixtures").path
}()

/// The package root (two levels above Tests/HasimScenarioTests).
let repositoryRoot: String = {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}()

func readText(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
}

/// Loads `yaml` (as file "t.yaml") expecting it to fail; returns the issues
/// (empty, with a recorded test failure, if it loaded).
func issues(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ScenarioIssue] {
    do {
        _ = try ScenarioLoader.load(text: yaml, file: "t.yaml")
        Issue.record("expected the scenario to be refused", sourceLocation: sourceLocation)
        return []
    } catch let errors as ScenarioErrors {
        return errors.issues
    } catch {
        Issue.record("unexpected error type \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return []
    }
}

/// The single issue of a refused scenario (records a failure if there are not exactly one).
func onlyIssue(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> ScenarioIssue? {
    let all = issues(yaml, sourceLocation: sourceLocation)
    #expect(all.count == 1, "issues: \(all.map(\.description))", sourceLocation: sourceLocation)
    return all.first
}

extension ScenarioIssue {
    var line: Int? { mark?.line }
    var column: Int? { mark?.column }
}
