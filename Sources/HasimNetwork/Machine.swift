import HasimKernel

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
public final class Machine {
    public let name: String
    public let cores: Int
    let sim: Simulation
    private var running = 0
    private var queue: [Burst] = []
    private var head = 0
    /// CPU-bound background threads (the overload fault).
    public private(set) var load = 0.0
    /// Core time the bursts used and time they waited for a core (for tests and traces).
    public private(set) var busyTime: SimTime = 0
    public private(set) var waitTime: SimTime = 0
    /// The disk its hosts' files are on (Disk.swift): shared by the hosts placed on it.
    public private(set) lazy var disk = DiskDevice(sim: sim)

    private struct Burst {
        var cost: SimTime
        var enqueued: SimTime
        unowned var process: NetProcess
        var incarnation: UInt32
        var action: () -> Void
    }

    public init(name: String, cores: Int, sim: Simulation) {
        self.name = name
        self.cores = max(0, cores)
        self.sim = sim
    }

    /// Bursts waiting for a core.
    public var queued: Int { queue.count - head }

    /// Runs `action` once `process` has had `cost` of one core. A burst of a process that died
    /// meanwhile is dropped without using the CPU.
    public func compute(_ process: NetProcess, _ cost: SimTime, _ action: @escaping () -> Void) {
        if cores == 0 {
            busyTime = Time.sum(busyTime, cost)
            // A stopped program goes on where it was when it runs again (SIGCONT).
            sim.after(stretched(cost, running: 1, cores: 1)) { process.whenRunnable(action) }
            return
        }
        queue.append(Burst(cost: cost, enqueued: sim.now, process: process, incarnation: process.incarnation, action: action))
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

    private func dispatch() {
        while running < cores, head < queue.count {
            let b = queue[head]
            head += 1
            if head > 256, head * 2 > queue.count { queue.removeFirst(head); head = 0 }
            guard b.process.isAlive, b.process.incarnation == b.incarnation else { continue }
            running += 1
            waitTime = Time.sum(waitTime, sim.now - b.enqueued)
            busyTime = Time.sum(busyTime, b.cost)
            sim.after(stretched(b.cost, running: running, cores: cores)) { [unowned self] in
                self.running -= 1
                self.dispatch()
                if b.process.incarnation == b.incarnation { b.process.whenRunnable(b.action) }
            }
        }
    }
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
