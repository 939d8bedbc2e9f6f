import HasimKernel
import HasimNetwork
import HasimDatabase

extension TraceKind {
    public static let appRedeploy = TraceKind("app_redeploy")
}

/// How the application's MySQL driver and connection pool behave.
public struct ClientConfig: Sendable, Equatable {
    public var port = 3306
    /// Maximum connections in the pool (HikariCP maximumPoolSize default 10).
    public var poolSize = 20
    /// Requests in progress at once (Tomcat maxThreads, 200). A write that finds
    /// every thread busy is rejected at once instead of queueing without bound.
    public var appThreads = 200
    /// connectTimeout of the driver.
    public var connectTimeout: SimTime = Time.s(5)
    /// socketTimeout: how long a query may wait for its answer.
    public var queryTimeout: SimTime = Time.s(10)
    /// How long a request waits for a pooled connection (HikariCP connectionTimeout, 30 s).
    public var poolWaitTimeout: SimTime = Time.s(30)
    /// Attempts after the first failure.
    public var retries = 2
    public var retryBackoff: SimTime = Time.ms(200)
    /// A probe counts as a failed write if not acknowledged within this time.
    public var probeTimeout: SimTime = Time.s(1)
    public init() {}
}

/// Who hands statements to a pool one by one and waits for each (a servlet in Tomcat,
/// HasimWeb): told once per statement, after the driver's retries, how it ended.
public protocol PoolRequester: AnyObject {
    /// `txid`: the last attempt's transaction (0 for a read); `code`: the MySQL error of a
    /// failure (`FailedAttempt.rejectedCode` when no thread took it).
    func statementFinished(token: Int64, ok: Bool, txid: Int64, code: Int)
}

/// The application: a connection pool on a client host, writing through the
/// address it is configured with (a host IP, a VIP, a DNS name's answer).
public final class ApplicationClient: EventHandler {
    public let process: NetProcess
    public private(set) var address: IPAddress
    /// The address it was configured with at the start (before any redeploy).
    public let initialAddress: IPAddress
    public private(set) var config: ClientConfig
    public private(set) var ledger = Ledger()
    public private(set) var probes: [ProbeOutcome] = []
    public private(set) var failures = FailureLog()
    public private(set) var abandonedWrites = 0
    /// How a DNS name in `address` becomes an IP (the runtime's own cache over the host's
    /// resolver); nil: the address is dialled as it is.
    public var nameResolution: NameResolution?
    /// Writes refused because every application thread was busy.
    public private(set) var rejectedWrites = 0
    /// What other sessions saw: the transaction behind each row read.
    public private(set) var reads: [ReadObservation] = []
    var readRate = 0.0
    private var activeOps = 0
    /// Told how each statement submitted with a token ended (nil: the open-loop workload alone).
    public weak var requester: PoolRequester?

    let sim: Simulation
    let network: Network
    var handler: HandlerID!
    var rng: SimRandom

    var pool: [Pooled] = []
    // Op slots waiting for a connection, FIFO. Entries of ops that stopped waiting
    // (timed out) stay until they reach the head: O(1) per operation.
    var waiting: [Int] = []
    var waitingHead = 0
    var waitingCount = 0
    var connectingCount = 0
    var ops = OpSlots()
    /// The queries of ops whose statement is `.other`, by op slot.
    var otherQueries: [Int: Query] = [:]
    /// Connections whose socketTimeout timer is pending, by serial.
    var timedConnections: [Int: Pooled] = [:]
    var nextPooledSerial = 0
    var nextQueryID: Int64 = 0
    private var nextTxid: Int64 = 0
    private let txidBase: Int64
    /// Index of this application group in the scenario (stamped on its ledger and failures).
    public let clientIndex: Int

    // Workload generation.
    var writeRate = 0.0
    var updateFraction = 0.0
    var hotRows = 1
    var stopAt: SimTime = 0
    var probeInterval: SimTime = 0

    enum Tag: UInt32 { case arrival = 1, probe, queryTimeout, retry, poolTimeout, probeDeadline, read }

    /// An op's statement in a trivial form, so that an op is copied, stored and tested for
    /// nil without value witnesses (a `Query` may hold references: three witness calls per
    /// op and attempt). The query is rebuilt with the attempt's txid when it is sent.
    enum Statement {
        case insert(Table)
        case update(Table, key: Int64)
        case selectLatest(Table)
        /// Any other query (not issued by the pool's users today): kept in `otherQueries`.
        case other

