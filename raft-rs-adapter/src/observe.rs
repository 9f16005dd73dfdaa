//! What a raft-rs node did, in the trace's vocabulary.
//!
//! raft-rs reports no events: the adapter infers them by comparing state
//! before and after each call (roles and terms) and by reading each
//! `Ready` as it persists it (votes, log writes, commit index).

use crate::codec::decode_command;
use crate::ids::node_id;
use raft::eraftpb::{Entry, EntryType, HardState};
use raft::StateRole;
use replica::{command_entry_id, EntryId, Role, Term, TraceKind};

/// The trace's name for an entry: a leader's empty no-op, or the command
/// its data encodes. Entries we cannot decode (none are expected: the
/// adapter proposes nothing else) count as no-ops.
pub fn entry_id(entry: &Entry) -> EntryId {
    if entry.get_entry_type() != EntryType::EntryNormal || entry.data.is_empty() {
        return EntryId::Noop;
    }
    match decode_command(&entry.data) {
        Ok(command) => command_entry_id(&command),
        Err(_) => EntryId::Noop,
    }
}

/// The trace's role of a raft-rs role. A pre-candidate is not a role of
/// the trace: it has not moved to a new term nor voted for itself (Raft
/// thesis §9.6), so the trace keeps seeing the follower it was.
pub fn trace_role(state: StateRole) -> Option<Role> {
    match state {
        StateRole::Follower => Some(Role::Follower),
        StateRole::Candidate => Some(Role::Candidate),
        StateRole::Leader => Some(Role::Leader),
        StateRole::PreCandidate => None,
    }
}

/// The last role and term the node reported, to report only changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleTracker {
    role: Role,
    term: Term,
}

impl RoleTracker {
    /// A node that booted as a follower in `term` (the world's restart
    /// record already says so).
    pub fn booted(term: Term) -> RoleTracker {
        RoleTracker {
            role: Role::Follower,
            term,
        }
    }

    /// Reports the role change, if any, from the last report to `state`
    /// in `term`, into `observe`. A node that went from follower to leader
    /// within one call (a single-node cluster) passed through candidacy:
    /// that is reported first, as the trace's elections need it.
    pub fn update(&mut self, state: StateRole, term: Term, mut observe: impl FnMut(TraceKind)) {
        let Some(role) = trace_role(state) else {
            return;
        };
        if (role, term) == (self.role, self.term) {
            return;
        }
        if role == Role::Leader && (self.role, self.term) != (Role::Candidate, term) {
            observe(TraceKind::RoleChanged {
                role: Role::Candidate,
                term,
            });
        }
        observe(TraceKind::RoleChanged { role, term });
        self.role = role;
        self.term = term;
    }

    /// The term the node leads, if it does.
    pub fn leading_term(&self) -> Option<Term> {
        (self.role == Role::Leader).then_some(self.term)
    }
}

/// The vote a newly persisted hard state records, if it is a vote for
/// another node that the disk did not hold yet (`me` is the raft id).
pub fn granted_vote(before: &HardState, after: &HardState, me: u64) -> Option<TraceKind> {
    let new_vote = after.vote != before.vote || after.term != before.term;
    if !new_vote || after.vote == raft::INVALID_ID || after.vote == me {
        return None;
    }
    Some(TraceKind::VoteGranted {
        term: after.term,
        candidate: node_id(after.vote)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hard_state(term: u64, vote: u64) -> HardState {
        HardState {
            term,
            vote,
            ..HardState::default()
        }
    }

    #[test]
    fn roles_are_reported_on_change_and_pre_candidacy_is_silent() {
        let mut tracker = RoleTracker::booted(0);
        let mut seen = Vec::new();
        let steps = [
            (StateRole::Follower, 0),
            (StateRole::PreCandidate, 0),
            (StateRole::Follower, 0),
            (StateRole::Candidate, 1),
            (StateRole::Leader, 1),
            (StateRole::Follower, 3),
            (StateRole::Leader, 4),
        ];
        for (state, term) in steps {
            tracker.update(state, term, |kind| seen.push(kind));
        }
        let role = |role, term| TraceKind::RoleChanged { role, term };
        assert_eq!(
            seen,
            [
                role(Role::Candidate, 1),
                role(Role::Leader, 1),
                role(Role::Follower, 3),
                role(Role::Candidate, 4),
                role(Role::Leader, 4),
            ]
        );
        assert_eq!(tracker.leading_term(), Some(4));
    }

    #[test]
    fn only_votes_for_others_that_are_new_are_grants() {
        let cases = [
            (hard_state(1, 0), hard_state(1, 2), Some((1, 1))),
            (hard_state(1, 2), hard_state(1, 2), None),
            (hard_state(1, 2), hard_state(2, 2), Some((2, 1))),
            (hard_state(1, 0), hard_state(2, 1), None), // itself (raft id 1)
            (hard_state(1, 2), hard_state(2, 0), None),
        ];
        for (before, after, expected) in cases {
            let expected =
                expected.map(|(term, candidate)| TraceKind::VoteGranted { term, candidate });
            assert_eq!(
                granted_vote(&before, &after, 1),
                expected,
                "{before:?} -> {after:?}"
            );
        }
    }
}
