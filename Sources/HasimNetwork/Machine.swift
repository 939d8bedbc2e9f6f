import HasimKernel

/// What a burst submitted as a value job calls when it is done. A component that runs a burst
/// per step (Galera: one per statement, per write-set sent and received, per ordered commit)
/// names the step by `tag` and its arguments instead of handing over a closure: a closure
/// context is a heap allocation and its release per burst, a job is a few words in the
/// machine's table. The target must outlive its bursts (a daemon lives until Simulation.close).
public protocol ComputeTarget: AnyObject {
    func computed(_ tag: UInt32, _ arg: Int64, _ arg2: Int64)
}

/// The CPUs that one or more hosts run on. A host is a machine of its own unless the scenario
/// puts several hosts on one (`topology.machines`: VMs consolidated on one hypervisor, or the
/// validation bench, where every mysqld and the client share this machine's 2 cores).
///
/// Every step a process takes that burns CPU in reality (parse and execute a statement, commit,
/// handle a group message, apply a write-set) is a *burst*: it needs one core for its service
/// time. Bursts queue FIFO for the machine's cores and each runs to completion once it has one.
/// Why FIFO and not processor sharing: Linux CFS gives a woken thread the CPU for at least
/// sched_min_granularity (0.75 ms x (1 + log2 cpus)) and targets a 6 ms latency period, longer
/// than the bursts modelled here (tens of µs to ~2 ms), so a burst that gets a core almost
/// always finishes before it is preempted, and runnable threads are served in wake-up order.
///
/// `cores == 0` is an uncontended machine (the default for a host of its own): a burst takes
/// its service time and never waits, exactly as a plain delay, so scenarios that declare no
/// machine keep their results.
///
/// Background load (the overload fault): `load` CPU-bound threads that never sleep. They share
/// the cores with the bursts as CFS shares them (fair share): a burst that starts while
/// `running + load` exceeds the cores is stretched by that ratio (an uncontended host counts as
/// one core per burst).
public final class Machine: EventHandler {
    public let name: String
    public let cores: Int
    let sim: Simulation
    /// The machine's own events (a burst's end): the burst waits in `slots`, the event carries
    /// its slot, so ending a burst allocates nothing (a scheduled closure did, twice: the step's
    /// and the wrapper's).
    private var handler: HandlerID!
    private var running = 0
    private var queue: [Burst] = []
    private var head = 0
    /// Bursts under way, by the slot their end event names. A `SlotTable` (last freed, first
    /// reused, as the array and its free list were): the array's `popLast` was a call of its
    /// own and each store and `append` a uniqueness check (Galera: 6 bursts per write).
    private var slots = SlotTable<Burst>()
    /// The closures of the bursts that have one, by the index a burst names: kept apart so a
    /// burst is plain words (its copies into the queue and the slots are stores, without the
    /// retain, release and outlined copy a closure field cost for every burst).
    private var actions = SlotTable<() -> Void>()
    /// The value jobs' targets, by the index a burst names (`target`), each in a box of its own
    /// with an immutable field, lent at +0 (`Unmanaged._withUnsafeGuaranteedRef`, as the
    /// simulation's handlers): read from the burst's `unowned(unsafe)` existential, a target was
    /// retained and released around every `computed` call. `targets` keeps the boxes (and so
    /// the targets, which live until Simulation.close anyway) until `simulationDidClose`.
    private var targets: [TargetBox] = []
    private var targetRefs: [Unmanaged<TargetBox>] = []
    /// The target named last, and its index: nearly every machine serves one (its node).
    private var lastTarget: ObjectIdentifier?
    private var lastTargetIndex: Int32 = -1
    /// CPU-bound background threads (the overload fault).
    public private(set) var load = 0.0
    /// Core time the bursts used and time they waited for a core (for tests and traces).
    public private(set) var busyTime: SimTime = 0
    public private(set) var waitTime: SimTime = 0
    /// The disk its hosts' files are on (Disk.swift): shared by the hosts placed on it.
    public private(set) lazy var disk = DiskDevice(sim: sim)

    /// A burst: its step is a closure (`actions[action]`) or a value job (`target`, `tag`, `arg`,
    /// `arg2`, with `action` −1).
    private struct Burst {
        var cost: SimTime
        var enqueued: SimTime
        // unowned(unsafe): a process is its host's until Simulation.close (Network.spawn), and
        // a burst's event is never handled after that.
        unowned(unsafe) var process: NetProcess
        var incarnation: UInt32
        /// Waited in the queue for a core (cores > 0): its end frees the core.
        var queued: Bool
        var action: Int32
        /// The value job's target (`targets`), or −1.
        var target: Int32
        var tag: UInt32
        var arg: Int64
        var arg2: Int64
    }

    public init(name: String, cores: Int, sim: Simulation) {
        self.name = name
        self.cores = max(0, cores)
        self.sim = sim
        handler = sim.register(self)
    }

    /// Bursts waiting for a core.
    public var queued: Int { queue.count - head }

    /// Runs `action` once `process` has had `cost` of one core. A burst of a process that died
    /// meanwhile is dropped without using the CPU.
    public func compute(_ process: NetProcess, _ cost: SimTime, _ action: @escaping () -> Void) {
        submit(Burst(cost: cost, enqueued: sim.now, process: process, incarnation: process.incarnation, queued: cores > 0,
                     action: Int32(actions.store(action)), target: -1, tag: 0, arg: 0, arg2: 0))
    }

