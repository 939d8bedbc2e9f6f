import HasimKernel

/// The contract between database nodes and the measurements (issue 9 / issue 10):
/// which servers the design means to be ONE writer.
///
/// A database node records `writer_group` whenever the group it writes for changes:
/// `node` is the server's name, `detail` the group's identity, or "" when the node
/// belongs to no writer group that may accept writes (e.g. a Galera node outside the
/// Primary Component). A server that never records one is its own group (its name):
/// that is a plain MySQL server. Galera members of one Primary Component record the
/// same identity (the view's id), so writes accepted by several of them are ONE
/// writer, never split brain; two Primary Components are two groups.
///
/// Measurements read only these records and the ledger (who acknowledged what), never
/// a node's internals.
extension TraceKind {
    public static let writerGroup = TraceKind("writer_group")
}
