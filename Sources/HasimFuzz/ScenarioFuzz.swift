import HasimScenario

/// The fuzz target over the scenario loader and validator (issue 17).
///
/// One input = the bytes of a scenario file. Whatever the bytes, loading must either
/// give a scenario that honours the documented ranges, or refuse with issues that each
/// carry a location and print on one line (plus one hint line). Anything else — a trap,
/// an issue without a place, a message broken over lines — is a finding.
///
/// Built two ways from this one file:
/// - `scripts/fuzz` builds it with `-sanitize=fuzzer -DHASIM_FUZZ`: libFuzzer drives it.
/// - a normal build gives a replayer: `HasimFuzz FILE...` checks each file once (the
///   committed corpus in `Tests/Fuzz/corpus`, or a crash file libFuzzer wrote).
enum ScenarioFuzz {
    struct Finding: Error, CustomStringConvertible {
        var description: String
    }

    static func check(_ bytes: [UInt8]) throws {
        let file = "fuzz.yaml"
        let text: String
        switch ScenarioLoader.decode(bytes, file: file) {
        case .success(let t): text = t
        case .failure(let issue):
            try checkIssues([issue])
            return
        }
        do {
            let s = try ScenarioLoader.load(text: text, file: file)
            if s.duration <= 0 { throw Finding(description: "accepted a run of duration \(s.duration)") }
            if s.seeds.isEmpty { throw Finding(description: "accepted a scenario without seeds") }
        } catch let errors as ScenarioErrors {
            try checkIssues(errors.issues)
        }
    }

    static func checkIssues(_ issues: [ScenarioIssue]) throws {
        if issues.isEmpty { throw Finding(description: "refused without saying why") }
        for issue in issues {
            let lines = issue.description.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > 2 || (lines.count == 2 && !lines[1].hasPrefix("  hint: ")) {
                throw Finding(description: "an issue printed over \(lines.count) lines: \(issue.description.debugDescription)")
            }
            guard let mark = issue.mark else {
                throw Finding(description: "an issue without a location: \(issue.description)")
            }
            if mark.line < 1 || mark.column < 1 {
                throw Finding(description: "an issue at line \(mark.line), column \(mark.column): \(issue.description)")
            }
        }
    }
}

#if HASIM_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { try ScenarioFuzz.check(bytes) } catch { fatalError("finding: \(error)") }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under the name `<module>_main`; libFuzzer's
/// own `main` is then not pulled from its archive, so this one starts libFuzzer's driver.
@_cdecl("HasimFuzz_main")
public func hasimFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzzOneInput)
}
#else
import Foundation

@main
struct Replay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: HasimFuzz FILE|DIR...   (replays fuzz inputs through the scenario loader)")
            exit(2)
        }
        var files: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []
                files += names.sorted().map { p + "/" + $0 }
            } else {
                files.append(p)
            }
        }
        var findings = 0
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { continue }
            do { try ScenarioFuzz.check(Array(data)) } catch {
                findings += 1
                print("\(f): \(error)")
            }
        }
        print("fuzz replay: \(files.count - findings) passed, \(findings) failed")
        exit(findings == 0 ? 0 : 1)
    }
}
#endif
