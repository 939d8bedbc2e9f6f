import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimWorkload
import HasimResults

/// A UDP client through a VIP (`workload: {protocol: udp}`), the story of
/// validation/experiments/vip_udp.py: app1 sends a datagram to the VIP every 50 ms, an echo on
/// each db host answers with its name; db1's host dies at 10 s, db2 raises the VIP at 11 s.
/// UDP never confirms the client's neighbour entry, so what decides when db2 answers is the
/// entry's own clock: reachable_time (15–45 s, a seeded draw) from its creation, DELAY 5 s,
/// three unicast probes 1 s apart, then a broadcast. Lognormal link latencies, ten seeds.
@Suite struct UDPClientTests {
    static let text: String = {
        (try? String(contentsOfFile: repoRoot + "/validation/scenarios/vip-no-garp-udp.yaml", encoding: .utf8)) ?? ""
    }()

    struct NoUDPClient: Error {}

    /// Per seed: (VIP raised on db2, first reply from db2, the UDP client's log).
    static func run(_ text: String) throws -> [(raised: SimTime, db2: SimTime?, log: DatagramLog)] {
        let s = try ScenarioLoader.load(text: text, file: "vip-no-garp-udp.yaml")
        return try s.seeds.map { seed in
            let o = try ScenarioRunner.run(s, seed: seed)
            let raised = try #require(o.trace.first { $0.kind.name == "vip_acquire" && $0.node == "db2" }).time
            guard let log = o.datagrams.first else { throw NoUDPClient() }
            return (raised, log.firstReply(from: "db2", atOrAfter: 0), log)
        }
    }

    @Test func withoutAGARPTheClientWaitsForItsEntryToFailAndNoTrafficKeepsItReachable() throws {
        let runs = try Self.run(Self.text)
        #expect(runs.count == 10)
        for (i, r) in runs.enumerated() {
            guard let db2 = r.db2 else { Issue.record("seed \(i + 1): db2 never answered"); continue }
            // Created by the first datagram (t < 50 ms) and never confirmed: REACHABLE ends
            // 15–45 s later, then DELAY 5 s and PROBE 3 s, then the broadcast db2 answers.
            #expect(db2 >= Time.s(15 + 8) && db2 <= Time.s(45 + 8) + Time.ms(100), "seed \(i + 1): db2 first at \(Time.format(db2))")
            // Before the fault db1 answered every datagram (a live holder answers the probes of a
            // used, unconfirmed entry: PROBE turns it REACHABLE again, no reply is lost).
            let beforeFault = r.log.sent.filter { $0 < Time.s(10) - Time.ms(5) }.count
            #expect(r.log.replies.filter { $0.at < Time.s(10) }.count == beforeFault, "seed \(i + 1)")
            // Nothing answered between the crash and db2: the datagrams went to db1's MAC and were lost.
            #expect(r.log.longestSilence(from: Time.s(10), to: Time.s(80)) >= db2 - Time.s(10) - Time.ms(1))
        }
        // The phase of reachable_time matters: the seeds spread over most of its 30 s range.
        let waits = runs.compactMap { $0.db2.map { Time.seconds($0 - Time.s(11)) } }
        #expect((waits.max() ?? 0) - (waits.min() ?? 0) > 10, "\(waits)")
    }

    @Test func aGratuitousARPBringsTheFirstReplyFromDB2WithinASecond() throws {
        // The flip: the same story with `arping -U` after `ip addr add`.
        let garp = Self.text.replacingOccurrences(of: "gratuitous_arp: false", with: "gratuitous_arp: true")
        #expect(garp != Self.text)
        for (i, r) in try Self.run(garp).enumerated() {
            guard let db2 = r.db2 else { Issue.record("seed \(i + 1): db2 never answered"); continue }
            // The GARP lands 10 ms after the VIP; the next datagram (<= 50 ms) goes to db2.
            #expect(db2 - r.raised <= Time.ms(100), "seed \(i + 1): \(Time.format(db2 - r.raised))")
        }
    }

