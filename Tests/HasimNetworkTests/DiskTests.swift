import Testing
import HasimKernel
@testable import HasimNetwork

/// The machine's disk (Disk.swift): a flush covers every sync request queued before it started;
/// a lone writer sees exactly its own fsync's time.
@Suite struct DiskTests {
    @Test func aLoneWriterSeesItsOwnFsyncTime() {
        let sim = Simulation(seed: 1)
        let disk = DiskDevice(sim: sim)
        disk.streaming = 0.3
        var done: [SimTime] = []
        // Sync, then sync again from the completion (redo, then binlog): never queued, never cheaper.
        disk.sync(cost: Time.ms(3), typical: Time.ms(3), since: 0) {
            done.append(sim.now)
            disk.sync(cost: Time.ms(5), typical: Time.ms(5), since: sim.now) { done.append(sim.now) }
        }
        sim.run()
        #expect(done == [Time.ms(3), Time.ms(8)])
        #expect(disk.flushes == 2)
    }

    @Test func requestsArrivingDuringAFlushShareTheNext() {
        let sim = Simulation(seed: 1)
        let disk = DiskDevice(sim: sim)
        var done: [SimTime] = Array(repeating: -1, count: 4)
        disk.sync(cost: Time.ms(4), typical: Time.ms(3), since: 0) { done[0] = sim.now }
        for i in 1...3 {
            sim.after(Time.ms(Int64(i))) {
                // An append among overwrites: the flush takes the append's draw (its journal commit).
                let append = i == 2
                disk.sync(cost: append ? Time.ms(6) : Time.ms(2), typical: append ? Time.ms(5) : Time.ms(3), since: sim.now) { done[i] = sim.now }
            }
        }
        sim.run()
        // The first alone (4 ms); the three that queued meanwhile in one flush of the append's 6 ms.
        #expect(done == [Time.ms(4), Time.ms(10), Time.ms(10), Time.ms(10)])
        #expect(disk.flushes == 2 && disk.requests == 4)
    }

    @Test func aFlushBackToBackTakesTheStreamingFraction() {
        // Flip: the same queue with streaming 1 (no saving) and 0.5.
        func run(_ streaming: Double, perRequest: SimTime = 0) -> SimTime {
            let sim = Simulation(seed: 1)
            let disk = DiskDevice(sim: sim)
            disk.streaming = streaming
            disk.perRequest = perRequest
            var last: SimTime = 0
            disk.sync(cost: Time.ms(4), typical: Time.ms(4), since: 0) {}
            sim.after(Time.ms(1)) {
                for _ in 0..<3 { disk.sync(cost: Time.ms(4), typical: Time.ms(4), since: sim.now) { last = sim.now } }
            }
            sim.run()
            return last
        }
        #expect(run(1) == Time.ms(8))
        #expect(run(0.5) == Time.ms(6), "queued when the first flush ended: the device never went idle")
        #expect(run(0.5, perRequest: Time.us(100)) == Time.us(6200), "two requests beyond the first")
    }

    @Test func hostsOnOneMachineShareItsDisk() {
        let sim = Simulation(seed: 1)
        let net = Network(sim: sim)
        let a = net.addHost("a", site: "s"), b = net.addHost("b", site: "s"), c = net.addHost("c", site: "s")
        #expect(a.machine.disk !== b.machine.disk, "a host of its own has a disk of its own")
        net.place([a, b], onMachine: "m", cores: 2)
        #expect(a.machine.disk === b.machine.disk)
        #expect(c.machine.disk !== a.machine.disk)
    }
}
