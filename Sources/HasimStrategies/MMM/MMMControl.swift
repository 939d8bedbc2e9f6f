import HasimKernel
import HasimDatabase

// mmm_control on the monitor's host (mysql-mmm 2.2.1 bin/mmm_control, lib/Monitor/Commands.pm):
// move_role writer HOST, and set_passive / set_active as the monitor's maintenance mode.

extension MMMRuntime: OperatorCommands {
    /// move_role writer HOST (Commands.pm move_role): refused unless the target is an ONLINE
    /// master other than the current writer; then the role is orphaned from the old host (its
    /// agent: read_only=1, KILL of the client sessions, ip addr del) and given to the target
    /// (its agent: sync_with_master, read_only=0, ip addr add + send_arp), and the slaves follow
    /// at the new master's current binlog position, as a failover would.
    func switchover(to name: String) {
        guard !passive else {
            record("mmm_mond", .failoverStepFailed, "ERROR: This command is not allowed in passive mode")
            return
        }
        guard let target = masters.first(where: { $0.name == name }), state[name] == "ONLINE" else {
            record("mmm_mond", .failoverStepFailed, "ERROR: Can't move role to host '\(name)': it is not an ONLINE master")
            return
        }
        guard let old = activeMaster, old != target, !moving else {
            record("mmm_mond", .failoverStepFailed, "ERROR: Role 'writer' is already on '\(name)' or being moved")
            return
        }
        record(old.name, .failoverStart, "mmm_control move_role writer \(name)")
        requestedWriter = name
        removeWriterRole(from: old)
    }

    /// set_passive: checks go on, nothing is moved; the status file keeps the roles as they were.
    func beginMaintenance() {
        passive = true
        record("mmm_mond", .failoverStep, "mmm_control set_passive: the monitor is in PASSIVE mode")
    }

    /// set_active: the roles are applied to the states found meanwhile: a writer on a host
    /// that went HARD_OFFLINE is removed and handed to an ONLINE master.
    func endMaintenance() {
        guard passive else { return }
        passive = false
        record("mmm_mond", .failoverStep, "mmm_control set_active: the monitor is ACTIVE again")
        if let w = activeMaster, state[w.name] == "HARD_OFFLINE" || state[w.name] == "AWAITING_RECOVERY" {
            removeWriterRole(from: w)
        } else {
            distributeWriterRole()
        }
    }
}