    @Test func aTCPClientOnTheSameHostKeepsTheEntryConfirmedUntilTheFault() throws {
        // The other flip: a MySQL group on app1 writing through the VIP confirms the shared
        // entry with every acknowledgement (dst_confirm), so reachable_time counts from the
        // crash at 10 s, not from the first datagram: db2 answers no earlier than 10 + 15 + 8 s.
        let udpOnly = try Self.run(Self.text).compactMap(\.db2)
        let withTCP = try Self.run(Self.withTCPGroup(Self.text)).compactMap(\.db2)
        #expect(withTCP.count == 10)
        for t in withTCP { #expect(t >= Time.s(10 + 15 + 8) - Time.ms(200), "db2 first at \(Time.format(t))") }
        #expect(udpOnly.contains { $0 < Time.s(10 + 15 + 8) - Time.ms(200) }, "UDP alone: \(udpOnly.map(Time.format))")
    }

    /// The scenario with a list of two groups: a MySQL one, then the UDP client.
    static func withTCPGroup(_ text: String) -> String {
        let udp = """
            workload:
              - {client: app1, writes_per_second: 50, retries: 0}
              - {client: app1, protocol: udp, datagram_interval: 50ms, udp_port: 9}
            faults:
            """
        guard let a = text.range(of: "workload:"), let b = text.range(of: "faults:") else { return text }
        return text.replacingCharacters(in: a.lowerBound..<b.upperBound, with: udp)
    }

    static func issues(_ text: String) -> String? {
        do { _ = try ScenarioLoader.load(text: text, file: "udp.yaml"); return nil } catch { return "\(error)" }
    }

    @Test func theUDPKeysAreCheckedWithTheirPlaceAndAHint() throws {
        let group = "  protocol: udp\n  datagram_interval: 50ms\n  udp_port: 9\n"
        #expect(Self.issues(Self.text) == nil)
        // An SQL key in a UDP group, a UDP key in a MySQL group, an unknown protocol, a bad port.
        let sql = try #require(Self.issues(Self.text.replacingOccurrences(of: group, with: group + "  pool_size: 4\n")))
        #expect(sql.contains("udp.yaml:35:3: error: workload.pool_size applies to a MySQL client; this group has protocol: udp"), "\(sql)")
        let mysql = try #require(Self.issues(Self.text.replacingOccurrences(of: "  protocol: udp\n", with: "")))
        #expect(mysql.contains("workload.datagram_interval applies to a UDP client only") && mysql.contains("hint: add 'protocol: udp'"), "\(mysql)")
        let tcp = try #require(Self.issues(Self.text.replacingOccurrences(of: "protocol: udp", with: "protocol: tcp")))
        #expect(tcp.contains("unknown protocol 'tcp' in workload.protocol") && tcp.contains("one of: mysql (default), udp"), "\(tcp)")
        let port = try #require(Self.issues(Self.text.replacingOccurrences(of: "udp_port: 9", with: "udp_port: 70000")))
        #expect(port.contains("workload.udp_port is 70000, outside 1...65535"), "\(port)")
        // A DNS front door gives the UDP client no IP address to send to: refused, unless the
        // group names one itself.
        let dns = Self.text.replacingOccurrences(of: "vip: {address: 10.0.0.100, site: idc1, holder: db1}", with: "dns: {name: db.service.local, ttl: 5s}")
            .replacingOccurrences(of: "strategy: vip-manual", with: "strategy: manual")
            .replacingOccurrences(of: "gratuitous_arp: false, ", with: "front_door: dns, ")
        let dnsIssues = try #require(Self.issues(dns))
        #expect(dnsIssues.contains("a protocol: udp workload group cannot go through a DNS or proxy front door"), "\(dnsIssues)")
        #expect(Self.issues(dns.replacingOccurrences(of: "  protocol: udp\n", with: "  address: db1\n  protocol: udp\n")) == nil)
    }

    @Test func aUDPGroupSurvivesTheResolvedScenarioRoundTrip() throws {
        // Stored runs keep the resolved scenario (ScenarioYAML): a UDP group must load again as itself.
        let s = try ScenarioLoader.load(text: Self.text, file: "vip-no-garp-udp.yaml")
        #expect(s.workload.udp == UDPClientSpec())
        #expect(s.workload.writesPerSecond == 0)
        let again = try ScenarioLoader.load(text: ScenarioYAML.emit(s), file: "resolved.yaml")
        #expect(again.workloads == s.workloads)
    }

    @Test func theUDPSilenceMetricIsTheStretchFromTheCrashToDB2() throws {
        let s = try ScenarioLoader.load(text: Self.text, file: "vip-no-garp-udp.yaml")
        let o = try ScenarioRunner.run(s, seed: 3)
        guard let db2 = o.datagrams.first?.firstReply(from: "db2", atOrAfter: 0) else {
            Issue.record("db2 never answered")
            return
        }
        let silence = try #require(MetricsCalculator.report(o).metric("udp_silence"))
        // db1 answered until its host died at 10 s (its last reply within one interval before).
        #expect(silence >= Time.seconds(db2 - Time.s(10)) && silence <= Time.seconds(db2 - Time.s(10) + Time.ms(60)), "\(silence)")
        // The flip: with a gratuitous ARP the silence ends with the VIP on db2 (1-2 s after the
        // crash: the DBA's check cycle), the GARP 10 ms later and the next datagram.
        let garp = try ScenarioLoader.load(text: Self.text.replacingOccurrences(of: "gratuitous_arp: false", with: "gratuitous_arp: true"), file: "g.yaml")
        let og = try ScenarioRunner.run(garp, seed: 3)
        let raised = try #require(og.trace.first { $0.kind.name == "vip_acquire" && $0.node == "db2" }).time
        let g = try #require(MetricsCalculator.report(og).metric("udp_silence"))
        #expect(g >= Time.seconds(raised - Time.s(10)) && g <= Time.seconds(raised - Time.s(10) + Time.ms(100)), "\(g)")
        #expect(g < 3 && silence > 10)
    }
}