        init(_ query: Query) {
            switch query {
            case .insert(let t, _): self = .insert(t)
            case .update(let t, let k, _): self = .update(t, key: k)
            case .selectLatest(let t): self = .selectLatest(t)
            default: self = .other
            }
        }
    }

    struct Op {
        var statement: Statement
        /// Whether the op's query (`queryID`) waits for its answer: what a map from query id
        /// to op answered, without hashing. The answer comes on the connection it was sent
        /// on (`Pooled.busyOp`), which no other query uses until then.
        var awaiting = false
        var txid: Int64
        var attemptsLeft: Int
        var isProbe: Bool
        var probeIndex: Int
        var issuedAt: SimTime
        var queryID: Int64 = -1
        var waitingSince: SimTime = 0
        var isWaiting = false
        /// The requester's name for this statement (-1: nobody waits for it).
        var token: Int64 = -1
    }

    public init(name: String, host: Host, network: Network, address: IPAddress, config: ClientConfig, clientIndex: Int = 0) {
        self.network = network
        self.sim = network.sim
        self.address = address
        self.initialAddress = address
        self.config = config
        self.process = network.spawn(name, on: host)
        self.rng = network.sim.random("client/\(name)")
        // Transaction ids are unique across clients of one run.
        self.txidBase = Int64(clientIndex) << 40
        self.clientIndex = clientIndex
        handler = sim.register(self)
    }

    /// The ledger is a run's largest array: sized once from the workload (the expected writes
    /// plus five standard deviations of the Poisson count, and the probes) so it never regrows;
    /// growth by doubling copied it and left the old block as slack at peak (issue 15). Capped
    /// at 16 Mi entries: a longer run grows past it as before.
    func reserveLedger(writesPerSecond: Double, probeInterval: SimTime, span: SimTime) {
        let expected = max(0, writesPerSecond) * Time.seconds(span)
        let probes = probeInterval > 0 ? Double(span / probeInterval + 1) : 0
        let want = expected + 5 * expected.squareRoot() + probes + 16
        ledger.reserveCapacity(ledger.count + Int(min(want, Double(1 << 24))))
    }

    public func handle(_ event: Event, in sim: Simulation) {
        switch Tag(rawValue: event.tag) {
        case .arrival:
            guard sim.now < stopAt else { return }
            // In the op's trivial form: a `Query` built here was converted, then destroyed
            // through its outlined value witness, per write.
            let statement: Statement
            if rng.unit() < updateFraction {
                statement = .update(.counters, key: Int64(rng.below(hotRows)) + 1)
            } else {
                statement = .insert(.orders)
            }
            submit(statement, isWrite: true, other: nil, isProbe: false, token: -1)
            sim.schedule(after: nextGap(), handler, tag: Tag.arrival.rawValue)
        case .read:
            guard sim.now < stopAt else { return }
            submit(.selectLatest(table: .orders), isProbe: false)
            sim.schedule(after: readGap(), handler, tag: Tag.read.rawValue)
        case .probe:
            guard sim.now < stopAt else { return }
            submit(.insert(table: .probes, txid: 0), isProbe: true)
            sim.schedule(after: probeInterval, handler, tag: Tag.probe.rawValue)
        case .queryTimeout:
            socketTimerFired(Int(event.arg))
        case .retry:
            attempt(Int(event.arg))
        case .poolTimeout:
            poolWaitExpired(Int(event.arg))
        case .probeDeadline:
            let i = Int(event.arg)
            if probes[i].latency == nil && probes[i].error == nil { probes[i].ok = false }
        case nil:
            break
        }
    }

    // MARK: requests

    /// Submits one write with the driver's retry policy.
    public func submit(_ query: Query, isProbe: Bool, token: Int64 = -1) {
        let statement = Statement(query)
        if case .other = statement {
            submit(statement, isWrite: query.isWrite, other: query, isProbe: isProbe, token: token)
        } else {
            submit(statement, isWrite: query.isWrite, other: nil, isProbe: isProbe, token: token)
        }
    }

