import HasimKernel
import HasimNetwork

/// Membership (gcomm EVS) and the Primary Component (gcomm PC).
///
/// Every `evs.inactive_check_period` a member looks at when it last heard from each peer: one
/// silent for `evs.suspect_timeout` is suspected and, having sent no join, declared inactive
/// (evs_proto.cpp check_inactive). Only this check changes what a member believes: a peer that
/// went silent a moment ago still counts as operational until the member's own next check.
/// A member whose check finds a change starts a round (shift to GATHER): it stops sending and
/// sends every member of its proposal a join with its state, including the write-sets it has
/// received and not delivered. Joins are handled, and consensus looked for, when a peer's join
/// arrives or when the member retransmits its own on `evs.join_retrans_period`; a member whose
/// proposal changed between two joins tells the others only at its next send (at most one join
/// per 100 ms). The new view is installed when every proposed member's join proposes the same
/// membership. So a silent member leaves the view `suspect_timeout` + up to one check period +
/// about one join retransmission after it stopped (real Galera 4: 6.1-6.6 s with the defaults).
/// Every member then computes the same things from the same joins: the undelivered write-sets
/// of the old view (their union, in total order), and whether the new component is Primary
/// (pc.weight quorum against the most recent Primary Component any member knows).
extension GaleraNode {
    /// Self plus every peer heard from within evs.suspect_timeout and not refusing us.
    func alivePeers() -> [Int] {
        var alive: [Int] = []
        for j in peers.indices {
            if j == index { alive.append(j); continue }
            guard lastHeard[j] >= 0, sim.now - lastHeard[j] < config.suspectTimeout, sim.now >= excludedUntil[j] else { continue }
            alive.append(j)
        }
        return alive
    }

    /// What this member's join proposes now: the peers it hears, plus the members of its view
    /// (or proposal) that went silent but that its last inactivity check did not yet suspect.
    func operationalPeers() -> [Int] {
        var ops: [Int] = []
        for j in peers.indices {
            let bit: UInt64 = 1 << UInt64(j)
            let heard = j == index || (lastHeard[j] >= 0 && sim.now - lastHeard[j] < config.suspectTimeout && sim.now >= excludedUntil[j])
            let known = viewMask & bit != 0 || (installing && proposal.contains(j))
            if heard || (known && suspectedMask & bit == 0 && sim.now >= excludedUntil[j]) { ops.append(j) }
        }
        return ops
    }

    func checkMembership() {
        guard state != .down else { return }
        let alive = alivePeers()
        suspectedMask = 0
        for j in peers.indices where !alive.contains(j) { suspectedMask |= 1 << UInt64(j) }
        for j in peers.indices where j != index && !alive.contains(j) && out[j] != nil
            && sim.now - lastHeard[j] >= config.suspectTimeout && sim.now - connectedAt[j] >= config.suspectTimeout {
            redial(j)  // the path is dead as far as we know
        }
        if installing {
            if sim.now - roundStarted >= config.installTimeout {
                // evs.install_timeout: members that never agreed are left out of this round.
                let agreeing = proposal.filter { $0 == index || joins[$0]?.proposal == proposal }
                for j in proposal where !agreeing.contains(j) {
                    excludedUntil[j] = sim.now + config.suspectTimeout
                    redial(j)
                }
                roundStarted = sim.now
                sendJoin(agreeing, handle: true)
            }
            // Otherwise a changed belief waits for the next join this member sends.
        } else if alive != view || bootstrapRequested {
            // shift_to(S_GATHER, true): the join goes out; its own join is not handled here.
            sendJoin(alive, handle: false)
        }
    }

    /// pc.bootstrap=YES on this node: its current component becomes a new Primary Component.
    public func bootstrap() {
        guard state != .down else { return }
        sim.record(name, .galeraBootstrap, "pc.bootstrap=YES (view \(view.map { peers[$0].name }.joined(separator: ",")))")
        bootstrapRequested = true
        sendJoin(installing ? proposal : view, handle: true)
    }

    /// Sends this member's join proposing `p` (entering GATHER if it was operational) and, with
    /// `handle`, looks for consensus as handle_join does.
    func sendJoin(_ p: [Int], handle: Bool) {
        if !installing {
            installing = true
            roundStarted = sim.now
            gather += 1
            retransmitJoin(life, gather)
        }
        proposal = p
        round += 1
        lastJoinSent = sim.now
        let j = GJoin(from: index, proposal: p, round: round, clock: clock, viewID: viewID, primaryView: primaryView, restored: restoredView,
                      synced: isPrimary && (state == .synced || state == .donor) && !transferring,
                      seqno: lastSeqno, gcacheFrom: gcache.from(next: lastSeqno + 1),
                      pending: undelivered, bootstrap: bootstrapRequested)
        joins[index] = j
        broadcast(j, to: p)
        if handle { tryInstall() }
    }

    /// evs.join_retrans_period: while a round lasts, the member sends its join again (with what
    /// it believes now) and handles it.
    private func retransmitJoin(_ l: Int64, _ g: Int64) {
        afterRunnable(config.joinRetransPeriod) { [unowned(unsafe) self] in
            guard self.life == l, self.installing, self.gather == g, self.state != .down else { return }
            self.sendJoin(self.operationalPeers(), handle: true)
            self.retransmitJoin(l, g)
        }
    }

    func joinReceived(_ j: GJoin) {
        // A join of the round that produced our current view, arriving late: nothing new.
        if !installing && j.proposal == view && j.viewID < viewID { return }
        joins[j.from] = j
        if !j.proposal.contains(index) {
            // The sender does not hear us: what we send it is lost on a dead connection.
            redial(j.from)
        }
        let mine = operationalPeers()
        if !installing {
            sendJoin(mine, handle: true)
        } else if mine != proposal && sim.now - lastJoinSent >= GaleraConfig.joinRateLimit {
            sendJoin(mine, handle: true)
        } else {
            tryInstall()
        }
    }

