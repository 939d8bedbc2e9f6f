/// Escaping for the self-contained HTML report. Besides the usual `&<>"'`, it
/// breaks "//" and "scheme:" in text so that nothing in the page (a scenario
/// description quoting a URL, say) can read as a reference to another resource:
/// the report must reference nothing outside itself.
public enum HTMLText {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        var previous: Character = " "
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "/" where previous == "/": out += "&#47;"
            case ":" where previous.isLetter: out += "&#58;"
            default: out.append(c)
            }
            previous = c
        }
        return out
    }

    /// A number for an attribute (`data-mean`): the shortest text that reads back
    /// as the same Double.
    public static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A coordinate in an SVG: at most one decimal.
    public static func px(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        if r == r.rounded() { return String(Int64(r)) }
        return "\(r)"
    }
}
