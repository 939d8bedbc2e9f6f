/// "db2, db3" -> ["db2", "db3"]: host lists in string options.
func hostList(_ s: String) -> [String] {
    s.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
}
