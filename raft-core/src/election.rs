//! Elections: timeouts, RequestVote on both sides, counting votes.
//!
//! The rules, from the course material and §5.2/§5.4.1 of the paper:
//! - A timeout starts an election only if the node has heard from no valid
//!   leader (and granted no vote) since the previous timeout.
//! - One vote per term, first come first served, and only for a candidate
//!   whose log is at least as up-to-date as the voter's.
//! - A candidate with votes from a majority of its term becomes leader.

use crate::bugs::Bug;
use crate::message::MessageBody;
use crate::node::Node;
use crate::ready::NodeEvent;
use crate::types::{LogIndex, NodeId, Role, Term};

impl Node {
    /// The election timer fired. Leaders ignore it; anyone else starts an
    /// election unless a leader (or a candidate it voted for) was heard from
    /// since the last timeout. The timer is re-armed with a fresh random
    /// timeout either way, so it keeps ticking.
    pub fn election_timeout(&mut self) {
        if self.role == Role::Candidate && self.config.bugs.has(Bug::CandidateNoRetry) {
            return; // planted: waits for its votes forever, timer left dead
        }
        if self.role != Role::Leader {
            if self.heard_from_leader {
                self.heard_from_leader = false;
            } else {
                self.become_candidate();
                return; // become_candidate re-armed the timer
            }
        }
        self.arm_election_timer();
    }

    /// Sends RequestVote for the current term to every peer.
    pub(crate) fn request_votes(&mut self) {
        let body = MessageBody::RequestVote {
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
        };
        for peer in self.config.cluster.peers_of(self.id) {
            self.send(peer, body.clone());
        }
    }

    /// Applies the term rule to an incoming *request* (RequestVote or
    /// AppendEntries): a newer term makes this node a follower of that term;
    /// returns false when the request is stale and must be rejected.
    pub(crate) fn accept_request_term(&mut self, term: Term) -> bool {
        if term > self.current_term {
            self.become_follower(term);
        }
        term == self.current_term
    }

    /// Applies the term rule to an incoming *response*: a newer term makes
    /// this node step down and the response is dropped; a stale one is
    /// dropped. Returns true when the response belongs to the current term
    /// and should be acted on.
    pub(crate) fn accept_response_term(&mut self, term: Term) -> bool {
        if term > self.current_term {
            if self.config.bugs.has(Bug::IgnoreNewerTermInResponse) {
                return true; // planted: act on it as if it were ours
            }
            self.become_follower(term);
            return false;
        }
        term == self.current_term
    }

    pub(crate) fn handle_request_vote(
        &mut self,
        candidate: NodeId,
        term: Term,
        last_log_index: LogIndex,
        last_log_term: Term,
    ) {
        let vote_granted = self.accept_request_term(term)
            && self.can_vote_for(candidate)
            && self.candidate_log_ok(last_log_index, last_log_term);
        if vote_granted {
            self.voted_for = Some(candidate);
            // §5.2: granting a vote resets the election timer (here: the
            // next timeout is skipped), so the voter gives the candidate
            // it elected time to assert its leadership.
            if !self.config.bugs.has(Bug::NoTimerResetOnVote) {
                self.heard_from_leader = true;
            }
            self.persist_hard_state();
            self.ready.events.push(NodeEvent::VoteGranted {
                term: self.current_term,
                candidate,
            });
        }
        self.send(candidate, MessageBody::RequestVoteResponse { vote_granted });
    }

    /// One vote per term: free, or already given to this same candidate
    /// (a retransmitted request gets the same answer).
    fn can_vote_for(&self, candidate: NodeId) -> bool {
        if self.config.bugs.has(Bug::VoteTwice) {
            return true;
        }
        self.voted_for.is_none() || self.voted_for == Some(candidate)
    }

    /// §5.4.1: the candidate's log must be at least as up-to-date as ours.
    fn candidate_log_ok(&self, last_log_index: LogIndex, last_log_term: Term) -> bool {
        if self.config.bugs.has(Bug::VoteWithoutLogCheck) {
            return true;
        }
        self.log.is_up_to_date(last_log_index, last_log_term)
    }

    pub(crate) fn handle_vote_response(&mut self, voter: NodeId, term: Term, vote_granted: bool) {
        let current = self.accept_response_term(term);
        let stale_but_counted =
            term < self.current_term && self.config.bugs.has(Bug::CountStaleVotes);
        if !(current || stale_but_counted) || self.role != Role::Candidate || !vote_granted {
            return;
        }
        self.votes |= 1 << voter;
        if self.has_quorum(self.votes) {
            self.become_leader();
        }
    }
}
