/// "Did you mean ...?" suggestions by edit distance.
enum Suggestions {
    /// Edit distance counting insertions, deletions, substitutions and swaps of
    /// two neighbours ("nmae" -> "name" is 1), over Unicode scalars.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }

    /// The candidate closest to `word`, if it is close enough to be a plausible typo
    /// (or one is a prefix of the other). Ties go to the earlier candidate.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let lower = word.lowercased()
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let c = candidate.lowercased()
            let d = editDistance(lower, c)
            let limit = max(1, c.count / 3)
            let prefix = min(c.count, lower.count) >= 3 && (c.hasPrefix(lower) || lower.hasPrefix(c))
            guard d <= limit || prefix else { continue }
            if let b = best, b.distance <= d { continue }
            best = (candidate, d)
        }
        return best?.name
    }

    /// "did you mean 'x'?" or, with no close candidate, the list of valid names.
    static func hint(for word: String, in candidates: [String], listing what: String) -> String? {
        if let near = nearest(word, in: candidates) { return "did you mean '\(near)'?" }
        if candidates.isEmpty { return nil }
        return "\(what): " + candidates.joined(separator: ", ")
    }
}
