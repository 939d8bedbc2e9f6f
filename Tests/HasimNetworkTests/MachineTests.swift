import Testing
import HasimKernel
@testable import HasimNetwork

/// The CPU of a machine: bursts queue FIFO for its cores; a host of its own never waits.
@Suite struct MachineTests {
    struct Bench {
        let sim: Simulation
        let net: Network
        let hosts: [Host]
        let procs: [NetProcess]
        init(hosts n: Int, cores: Int?) {
            let sim = Simulation(seed: 1)
            let net = Network(sim: sim)
            let hosts = (1...n).map { net.addHost("h\($0)", site: "s") }
            procs = hosts.map { net.spawn("p", on: $0) }
            if let cores { net.place(hosts, onMachine: "m", cores: cores) }
            self.sim = sim
            self.net = net
            self.hosts = hosts
        }
        /// Every process starts one burst of `cost` at time zero; returns when each finished.
        func burst(_ cost: SimTime) -> [SimTime] {
            var done = Array(repeating: SimTime(-1), count: procs.count)
            for (i, p) in procs.enumerated() {
                p.host.machine.compute(p, cost) { done[i] = self.sim.now }
            }
            sim.run()
            return done
        }
    }

    @Test func hostsOfTheirOwnNeverWait() {
        let b = Bench(hosts: 4, cores: nil)
        #expect(b.burst(Time.ms(1)) == Array(repeating: Time.ms(1), count: 4))
    }

    @Test func sharedCoresServeBurstsInArrivalOrder() {
        // Four 1 ms bursts on two cores: two finish at 1 ms, two at 2 ms.
        let b = Bench(hosts: 4, cores: 2)
        #expect(b.burst(Time.ms(1)) == [Time.ms(1), Time.ms(1), Time.ms(2), Time.ms(2)])
        #expect(b.hosts[0].machine.waitTime == Time.ms(2))
        // Flip: four cores, nobody waits.
        let wide = Bench(hosts: 4, cores: 4)
        #expect(wide.burst(Time.ms(1)) == Array(repeating: Time.ms(1), count: 4))
    }

    @Test func aDeadProcessUsesNoCPU() {
        let b = Bench(hosts: 3, cores: 1)
        var done: [Int] = []
        for (i, p) in b.procs.enumerated() { p.host.machine.compute(p, Time.ms(1)) { done.append(i) } }
        b.net.processDied(b.procs[1])
        b.sim.run()
        // The second burst was dropped when its turn came: the third ran at 1-2 ms, not 2-3 ms.
        #expect(done == [0, 2])
        #expect(b.sim.now == Time.ms(2))
    }

    @Test func backgroundLoadStretchesBursts() {
        // One core, two CPU-bound threads: a burst gets a third of the core.
        let b = Bench(hosts: 1, cores: 1)
        b.hosts[0].machine.setLoad(2)
        #expect(b.burst(Time.ms(1)) == [Time.ms(3)])
        // A host of its own counts as one core per burst.
        let own = Bench(hosts: 1, cores: nil)
        own.hosts[0].machine.setLoad(1)
        #expect(own.burst(Time.ms(1)) == [Time.ms(2)])
    }

    @Test func aThreadRunsItsBurstsOneAfterAnother() {
        let b = Bench(hosts: 1, cores: 4)
        let t = ProcessThread(b.procs[0], on: b.hosts[0].machine)
        var log: [(String, SimTime)] = []
        t.run(Time.ms(1)) { log.append(("a", b.sim.now)) }
        t.run(0) { log.append(("b", b.sim.now)) }
        t.run(Time.ms(1)) { log.append(("c", b.sim.now)) }
        b.sim.run()
        // Four cores, yet one thread: c starts only after a (and the free b) are done.
        #expect(log.map(\.0) == ["a", "b", "c"])
        #expect(log.map(\.1) == [Time.ms(1), Time.ms(1), Time.ms(2)])
    }

    /// Records the value jobs it is handed back.
    final class Recorder: ComputeTarget {
        let sim: Simulation
        var log: [(tag: UInt32, arg: Int64, arg2: Int64, at: SimTime)] = []
        init(sim: Simulation) { self.sim = sim }
        func computed(_ tag: UInt32, _ arg: Int64, _ arg2: Int64) { log.append((tag, arg, arg2, sim.now)) }
    }

    @Test func valueJobsQueueWithClosuresInArrivalOrder() {
        // One core: a closure burst, a value job, a closure: FIFO whatever the kind.
        let b = Bench(hosts: 1, cores: 1)
        let r = Recorder(sim: b.sim)
        let p = b.procs[0], m = b.hosts[0].machine
        var order: [String] = []
        m.compute(p, Time.ms(1)) { order.append("a") }
        m.compute(p, Time.ms(1), r, tag: 7, 42, -3)
        m.compute(p, Time.ms(1)) { order.append("c:\(r.log.count)") }
        b.sim.run()
        #expect(order == ["a", "c:1"])
        #expect(r.log.map(\.tag) == [7] && r.log.map(\.arg) == [42] && r.log.map(\.arg2) == [-3])
        #expect(r.log.map(\.at) == [Time.ms(2)])
        #expect(b.sim.now == Time.ms(3))
        // Flip: a host of its own runs the three at once.
        let own = Bench(hosts: 1, cores: nil)
        let r2 = Recorder(sim: own.sim)
        own.hosts[0].machine.compute(own.procs[0], Time.ms(1)) {}
        own.hosts[0].machine.compute(own.procs[0], Time.ms(1), r2, tag: 7, 42)
        own.sim.run()
        #expect(r2.log.map(\.at) == [Time.ms(1)])
    }

    @Test func aValueJobOfADeadProcessIsDropped() {
        let b = Bench(hosts: 2, cores: 1)
        let r = Recorder(sim: b.sim)
        for (i, p) in b.procs.enumerated() { p.host.machine.compute(p, Time.ms(1), r, tag: 0, Int64(i)) }
        b.net.processDied(b.procs[0])
        b.sim.run()
        // The first burst had its core already: it ends, but its process is gone: nothing runs.
        #expect(r.log.map(\.arg) == [1])
        // Flip: nobody dies, both run.
        let alive = Bench(hosts: 2, cores: 1)
        let r2 = Recorder(sim: alive.sim)
        for (i, p) in alive.procs.enumerated() { p.host.machine.compute(p, Time.ms(1), r2, tag: 0, Int64(i)) }
        alive.sim.run()
        #expect(r2.log.map(\.arg) == [0, 1])
    }

    @Test func aStoppedProgramRunsItsValueJobAtSIGCONT() {
        for stop in [true, false] {
            let b = Bench(hosts: 1, cores: nil)
            let r = Recorder(sim: b.sim)
            let p = b.procs[0]
            p.host.machine.compute(p, Time.ms(1), r, tag: 1, 5)
            if stop {
                b.net.pauseProcess(p, as: "p")
                b.sim.after(Time.ms(10)) { b.net.resumeProcess(p, as: "p") }
            }
            b.sim.run()
            // Stopped: the burst ended at 1 ms, the program ran its step at SIGCONT (10 ms).
            #expect(r.log.map(\.at) == [stop ? Time.ms(10) : Time.ms(1)])
        }
    }
}
