//! Log replication: AppendEntries on both sides (§5.3, Figures 6–7).
//!
//! The leader keeps, per follower, `next_index` (what to send next) and
//! `match_index` (what is known to be replicated). Client entries are only
//! added to the leader's log; they travel at the next heartbeat, batched
//! (the course's Project 9). A follower whose consistency check fails
//! answers with a conflict hint and the leader backs up a whole term at a
//! time and retries at once; a follower that is behind gets bounded batches
//! back to back until it has caught up.

use crate::bugs::Bug;
use crate::log::Entry;
use crate::message::{ConflictHint, MessageBody};
use crate::node::Node;
use crate::ready::NodeEvent;
use crate::types::{LogIndex, NodeId, Role, Term};

impl Node {
    /// The heartbeat timer fired: a leader starts a new heartbeat round,
    /// sending every follower what it is missing (or nothing), and re-arms.
    pub fn heartbeat(&mut self) {
        if self.role != Role::Leader {
            return; // a deposed leader's timer dies out
        }
        if let Some(leader) = self.leader.as_mut() {
            leader.round += 1;
        }
        self.broadcast_append_entries();
        self.arm_heartbeat_timer();
        self.serve_ready_reads();
    }

    /// Sends AppendEntries to every follower.
    pub fn broadcast_append_entries(&mut self) {
        for peer in self.config.cluster.peers_of(self.id) {
            self.send_append_entries(peer);
        }
    }