    private func tryInstall() {
        guard installing else { return }
        for m in proposal { guard let jm = joins[m], jm.proposal == proposal else { return } }
        install(proposal.map { joins[$0]! })
    }

    private func install(_ js: [GJoin]) {
        let members = proposal
        let newViewID = (js.map(\.viewID).max() ?? viewID) + 1
        // The previous Primary Component: the most recent one a member lived in. Views read back
        // from gvwstate.dat by restarted nodes count only when no member lived one (pc.recovery),
        // and then only if every member of it is back.
        let live = js.filter { !$0.restored }
        let prev = (live.isEmpty ? js : live).map(\.primaryView).max { $0.id < $1.id }!
        let weight = { (ms: [Int]) in ms.reduce(0) { $0 + self.peers[$1].config.weight } }
        let w = weight(members.filter { prev.members.contains($0) })
        let total = weight(prev.members)
        let booter = js.first { $0.bootstrap }
        // pc_proto.cpp have_quorum: strictly more than half the weight of the previous Primary
        // Component (no member left gracefully here: crashes and partitions are not graceful).
        let quorum = live.isEmpty ? prev.members.allSatisfy { members.contains($0) } : 2 * w > total
        let primary = booter != nil || quorum
        let wasMember = isPrimary && primaryView.id == prev.id
        clock = max(clock, js.map(\.clock).max() ?? clock)
        installing = false
        bootstrapRequested = false
        view = members
        viewMask = mask(members)
        viewID = newViewID
        for j in peers.indices { joins[j] = nil }
        pausedBy &= viewMask
        sim.record(name, .galeraView, "view \(members.map { peers[$0].name }.joined(separator: ",")) weight \(w)/\(total) -> \(primary ? "Primary" : "non-Primary")")
        let before = (isPrimary, primaryView.lineage)
        if primary {
            if wasMember {
                // Virtual synchrony: the old view's write-sets that any member received are
                // delivered by every member, in total order, before the new view starts.
                var union: [Stamp: WriteSet] = [:]
                for p in pending.suffix(from: pendingHead) { union[p.stamp] = p.ws }
                for jn in js where jn.primaryView.id == prev.id { for (s, ws) in jn.pending where s > lastDelivered { union[s] = ws } }
                clearPending()
                for s in union.keys.sorted() { deliverOrdered(s, union[s]!) }
            } else {
                clearPending()
            }
            let justStarted = restoredView
            isPrimary = true
            restoredView = false
            // replicator_smm.cpp process_conf_change: safe_to_bootstrap_ = (memb_num == 1).
            safeToBootstrap = members.count == 1
            let lineage = booter.map { "pc\(newViewID)-\(peers[$0.from].name)" } ?? prev.lineage
            primaryView = PrimaryView(id: prev.id + 1, members: members, lineage: lineage)
            if !wasMember { joinPrimary(js, prev: prev, booter: booter, justStarted: justStarted) }
        } else {
            clearPending()
            if isPrimary { leftPrimary() }
            isPrimary = false
        }
        // Acks of old-view write-sets are moot now; acks of the new view's first write-sets may
        // already be here (a member installed first): they are kept.
        // Old-view stamps are at most the joins' clocks; the new view's are above (every member's
        // clock is at least that when it installs), whatever each member received since its join.
        let cut = js.map(\.clock).max() ?? clock
        for s in earlyAcks.keys.sorted() where s.t <= cut { earlyAcks[s] = nil }
        for j in peers.indices where !members.contains(j) { queued[j].removeAll() }
        if before != (isPrimary, primaryView.lineage) { recordWriterGroup() }
        let d = deferred
        deferred.removeAll()
        for (s, ws) in d { received(s, ws) }
        flowChanged()
        deliverReady()
        serveStateRequests()
    }

    /// This node entered a Primary Component it was not synced in: it takes the state from a
    /// synced member (IST when the donor's gcache reaches back to it, else SST). When no member
    /// is synced (whole-cluster recovery, pc.bootstrap of a non-Primary component), the most
    /// advanced member's data (grastate.dat seqno; the bootstrapped node's with pc.bootstrap)
    /// defines the cluster's state and the others take it from there. A node just started whose
    /// committed position is past the group's aborts (GaleraNewCluster.swift).
    private func joinPrimary(_ js: [GJoin], prev: PrimaryView, booter: GJoin?, justStarted: Bool) {
        var donors = js.filter { $0.synced && $0.primaryView.id == prev.id && $0.from != index }
        if donors.isEmpty {
            let best = booter ?? js.max { ($0.seqno, -$0.from) < ($1.seqno, -$1.from) }!
            if best.from == index {
                transferring = false
                setState(.synced)
                return
            }
            donors = [best]
        }
        // A donor that can serve IST is preferred (wsrep_sst_donor unset: Galera picks one).
        let mine = lastSeqno
        if justStarted, abortIfAhead(of: donors.map(\.seqno).max() ?? mine) { return }
        let ist = donors.first { mine >= 0 && mine <= $0.seqno && mine + 1 >= $0.gcacheFrom }
        let donor = (ist ?? donors[0]).from
        setState(.joiner)
        transferring = true
        buffered.removeAll()
        send(GStateRequest(from: index, seqno: mine), to: donor)
    }

    /// The node left the Primary Component: commits waiting for their order fail with 1180;
    /// new statements get 1047.
    private func leftPrimary() {
        for id in trx.sortedIDs { failLocal(id, .errorDuringCommit) }
        clearReplicating()
        held.removeAll()
    }
}
