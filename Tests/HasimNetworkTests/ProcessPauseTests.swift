import Testing
import HasimKernel
@testable import HasimNetwork

/// kill -STOP / kill -CONT of a program: its host's kernel keeps the connections, queues what
/// arrives and completes new handshakes; the program handles all of it, in order, at SIGCONT.
@Suite struct ProcessPauseTests {
    @Test func aStoppedProgramGetsItsMessagesAndConnectionsAtResumeAndNothingIsReset() throws {
        let w = World()
        let c = try #require(w.connect())
        w.net.pauseProcess(w.server, as: "server")
        w.net.send(Text(text: "one"), on: c, from: .client)
        w.net.send(Text(text: "two"), on: c, from: .client)
        // A new connection while stopped gets no greeting: neither refused nor completed; its
        // connect timeout (5 s) ends it.
        var second: Result<Connection, ConnectError>?
        w.net.connect(from: w.client, to: "b", port: 1, timeout: Time.s(5), delegate: w.clientEnd) { second = $0 }
        w.sim.run(until: w.sim.now + Time.s(4))
        #expect(second == nil)
        w.sim.run(until: w.sim.now + Time.s(26))
        #expect(second.map { if case .failure(.timedOut) = $0 { true } else { false } } == true)
        #expect(w.serverEnd.received.isEmpty, "a stopped program reads nothing")
        #expect(w.serverEnd.accepted.count == 1, "nor accepts")
        #expect(w.clientEnd.closedAt == nil, "no RST, no FIN: the client sees an open connection")
        // One that is still waiting when the program resumes completes then.
        var third: Result<Connection, ConnectError>?
        w.net.connect(from: w.client, to: "b", port: 1, timeout: Time.s(5), delegate: w.clientEnd) { third = $0 }
        w.sim.run(until: w.sim.now + Time.s(1))
        #expect(third == nil)
        let resumedAt = w.sim.now
        w.net.resumeProcess(w.server, as: "server")
        #expect(w.serverEnd.received.map(\.1) == ["one", "two"])
        #expect(w.serverEnd.received.allSatisfy { $0.0 == resumedAt })
        #expect(w.serverEnd.accepted.count == 2, "the waiting connect, accepted at SIGCONT; not the abandoned one")
        w.sim.run(until: w.sim.now + Time.ms(10))
        #expect(third.map { if case .success = $0 { true } else { false } } == true)
        // Running again, it answers as usual.
        w.net.send(Text(text: "reply"), on: c, from: .server)
        w.sim.run(until: w.sim.now + Time.ms(10))
        #expect(w.clientEnd.received.map(\.1) == ["reply"])
    }

    @Test func itsTimersWaitAndAKillEndsWhatItHadQueued() {
        let w = World()
        var fired: [SimTime] = []
        w.net.timer(of: w.server, after: Time.s(1)) { fired.append(w.sim.now) }
        w.net.pauseProcess(w.server, as: "server")
        w.sim.run(until: Time.s(5))
        #expect(fired.isEmpty)
        w.net.resumeProcess(w.server, as: "server")
        #expect(fired == [Time.s(5)], "the overdue timer fires at SIGCONT")
        // Flip: SIGKILL of a stopped program: what it had queued never runs.
        w.net.timer(of: w.server, after: Time.s(1)) { fired.append(w.sim.now) }
        w.net.pauseProcess(w.server, as: "server")
        w.sim.run(until: Time.s(10))
        w.net.processDied(w.server)
        w.net.resumeProcess(w.server, as: "server")
        #expect(fired.count == 1)
    }
}