    /// Sends `peer` the entries from its next index on (at most one batch).
    pub(crate) fn send_append_entries(&mut self, peer: NodeId) {
        let Some(leader) = self.leader.as_ref() else {
            return;
        };
        if leader.progress[peer as usize].abandoned {
            return; // only Bug::StopSendingAfterReject gives up on a follower
        }
        debug_assert!(
            leader.progress[peer as usize].next_index <= self.log.last_index() + 1
                || !self.config.bugs.is_empty()
        );
        let next_index = leader.progress[peer as usize]
            .next_index
            .min(self.log.last_index() + 1);
        let prev_log_index = next_index - 1;
        let prev_log_term = self.log.term_at(prev_log_index).unwrap_or_default();
        let entries = self
            .log
            .slice_from(next_index, self.config.cluster.max_entries_per_append)
            .to_vec();
        let body = MessageBody::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
            round: leader.round,
        };
        self.send(peer, body);
    }

    /// Follower side of AppendEntries.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn handle_append_entries(
        &mut self,
        leader: NodeId,
        term: Term,
        prev_log_index: LogIndex,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: LogIndex,
        round: u64,
    ) {
        if !self.accept_request_term(term) {
            self.answer_append(leader, false, 0, None, term, round);
            return;
        }
        if self.role == Role::Candidate {
            self.become_follower(term); // someone else won this term
        }
        if self.role == Role::Leader {
            // Two leaders in one term: impossible in correct Raft, reachable
            // with planted vote bugs. Step down rather than corrupt leader
            // state, so the trial runs on and the checker reports it.
            debug_assert!(!self.config.bugs.is_empty(), "two leaders in term {term}");
            self.become_follower(term);
        }
        self.leader_hint = Some(leader);
        self.heard_from_leader = true;

        if !self.log.matches(prev_log_index, prev_log_term) {
            if self.config.bugs.has(Bug::CommitOnRejectedAppend) {
                // planted: takes leaderCommit over entries nobody verified
                self.follow_leader_commit(leader_commit, self.log.last_index());
            }
            let conflict = self.conflict_hint(prev_log_index);
            self.answer_append(leader, false, 0, Some(conflict), term, round);
            return;
        }
        let last_new_index = prev_log_index + entries.len() as LogIndex;
        let earlier_writes = self.ready.log_writes.len();
        self.store_entries(prev_log_index, entries);
        if self.config.bugs.has(Bug::AckBeforePersist) {
            // planted: write-behind; the ack below leaves before the disk
            // holds what it acknowledges (written at the next step)
            let deferred = self.ready.log_writes.drain(earlier_writes..);
            self.unsynced.extend(deferred);
        }
        self.follow_leader_commit(leader_commit, last_new_index);
        self.answer_append(leader, true, last_new_index, None, term, round);
    }

    #[allow(clippy::too_many_arguments)]
    fn answer_append(
        &mut self,
        leader: NodeId,
        success: bool,
        match_index: LogIndex,
        conflict: Option<ConflictHint>,
        request_term: Term,
        round: u64,
    ) {
        self.send(
            leader,
            MessageBody::AppendEntriesResponse {
                success,
                match_index,
                conflict,
                request_term,
                round,
            },
        );
    }

    /// Where this log diverges from a leader's prevLogIndex.
    fn conflict_hint(&self, prev_log_index: LogIndex) -> ConflictHint {
        match self.log.term_at(prev_log_index) {
            None => ConflictHint {
                term: None,
                first_index: self.log.last_index() + 1,
            },
            Some(term) => ConflictHint {
                term: Some(term),
                first_index: self.log.first_index_of_term_at(prev_log_index),
            },
        }
    }

    /// Stores entries that follow `prev_log_index`. An existing entry is
    /// replaced only if it conflicts (same index, different term), and then
    /// it and everything after it go; matching entries are kept, and so is
    /// anything after them: a delayed, shorter AppendEntries must never
    /// erase entries a later one already delivered.
    fn store_entries(&mut self, prev_log_index: LogIndex, entries: Vec<Entry>) {
        if self.config.bugs.has(Bug::TruncateWithoutConflict) {
            // planted: always cut after prevLogIndex, then append everything
            self.truncate_own_log(prev_log_index + 1);
            for entry in entries {
                self.append_to_own_log(entry);
            }
            return;
        }
        for (offset, entry) in entries.into_iter().enumerate() {
            let index = prev_log_index + 1 + offset as LogIndex;
            match self.log.term_at(index) {
                Some(existing) if existing == entry.term => continue,
                Some(_) => {
                    self.truncate_own_log(index);
                    self.append_to_own_log(entry);
                }
                None => {
                    self.append_to_own_log(entry);
                }
            }
        }
    }

    /// Follower's commit rule: commitIndex = min(leaderCommit, index of the
    /// last new entry). Entries past the last new one were not checked
    /// against the leader's log and may be stale.
    fn follow_leader_commit(&mut self, leader_commit: LogIndex, last_new_index: LogIndex) {
        let bound = if self.config.bugs.has(Bug::CommitWithoutMin) {
            self.log.last_index() // planted: trusts unverified entries
        } else {
            last_new_index
        };
        let commit_index = leader_commit.min(bound);
        if commit_index > self.commit_index {
            self.commit_index = commit_index;
            self.ready
                .events
                .push(NodeEvent::CommitAdvanced { commit_index });
        }
        self.apply_committed();
    }

    /// Leader side: a follower answered an AppendEntries (the arguments
    /// are the message's fields, as in the paper's Figure 2).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn handle_append_response(
        &mut self,
        follower: NodeId,
        term: Term,
        success: bool,
        match_index: LogIndex,
        conflict: Option<ConflictHint>,
        request_term: Term,
        round: u64,
    ) {
        if !self.accept_response_term(term) || self.role != Role::Leader {
            return;
        }
        if request_term != self.current_term {
            // A late answer to a request of an earlier term of ours: its
            // round numbers and indexes belong to that term.
            return;
        }
        let last_index = self.log.last_index();
        let bugs = self.config.bugs;
        let Some(leader) = self.leader.as_mut() else {
            return;
        };
        let progress = &mut leader.progress[follower as usize];
        progress.acked_round = progress.acked_round.max(round);
        let advanced = success && match_index > progress.match_index;
        let send_more = if success {
            progress.match_index = progress.match_index.max(match_index);
            progress.next_index = progress.next_index.max(progress.match_index + 1);
            advanced && progress.next_index <= last_index
        } else {
            // A stale or duplicated failure never moves next_index forward,
            // and nothing known to match is ever resent.
            let mut conflict = conflict;
            if bugs.has(Bug::NextIndexBacksUpOneShort) {
                // planted: reads the hint's first index as the follower's
                // last good index, and resumes one past it
                if let Some(hint) = conflict.as_mut() {
                    hint.first_index += 1;
                }
            }
            if bugs.has(Bug::StopSendingAfterReject) {
                // planted: waits for the follower to speak first
                progress.abandoned = true;
            }
            let backed_up = backed_up_next_index(&self.log, conflict, progress.next_index);
            let next_index = backed_up
                .min(progress.next_index)
                .max(progress.match_index + 1);
            let moved = next_index < progress.next_index;
            progress.next_index = next_index;
            moved
        };
        if send_more {
            self.send_append_entries(follower);
        }
        if advanced {
            // Only a longer match can commit more.
            self.advance_leader_commit();
        }
        self.serve_ready_reads();
    }
}

/// Where the leader retries after a failed consistency check. With a hint,
/// it skips the follower's whole conflicting term: to just past the
/// leader's own last entry of that term if it has one, else to the first
/// index of that term in the follower's log. Without one, it backs up by
/// one entry.
fn backed_up_next_index(
    log: &crate::log::RaftLog,
    conflict: Option<ConflictHint>,
    next_index: LogIndex,
) -> LogIndex {
    let candidate = match conflict {
        Some(ConflictHint {
            term: Some(term),
            first_index,
        }) => log
            .last_index_of_term(term)
            .map_or(first_index, |last| last + 1),
        Some(ConflictHint {
            term: None,
            first_index,
        }) => first_index,
        None => next_index.saturating_sub(1),
    };
    candidate.clamp(1, log.last_index() + 1)
}
