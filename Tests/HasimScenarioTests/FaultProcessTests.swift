import Foundation
import HasimKernel
import HasimScenario
import Testing

/// An MHA pair with its manager host (also the base of SweepTests).
let mhaPairScenario = """
name: t
duration: 10h
topology:
  sites:
    idc1: [db1, db2, app1, mon1]
  databases:
    db1: {role: primary}
    db2: {role: replica, source: db1}
architecture:
  strategy: mha
  options: {manager_host: mon1}
workload:
  client: app1
  writes_per_second: 5
"""
private let base = mhaPairScenario

/// `fault_processes:` — random failures per component class (issue 15, item 1).
@Suite struct FaultProcessTests {
    @Test func readsProcessesWithDefaultsAndOverrides() throws {
        let s = try ScenarioLoader.load(text: base + """

            fault_processes:
              host: {afr: 2, mttr: 10m, repair_sigma: 0}
              disk: {}
              manager: {mtbf: 4380h}
            """, file: "t.yaml")
        #expect(s.faultProcesses.map(\.component) == [.host, .disk, .manager])
        #expect(s.faultProcesses[0].afr == 2 && s.faultProcesses[0].mttr == 10 * Time.minute)
        #expect(s.faultProcesses[1] == FaultProcessSpec.defaultSpec(.disk).with(mark: s.faultProcesses[1].mark))
        #expect(abs(s.faultProcesses[2].afr - 2) < 1e-12, "mtbf 4380h is two failures a year")
        let targets = FaultTargets(s)
        #expect(targets.databases == ["db1", "db2"] && targets.managers == ["mon1"])
    }

    @Test func badValuesAreReportedWithTheirPlace() {
        let all = issues(base + """

            fault_processes:
              hots: {afr: 1}
              host: {afr: -1, mttr: 10}
              disk: {afr: 1, mtbf: 100h}
            """)
        let text = all.map(\.description)
        #expect(all.count == 4, "\(text)")
        #expect(text.contains { $0.contains("t.yaml:16:3") && $0.contains("unknown key 'hots'") && $0.contains("did you mean 'host'") })
        #expect(text.contains { $0.contains("t.yaml:17:15") && $0.contains("greater than 0") })
        #expect(text.contains { $0.contains("t.yaml:17:25") && $0.contains("bare number") })
        #expect(text.contains { $0.contains("t.yaml:18:24") && $0.contains("both afr and mtbf") })
    }

    /// A class with nothing to break in the topology is refused at its key.
    @Test func aClassWithoutTargetsIsRefused() {
        let issue = onlyIssue(base + "\nfault_processes:\n  site_partition: {}\n")
        #expect(issue?.description.hasPrefix("t.yaml:16:3: error: fault_processes.site_partition needs two sites") == true)
        let manual = base.replacingOccurrences(of: "strategy: mha\n  options: {manager_host: mon1}", with: "strategy: manual")
        let noManager = onlyIssue(manual + "\nfault_processes:\n  manager: {}\n")
        #expect(noManager?.description.contains("names no manager") == true)
    }

    /// The draws depend only on (seed, component, target): the same seed gives the same
    /// faults, another seed others, and adding a process does not move the first one's.
    @Test func drawnFaultsAreDeterministicAndIndependent() throws {
        let one = try ScenarioLoader.load(text: base + "\nfault_processes:\n  host: {afr: 5000, mttr: 5m}\n", file: "t.yaml")
        let two = try ScenarioLoader.load(text: base + "\nfault_processes:\n  host: {afr: 5000, mttr: 5m}\n  mysqld: {afr: 5000}\n",
                                          file: "t.yaml")
        let a = one.faults(seed: 7), b = one.faults(seed: 7), c = one.faults(seed: 8)
        #expect(a == b)
        #expect(a != c)
        #expect(!a.isEmpty && a.allSatisfy { $0.at < one.duration })
        let hostFaults = two.faults(seed: 7).filter { if case .hostCrash = $0.kind { return true }; return false }
        #expect(hostFaults == a)
    }

    /// Weibull and exponential both have the mean the AFR implies; the Weibull of shape 0.7
    /// (disks, Schroeder & Gibson FAST'07) is burstier: a larger coefficient of variation.
    @Test func timeToFailureHasTheConfiguredMean() {
        func stats(_ p: FaultProcessSpec) -> (mean: Double, cv: Double) {
            var rng = SimRandom(seed: 42)
            let xs = (0..<200_000).map { _ in p.timeToFailure(&rng) / Double(FaultProcessSpec.year) }
            let m = xs.reduce(0, +) / Double(xs.count)
            let sd = (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)).squareRoot()
            return (m, sd / m)
        }
        let exp = stats(FaultProcessSpec(component: .disk, afr: 0.5, mttr: Time.hour))
        let weib = stats(FaultProcessSpec(component: .disk, afr: 0.5, shape: 0.7, mttr: Time.hour))
        #expect(abs(exp.mean - 2) < 0.03 && abs(exp.cv - 1) < 0.02)
        #expect(abs(weib.mean - 2) < 0.05)
        #expect(weib.cv > 1.3, "Weibull 0.7: CV ≈ 1.46")
        var rng = SimRandom(seed: 1)
        let p = FaultProcessSpec(component: .host, afr: 1, mttr: 6 * Time.hour, repairSigma: 1.5)
        let repairs = (0..<100_000).map { _ in Double(p.repairTime(&rng)) / Double(Time.hour) }
        #expect(abs(repairs.reduce(0, +) / Double(repairs.count) - 6) < 0.3, "lognormal with mean mttr")
    }
}

extension FaultProcessSpec {
    func with(mark: SourceMark?) -> FaultProcessSpec {
        var s = self
        s.mark = mark
        return s
    }
}
