import Testing
import HasimKernel
import HasimStore
@testable import HasimReport

/// A database lane's state follows the node's own trace, including a mysqld stopped on purpose.
@Suite struct TimelineStatesTests {
    /// DRBD's passive node: the cluster manager stops the mysqld it started at boot. The lane
    /// must not say "starting" for the whole run (it did before mysql_stopped was a state).
    @Test func aStandbyWhoseMysqldWasStoppedIsNotStarting() {
        let end = Time.s(120)
        let rows = [TimelineRow(time: 0, node: "db2", kind: "mysql_starting", detail: ""),
                    TimelineRow(time: Time.ms(5), node: "db2", kind: "mysql_stopped", detail: "")]
        let (states, _) = TimelineModel.databaseStates(rows, end: end)
        let starting = states.filter { $0.state == "starting" }.map { $0.end - $0.start }.reduce(0, +)
        #expect(starting <= Time.ms(5))
        #expect(states.last?.label == "mysqld stopped" && states.last?.end == end)
        // Flip: without the stop, the lane stays "starting" to the end.
        let (open, _) = TimelineModel.databaseStates(Array(rows.prefix(1)), end: end)
        #expect(open.last?.state == "starting" && open.last?.end == end)
    }
}
