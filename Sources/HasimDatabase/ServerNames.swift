import Foundation  // NSLock: ServerNames is shared by the runs of a process

/// Server names interned process-wide, so a ledger entry or a result message holds a 2-byte
/// index instead of a `String`. Indices depend on the order in which runs first meet a name
/// (runs proceed in parallel), so nothing may order or decide by an index: entries expose only
/// the name, and two indices are equal exactly when their names are. Append-only: a name once
/// published stays at its index for the life of the process (a few thousand names at most).
/// Here rather than beside the ledger so that a server can stamp its answers with its index
/// (`ResultMessage`): the client then records it without comparing or hashing names.
public enum ServerNames {
    static let capacity = Int(UInt16.max)
    private static let lock = NSLock()
    /// Filled in order under the lock; slots below `count` never change afterwards.
    nonisolated(unsafe) private static let names = UnsafeMutablePointer<String>.allocate(capacity: capacity)
    nonisolated(unsafe) private static var indices: [String: UInt16] = [:]
    nonisolated(unsafe) private static var count = 0

    public static func index(_ name: String) -> UInt16 {
        lock.lock()
        defer { lock.unlock() }
        if let i = indices[name] { return i }
        precondition(count < capacity, "more than \(capacity) distinct server names in one process")
        let i = UInt16(count)
        (names + count).initialize(to: name)
        count += 1
        indices[name] = i
        return i
    }

    /// The name at an index handed out by `index`: that slot was written before the index
    /// existed, and is never written again, so it is read without the lock.
    public static func name(_ i: UInt16) -> String { names[Int(i)] }
}
