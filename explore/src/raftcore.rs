//! raft-core as an explorable system.
//!
//! Everything here is translation: raft-core itself renames its node ids
//! (raft-core/src/relabel.rs) and hashes its protocol state
//! (raft-core/src/identity.rs).

use crate::system::Explorable;
use histories::NodeId;
use raft_core::seam::{ELECTION_TIMER, HEARTBEAT_TIMER};
use raft_core::{Bug, ConflictHint, DurableState, Message, MessageBody, Node, Role};
use replica::{Replica, TimerSlot};
use std::fmt::Write as _;

impl Explorable for Node {
    fn relabel(&self, rename: &[NodeId]) -> Node {
        self.relabeled(rename)
    }

    fn relabel_message(message: &Message, rename: &[NodeId]) -> Message {
        message.relabeled(rename)
    }

    fn relabel_disk(disk: &DurableState, rename: &[NodeId]) -> DurableState {
        disk.relabeled(rename)
    }

    fn describe_message(message: &Message) -> String {
        describe(message)
    }

    fn timer_name(timer: TimerSlot) -> String {
        match timer {
            ELECTION_TIMER => "election timeout".to_string(),
            HEARTBEAT_TIMER => "heartbeat".to_string(),
            other => format!("timer {other}"),
        }
    }

    /// Each heartbeat starts a new numbered round (for ReadIndex reads), so
    /// unbudgeted heartbeats would make every state new.
    fn is_periodic(timer: TimerSlot) -> bool {
        timer == HEARTBEAT_TIMER
    }

    /// Stale, and stale for good (terms only grow, across restarts too;
    /// within a term a leader's match index and acknowledged round only
    /// grow):
    /// - a response of an older term, or an AppendEntries response to a
    ///   request of an older term: dropped unread (election.rs,
    ///   `accept_response_term`; replication.rs);
    /// - a successful AppendEntries response that tells the leader nothing
    ///   new — its match index and round already acknowledged: it moves no
    ///   index, sends nothing and serves no read that an earlier step did
    ///   not already serve (replication.rs, `handle_append_response`).
    ///
    /// Two planted bugs break the first rule — counting stale votes, and
    /// forgetting the term on restart — and with them nothing is stale.
    fn is_stale(&self, message: &Message) -> bool {
        let bugs = self.config().bugs;
        if bugs.has(Bug::CountStaleVotes) || bugs.has(Bug::ForgetTermOnRestart) {
            return false;
        }
        let term = self.current_term();
        match message.body {
            MessageBody::RequestVoteResponse { .. } => message.term < term,
            MessageBody::AppendEntriesResponse {
                success,
                match_index,
                request_term,
                round,
                ..
            } => {
                let old = message.term < term || request_term < term;
                old || (success
                    && message.term == term
                    && self.acknowledged(message.from, match_index, round))
            }
            _ => false,
        }
    }

    /// A non-leader's heartbeat does nothing (replication.rs, `heartbeat`),
    /// and becoming leader arms it afresh (node.rs, `become_leader`).
    fn timer_matters(&self, timer: TimerSlot) -> bool {
        timer != HEARTBEAT_TIMER || self.status().role == Role::Leader
    }

    /// A non-leader answers a client with a redirect and changes nothing
    /// else (raft-core/src/client.rs, `client_request`).
    fn ignores_clients(&self) -> bool {
        self.status().role != Role::Leader
    }
}

/// Leader-side knowledge, for staleness.
trait Acknowledged {
    /// True when this node leads and already knows `peer` matches up to
    /// `match_index` and has acknowledged `round`.
    fn acknowledged(&self, peer: NodeId, match_index: u64, round: u64) -> bool;
}

impl Acknowledged for Node {
    fn acknowledged(&self, peer: NodeId, match_index: u64, round: u64) -> bool {
        let known_match = self.progress_of(peer).map(|(_, matched)| matched);
        let known_round = self.acked_round_of(peer);
        self.role() == Role::Leader
            && known_match.is_some_and(|matched| match_index <= matched)
            && known_round.is_some_and(|acked| round <= acked)
    }
}

/// A raft-core message in the words of the paper's Figure 2.
fn describe(message: &Message) -> String {
    let term = message.term;
    match &message.body {
        MessageBody::RequestVote {
            last_log_index,
            last_log_term,
        } => format!("RequestVote(term {term}, last {last_log_index}/{last_log_term})"),
        MessageBody::RequestVoteResponse { vote_granted } => {
            let answer = if *vote_granted { "granted" } else { "refused" };
            format!("RequestVoteResponse(term {term}, {answer})")
        }
        MessageBody::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            round,
        } => {
            let mut listed = String::new();
            for (offset, entry) in entries.iter().enumerate() {
                let index = prev_log_index + 1 + offset as u64;
                let id = raft_core::seam::entry_id(&entry.command);
                let sep = if offset == 0 { "" } else { " " };
                let _ = write!(listed, "{sep}{index}:{id}@{}", entry.term);
            }
            format!(
                "AppendEntries(term {term}, prev {prev_log_index}/{prev_log_term}, [{listed}], \
                 commit {leader_commit}, round {round})"
            )
        }
        MessageBody::AppendEntriesResponse {
            success,
            match_index,
            conflict,
            round,
            ..
        } => {
            let answer = match (success, conflict) {
                (true, _) => format!("ok, match {match_index}"),
                (false, None) => "stale term".to_string(),
                (false, Some(ConflictHint { term, first_index })) => match term {
                    Some(term) => format!("conflict: term {term} from {first_index}"),
                    None => format!("conflict: log ends before {first_index}"),
                },
            };
            format!("AppendEntriesResponse(term {term}, {answer}, round {round})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft_core::{Entry, Message};

    #[test]
    fn messages_read_like_figure_2() {
        let message = |term, body| Message {
            from: 0,
            to: 1,
            term,
            body,
        };
        let cases = [
            (
                message(
                    2,
                    MessageBody::RequestVote {
                        last_log_index: 0,
                        last_log_term: 0,
                    },
                ),
                "RequestVote(term 2, last 0/0)",
            ),
            (
                message(1, MessageBody::RequestVoteResponse { vote_granted: true }),
                "RequestVoteResponse(term 1, granted)",
            ),
            (
                message(
                    3,
                    MessageBody::AppendEntries {
                        prev_log_index: 1,
                        prev_log_term: 1,
                        entries: vec![Entry::noop(3)],
                        leader_commit: 1,
                        round: 0,
                    },
                ),
                "AppendEntries(term 3, prev 1/1, [2:noop@3], commit 1, round 0)",
            ),
            (
                message(
                    3,
                    MessageBody::AppendEntriesResponse {
                        success: false,
                        match_index: 0,
                        conflict: Some(ConflictHint {
                            term: Some(2),
                            first_index: 2,
                        }),
                        request_term: 3,
                        round: 1,
                    },
                ),
                "AppendEntriesResponse(term 3, conflict: term 2 from 2, round 1)",
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(Node::describe_message(&message), expected);
        }
    }
}