    /// `submit` of a statement in its trivial form; `other`: the query of an `.other` one.
    func submit(_ statement: Statement, isWrite: Bool, other: Query?, isProbe: Bool, token: Int64) {
        if activeOps >= config.appThreads {
            // No thread to run the request: the caller gets an error at once (HTTP 503).
            if token >= 0 { requester?.statementFinished(token: token, ok: false, txid: 0, code: FailedAttempt.rejectedCode) }
            guard isWrite else { return }
            failures.append(FailedAttempt(issuedAt: sim.now, failedAt: sim.now, code: FailedAttempt.rejectedCode,
                                          isProbe: isProbe, group: clientIndex))
            if isProbe {
                probes.append(ProbeOutcome(issuedAt: sim.now, ok: false, latency: nil, error: FailedAttempt.rejectedCode))
            } else {
                rejectedWrites += 1
                abandonedWrites += 1
            }
            return
        }
        activeOps += 1
        var probeIndex = -1
        if isProbe {
            probeIndex = probes.count
            // Optimistic until the deadline or a failure says otherwise.
            probes.append(ProbeOutcome(issuedAt: sim.now, ok: true, latency: nil, error: nil))
            sim.schedule(after: config.probeTimeout, handler, tag: Tag.probeDeadline.rawValue, arg: Int64(probeIndex))
        }
        var op = Op(statement: statement, txid: 0, attemptsLeft: isProbe || !isWrite ? 0 : config.retries,
                    isProbe: isProbe, probeIndex: probeIndex, issuedAt: sim.now)
        op.token = token
        let slot = ops.store(op)
        if let other { otherQueries[slot] = other }
        attempt(slot)
    }

    private func attempt(_ slot: Int) {
        guard ops[slot] != nil else { return }
        // Every attempt is a new transaction: an earlier one may have committed unseen.
        nextTxid += 1
        // In place: a copy of the op out of its slot and back was two value-witness calls
        // (its query may hold references) per attempt.
        Self.renew(&ops[slot]!, txid: txidBase | nextTxid, now: sim.now)
        if let idle = pool.last(where: { !$0.connecting && $0.busyOp == nil && $0.connection != nil }) {
            send(slot, on: idle)
        } else {
            ops[slot]!.isWaiting = true
            waiting.append(slot)
            waitingCount += 1
            sim.schedule(after: config.poolWaitTimeout, handler, tag: Tag.poolTimeout.rawValue, arg: Int64(slot))
            growPoolIfNeeded()
        }
    }

    /// The op's next attempt: a new transaction id (in its query too, `query(of:)`), issued now.
    private static func renew(_ op: inout Op, txid: Int64, now: SimTime) {
        op.txid = txid
        if !op.isProbe { op.issuedAt = now }
        op.waitingSince = now
    }

    /// The statement the op's current attempt sends: an insert or update carries its txid.
    /// Inlined into `send` (a call per attempt, the op read again through its slot).
    @inline(__always)
    func query(of slot: Int) -> Query {
        let op = ops[slot]!
        switch op.statement {
        case .insert(let t): return .insert(table: t, txid: op.txid)
        case .update(let t, let k): return .update(table: t, key: k, txid: op.txid)
        case .selectLatest(let t): return .selectLatest(table: t)
        case .other: return otherQueries[slot]!
        }
    }

    func isWrite(_ op: Op, slot: Int) -> Bool {
        switch op.statement {
        case .insert, .update: return true
        case .selectLatest: return false
        case .other: return otherQueries[slot]?.isWrite ?? false
        }
    }

    func received(_ message: WireMessage, on p: Pooled) {
        // The answer to the query in flight on this connection (the server answers on the
        // connection it was asked on, and the pool sends nothing else on it meanwhile).
        guard let r = message.as(ResultMessage.self), let slot = p.busyOp, let op = ops[slot],
              op.awaiting, op.queryID == r.id else { return }
        ops[slot]!.awaiting = false
        p.busyOp = nil
        if let ok = r.packedOK {
            // Nearly every answer: read off the message's words (the `QueryResult` is a 202-byte
            // enum, built and copied twice on its way here).
            succeeded(slot, op: op, affected: ok.affected, insertID: ok.insertID, server: r.serverIndex)
            serveWaiting(p)
            return
        }
        switch r.result {
        case .ok(let affected, let insertID):
            succeeded(slot, op: op, affected: affected, insertID: insertID, server: r.serverIndex)
        case .error(let e):
            failed(slot, code: e.code)
        case .row(_, let txid):
            if txid != 0 { reads.append(ReadObservation(txid: txid, at: sim.now, server: r.server)) }
            release(slot, ok: true)
        case .empty:
            release(slot, ok: true)
        default:
            failed(slot, code: 0)
        }
        serveWaiting(p)
    }

