import HasimKernel

/// Timings of address resolution inside one broadcast domain: Linux's neighbour-table
/// defaults (`/proc/sys/net/ipv4/neigh/default/*`, net/core/neighbour.c, net/ipv4/arp.c).
public struct ARPSettings: Sendable, Equatable {
    /// From `ip addr add` + `arping -U` on the new holder to the peers' caches pointing at it.
    /// Seed 000: "VIP의 경우 arp갱신 0.01초" (ARP refresh 0.01 s); not a documented tool figure
    /// (ha-tools-defaults.md §11 "Check of the seed notes"): tools send the first GARP at once.
    public var garpDelay: SimTime = Time.ms(10)
    /// `base_reachable_time` 30 s: a confirmed entry stays REACHABLE for `reachable_time`, drawn
    /// uniformly in [base/2, 3·base/2) = 15–45 s (`neigh_rand_reach_time`) per interface and
    /// drawn again every 300 s (`neigh_periodic_work`).
    public var baseReachableTime: SimTime = Time.s(30)
    /// `delay_first_probe_time` 5 s: a STALE entry that is used waits this long in DELAY for a
    /// confirmation (TCP forward progress) before it probes.
    public var delayFirstProbeTime: SimTime = Time.s(5)
    /// `ucast_solicit` 3: unicast probes to the cached MAC in PROBE before the entry FAILS.
    public var unicastProbes: Int = 3
    /// `mcast_solicit` 3: broadcast requests of a new (INCOMPLETE) entry before it FAILS.
    public var multicastProbes: Int = 3
    /// `retrans_time_ms` 1000: the interval between probes.
    public var retransTime: SimTime = Time.s(1)
    /// `locktime` 1 s (arp.c, `arp_process`): of several replies within locktime the FIRST
    /// wins; a gratuitous ARP overrides regardless.
    public var locktime: SimTime = Time.s(1)
    public init() {}
}

/// Neighbour Unreachability Detection states (include/net/neighbour.h, NUD_*), those a
/// VIP's entry goes through.
public enum NeighbourState: String, Sendable, Equatable {
    /// Asked the whole domain (broadcast who-has), no answer yet; packets wait.
    case incomplete = "INCOMPLETE"
    /// Confirmed within `reachable_time` (an ARP reply or TCP forward progress).
    case reachable = "REACHABLE"
    /// Not confirmed for a while; still used as is, checked on the next use.
    case stale = "STALE"
    /// Used while STALE: waiting `delay_first_probe_time` for TCP to confirm it.
    case delay = "DELAY"
    /// Unicast who-has to the cached MAC every `retrans_time`, `ucast_solicit` times.
    case probe = "PROBE"
    /// Nobody answered; the next packet starts a new broadcast request.
    case failed = "FAILED"

    /// NUD_VALID: packets go to the cached MAC. A switch, always inlined: asked per segment to
    /// a VIP, the comparisons chain was a call of its own.
    @inline(__always)
    var isValid: Bool {
        switch self {
        case .reachable, .stale, .delay, .probe: return true
        case .incomplete, .failed: return false
        }
    }
}

/// One neighbour entry of a host's (or of a site gateway's) ARP cache for a VIP.
struct NeighbourEntry {
    /// The MAC the entry names (the host it belongs to); nil while INCOMPLETE with none known.
    var holder: HostID?
    var state: NeighbourState
    /// Last confirmation (solicited reply or TCP forward progress).
    var confirmed: SimTime
    /// Last change of state or address (locktime counts from here).
    var updated: SimTime
    /// Last packet sent through it.
    var used: SimTime
    var probes = 0
    /// The generation of the entry's one timer (mod_timer replaces it); older firings are ignored.
    var timer = 0
}

/// Whose cache an entry is in: a host of the VIP's site, or the gateway of that site (for
/// hosts of other sites).
struct NeighbourOwner: Equatable {
    /// The host's raw id, or -1 for the site gateway.
    var host: Int
    var vip: Int
    static func gateway(_ v: Int) -> NeighbourOwner { NeighbourOwner(host: -1, vip: v) }
}

/// The `reachable_time` of one interface: drawn again every 300 s.
struct ReachableTime {
    var value: SimTime = 0
    var epoch: Int64 = -1
}

/// The hosts' neighbour entries for the VIPs, [host raw id][vip index], in one buffer of its own
/// (a row per host, a column per VIP). A client reads and stamps its entry for every segment it
/// sends to a VIP (`VIPTable.resolve`) and every reply confirms it (`confirm`): in an array of
/// arrays each write checked both arrays' uniqueness (two calls) and went through bounds checks.
/// Entries are trivial, so growing moves bytes. Noncopyable: the table owns its buffer.
struct NeighbourGrid: ~Copyable {
    private var base: UnsafeMutablePointer<NeighbourEntry?>
    /// Hosts with a row, VIPs with a column, and the rows the buffer holds.
    private(set) var rows = 0
    private(set) var columns = 0
    private var rowCapacity = 0

    init() { base = .allocate(capacity: 1) }
    deinit { base.deallocate() }

    /// The entry of host `h` for VIP `v`: both must be in the grid.
    @inline(__always)
    func at(_ h: Int, _ v: Int) -> UnsafeMutablePointer<NeighbourEntry?> {
        precondition(h >= 0 && h < rows && v >= 0 && v < columns, "neighbour entry out of the grid")
        return base + (h &* columns &+ v)
    }

    subscript(h: Int, v: Int) -> NeighbourEntry? {
        get { at(h, v).pointee }
        nonmutating set { at(h, v).pointee = newValue }
    }

    /// Rows for hosts 0..<n (new ones empty).
    mutating func ensureRows(_ n: Int) {
        guard n > rows else { return }
        if n > rowCapacity { relayout(rowCapacity: max(n, rowCapacity * 2, 4), columns: columns) }
        (base + rows * columns).initialize(repeating: nil, count: (n - rows) * columns)
        rows = n
    }

    /// A column for a new VIP, empty in every row.
    mutating func addColumn() { relayout(rowCapacity: max(rowCapacity, rows), columns: columns + 1) }

    private mutating func relayout(rowCapacity newCapacity: Int, columns newColumns: Int) {
        let b = UnsafeMutablePointer<NeighbourEntry?>.allocate(capacity: max(1, newCapacity * newColumns))
        for h in 0..<rows {
            (b + h * newColumns).initialize(from: base + h * columns, count: columns)
            (b + h * newColumns + columns).initialize(repeating: nil, count: newColumns - columns)
        }
        base.deallocate()
        base = b
        rowCapacity = newCapacity
        columns = newColumns
    }
}
