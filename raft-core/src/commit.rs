//! Commitment and application (§5.3, §5.4.2, Figure 8).
//!
//! A leader commits index N once a majority of the cluster stores the log up
//! to N *and* the entry at N is of the leader's current term. Entries of
//! older terms are committed only indirectly, by a later entry of the
//! current term: counting replicas of an old-term entry is not enough, as
//! Figure 8 shows (a future leader could still overwrite it). Committed
//! entries are applied to the state machine in index order, exactly once.

use crate::bugs::Bug;
use crate::log::Command;
use crate::message::{ClientReply, ClientResponse};
use crate::node::Node;
use crate::ready::NodeEvent;
use crate::types::LogIndex;

impl Node {
    /// As leader: moves commitIndex to the highest index stored on a
    /// majority, if that entry is of the current term; then applies.
    pub(crate) fn advance_leader_commit(&mut self) {
        if let Some(majority_index) = self.majority_match_index() {
            let of_current_term = self.log.term_at(majority_index) == Some(self.current_term);
            let committable = of_current_term || self.config.bugs.has(Bug::CommitPreviousTerm);
            if majority_index > self.commit_index && committable {
                self.commit_index = majority_index;
                self.ready.events.push(NodeEvent::CommitAdvanced {
                    commit_index: majority_index,
                });
            }
        }
        self.apply_committed();
    }

    /// The highest index that a majority of the cluster (the leader counting
    /// its own whole log) is known to store. Log terms only grow, so checking
    /// the term at this one index is enough for the §5.4.2 rule.
    fn majority_match_index(&self) -> Option<LogIndex> {
        let leader = self.leader.as_ref()?;
        let mut matched = [0 as LogIndex; 64];
        let size = leader.progress.len();
        for (node, progress) in leader.progress.iter().enumerate() {
            matched[node] = if node == self.id as usize {
                self.log.last_index()
            } else {
                progress.match_index
            };
        }
        let matched = &mut matched[..size];
        matched.sort_unstable_by(|a, b| b.cmp(a));
        Some(matched[self.config.cluster.quorum() - 1])
    }

    /// Applies every committed, not yet applied entry, in order, and answers
    /// the clients waiting for them.
    pub(crate) fn apply_committed(&mut self) {
        let target = if self.config.bugs.has(Bug::ApplyBeforeCommit) {
            self.log.last_index() // planted: applies what is merely stored
        } else {
            self.commit_index
        };
        while self.last_applied < target {
            let index = self.last_applied + 1;
            let Some(entry) = self.log.get(index) else {
                // Only reachable when a planted bug committed entries that
                // were later truncated; the checker reports that.
                break;
            };
            let (term, command) = (entry.term, entry.command.clone());
            self.last_applied = index;
            self.apply_entry(index, &command);
            self.ready.events.push(NodeEvent::Applied {
                index,
                term,
                command,
            });
        }
    }

    fn apply_entry(&mut self, index: LogIndex, command: &Command) {
        let Command::Client(command) = command else {
            return;
        };
        let dedup = !self.config.bugs.has(Bug::NoSessionDedup);
        let result = self.kv.apply(command, dedup).result();
        let Some(leader) = self.leader.as_mut() else {
            return;
        };
        let Some(position) = leader
            .pending_writes
            .iter()
            .position(|write| write.index == index)
        else {
            return;
        };
        let write = leader.pending_writes.remove(position);
        debug_assert_eq!(
            (write.client, write.seq),
            (command.client, command.seq),
            "a leader's log never changes under a waiting client"
        );
        if let Some(result) = result {
            self.ready.replies.push(ClientReply {
                client: write.client,
                seq: write.seq,
                response: ClientResponse::Done(result),
            });
        }
    }
}