    /// `compute` with a value job: `target.computed(tag, arg, arg2)` once the burst is done.
    public func compute(_ process: NetProcess, _ cost: SimTime, _ target: any ComputeTarget, tag: UInt32, _ arg: Int64, _ arg2: Int64 = 0) {
        submit(Burst(cost: cost, enqueued: sim.now, process: process, incarnation: process.incarnation, queued: cores > 0,
                     action: -1, target: targetIndex(target), tag: tag, arg: arg, arg2: arg2))
    }

    /// The index of a value job's target in `targets`, boxed the first time it is named.
    @inline(__always)
    private func targetIndex(_ target: any ComputeTarget) -> Int32 {
        let id = ObjectIdentifier(target)
        if id == lastTarget { return lastTargetIndex }
        return targetIndexSlow(target, id)
    }

    @inline(never)
    private func targetIndexSlow(_ target: any ComputeTarget, _ id: ObjectIdentifier) -> Int32 {
        let i: Int
        if let known = targets.firstIndex(where: { ObjectIdentifier($0.target) == id }) {
            i = known
        } else {
            let box = TargetBox(target)
            targets.append(box)
            targetRefs.append(Unmanaged.passUnretained(box))
            i = targets.count - 1
        }
        lastTarget = id
        lastTargetIndex = Int32(i)
        return lastTargetIndex
    }

    private func submit(_ b: Burst) {
        if cores == 0 {
            busyTime = Time.sum(busyTime, b.cost)
            sim.schedule(after: stretched(b.cost, running: 1, cores: 1), handler, tag: 0, arg: Int64(store(b)))
            return
        }
        queue.append(b)
        dispatch()
    }

    public func setLoad(_ threads: Double) {
        load = max(0, threads)
    }

    private func stretched(_ cost: SimTime, running: Int, cores: Int) -> SimTime {
        guard load > 0 else { return cost }
        let share = (Double(running) + load) / Double(cores)
        return share > 1 ? Time.scaled(cost, by: share) : cost
    }

    /// Always inlined: as a call of its own it cost a call and a copy of the burst per burst.
    @inline(__always)
    private func store(_ b: Burst) -> Int { slots.store(b) }

    private func dispatch() {
        while running < cores, head < queue.count {
            let b = queue[head]
            head += 1
            if head > 256, head * 2 > queue.count { queue.removeFirst(head); head = 0 }
            guard b.process.isAlive, b.process.incarnation == b.incarnation else {
                if b.action >= 0 { _ = actions.take(Int(b.action)) }
                continue
            }
            running += 1
            waitTime = Time.sum(waitTime, sim.now - b.enqueued)
            busyTime = Time.sum(busyTime, b.cost)
            sim.schedule(after: stretched(b.cost, running: running, cores: cores), handler, tag: 0, arg: Int64(store(b)))
        }
    }

    /// A burst's end.
    public func handle(_ event: Event, in sim: Simulation) {
        // Its slot freed before the dispatch below, as the array's free list had it.
        guard let b = slots.take(Int(event.arg)) else { return }
        let action = b.action >= 0 ? actions.take(Int(b.action)) : nil
        if b.queued {
            running -= 1
            dispatch()
            guard b.process.incarnation == b.incarnation else { return }
        }
        // A stopped program goes on where it was when it runs again (SIGCONT).
        if let action {
            b.process.whenRunnable(action)
        } else if b.target >= 0 {
            if b.process.isPaused {
                let box = targets[Int(b.target)], tag = b.tag, arg = b.arg, arg2 = b.arg2
                b.process.whenRunnable { box.target.computed(tag, arg, arg2) }
            } else {
                targetRefs[Int(b.target)]._withUnsafeGuaranteedRef { $0.target.computed(b.tag, b.arg, b.arg2) }
            }
        }
    }

    public func simulationDidClose() {
        queue.removeAll()
        slots.removeAll()
        actions.removeAll()
        targetRefs.removeAll()
        targets.removeAll()
        lastTarget = nil
        lastTargetIndex = -1
    }
}

/// A value job's target in an immutable field, so that a call through the box is at +0.
final class TargetBox {
    let target: any ComputeTarget
    init(_ target: any ComputeTarget) { self.target = target }
}

/// One thread of a process (gcomm's receive thread, a commit queue): its bursts run one after
/// another in the order they were submitted, each on a core of the host's machine. A burst of
/// zero cost on an idle thread runs at once, so a thread whose steps are all free behaves as a
/// plain function call.
public final class ProcessThread {
    public unowned let process: NetProcess
    let machine: Machine
    private var jobs: [(cost: SimTime, action: () -> Void)] = []
    private var head = 0
    private var busy = false
    private var generation: UInt32

    public init(_ process: NetProcess, on machine: Machine) {
        self.process = process
        self.machine = machine
        self.generation = process.incarnation
    }

    public func run(_ cost: SimTime, _ action: @escaping () -> Void) {
        if generation != process.incarnation { reset() }
        if !busy && head == jobs.count && cost == 0 { action(); return }
        jobs.append((cost, action))
        if !busy { next() }
    }

    private func reset() {
        jobs.removeAll(keepingCapacity: true)
        head = 0
        busy = false
        generation = process.incarnation
    }

    private func next() {
        guard head < jobs.count else {
            busy = false
            if head > 0 { jobs.removeAll(keepingCapacity: true); head = 0 }
            return
        }
        busy = true
        let job = jobs[head]
        head += 1
        let g = generation
        if job.cost == 0 { job.action(); next(); return }
        machine.compute(process, job.cost) { [unowned(unsafe) self] in
            guard self.generation == g else { return }
            job.action()
            self.next()
        }
    }
}
