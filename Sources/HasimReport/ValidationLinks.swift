import HasimStrategies

/// The line under each architecture's parameters that says which of its defaults were held
/// against the real tool on a real machine (docs/validation.md), and which were not.
enum ValidationLinks {
    /// Where docs/validation.md is from results/report.html, the report's usual place.
    static let page = "../docs/validation.md"

    static func html(strategy: String, frontDoor: String?, escape e: (String) -> String) -> String {
        var exps = ValidatedBy.experiments[strategy] ?? []
        if let f = frontDoor { exps += (ValidatedBy.frontDoors[f] ?? []).filter { !exps.contains($0) } }
        var s = "<strong>\(e(strategy))</strong>: "
        if exps.isEmpty {
            s += "no real run here" + (ValidatedBy.missing[strategy].map { " (\(e($0)))" } ?? "")
        } else {
            s += exps.map { "<a href=\"\(page)#\($0)\">\(e($0))</a>" }.joined(separator: ", ")
            if let why = ValidatedBy.missing[strategy] { s += " (\(e(why)))" }
        }
        return s
    }
}