    private func succeeded(_ slot: Int, op: Op, affected: Int, insertID: Int64?, server: UInt16) {
        if affected > 0 {
            let table: Table, key: Int64, isInsert: Bool
            switch op.statement {
            case .insert(let t): table = t; key = insertID ?? 0; isInsert = true
            case .update(let t, let k): table = t; key = k; isInsert = false
            default: table = .orders; key = 0; isInsert = true
            }
            ledger.append(LedgerEntry(txid: op.txid, table: table, isInsert: isInsert, key: key,
                                      issuedAt: op.issuedAt, ackedAt: sim.now, server: server,
                                      isProbe: op.isProbe, group: clientIndex))
        }
        if op.isProbe {
            let latency = sim.now - op.issuedAt
            probes[op.probeIndex].latency = latency
            probes[op.probeIndex].ok = latency <= config.probeTimeout
        }
        release(slot, ok: true)
    }

    func failed(_ slot: Int, code: Int) {
        guard var op = ops[slot] else { return }
        let isWrite = isWrite(op, slot: slot)
        if isWrite {
            failures.append(FailedAttempt(issuedAt: op.issuedAt, failedAt: sim.now, code: code, isProbe: op.isProbe,
                                          group: clientIndex))
        }
        if op.isProbe {
            probes[op.probeIndex].ok = false
            probes[op.probeIndex].error = code
        }
        if op.attemptsLeft > 0 {
            op.attemptsLeft -= 1
            ops[slot] = op
            sim.schedule(after: config.retryBackoff, handler, tag: Tag.retry.rawValue, arg: Int64(slot))
        } else {
            if !op.isProbe && isWrite { abandonedWrites += 1 }
            release(slot, ok: false, code: code)
        }
    }

    private func release(_ slot: Int, ok: Bool, code: Int = 0) {
        let op = ops[slot]
        // Whether it wrote matters only to a requester (`Optional.map` with a closure, for
        // every op, was 23 instructions of its own); asked before `otherQueries` forgets it.
        var write = false
        if let op, op.token >= 0 { write = isWrite(op, slot: slot) }
        activeOps -= 1
        if case .other? = op?.statement { otherQueries[slot] = nil }
        ops.free(slot)
        if let op, op.token >= 0 {
            requester?.statementFinished(token: op.token, ok: ok, txid: write ? op.txid : 0, code: code)
        }
    }

    /// The JVM the pool lives in died with its host: every connection, waiting statement
    /// and timer of that life is forgotten (nobody is told: its requesters died too). Slots
    /// of that life are not reused, so a timer of it that still fires finds nothing.
    public func processDied() {
        for p in pool { p.connection = nil; p.busyOp = nil }
        pool.removeAll()
        ops.forgetAll()
        otherQueries.removeAll()
        timedConnections.removeAll()
        waiting.removeAll()
        waitingHead = 0
        waitingCount = 0
        connectingCount = 0
        activeOps = 0
    }

    /// Called once the run is over: a probe still waiting for its answer (its deadline
    /// falls after the end) did not succeed; it is a failure from its issue time.
    public func finishRun() {
        for i in probes.indices where probes[i].latency == nil { probes[i].ok = false }
    }

    // MARK: operations on the application

    /// The developers change the DB address and redeploy: the pool is rebuilt and
    /// requests in flight on the old connections fail.
    public func redeploy(address newAddress: IPAddress) {
        sim.record(process.host.name, .appRedeploy, "DB address \(address) -> \(newAddress)")
        address = newAddress
        nameResolution?.flush()  // a new JVM: nothing cached
        for p in pool {
            let busy = p.busyOp
            if let c = p.connection { network.close(c, from: .client) }
            p.connection = nil
            p.busyOp = nil
            if let slot = busy, ops[slot] != nil {
                ops[slot]!.awaiting = false
                failed(slot, code: MySQLError.lostConnection.code)
            }
        }
        pool.removeAll()
        connectingCount = 0
        growPoolIfNeeded()
    }

    public var poolConnections: Int { pool.count }
}
