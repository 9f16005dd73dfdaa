//! History the properties need and the current state does not hold: who
//! led each term, what each leader held when elected, what was committed
//! and applied at each index — and which properties have been broken.
//!
//! This is the trace checker's picture (checker/src/invariants/), kept
//! compactly inside every state: a trace is one path, a state is reached by
//! many, so only what a property reads is kept (more would split states
//! that have the same future). Each check runs on the observation that can
//! break it, in the order the replica reported them.

use crate::properties::Safety;
use crate::slot::LogEntry;
use histories::{NodeId, Role, TraceKind};
use std::sync::Arc;

/// The first entry known committed at an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Committed {
    /// The entry.
    pub entry: LogEntry,
    /// The lowest term in which a node committed it.
    pub commit_term: u64,
}

/// What happened on the way to a state, as far as the properties care.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ghost {
    /// By term: the nodes that became its leader, one bit each.
    pub leaders: Vec<u64>,
    /// By term: the first leader's log when it was elected.
    pub election_logs: Vec<Option<Arc<[LogEntry]>>>,
    /// By index − 1: the first entry committed there.
    pub committed: Vec<Committed>,
    /// By index − 1: the first entry applied there, by any node.
    pub applied: Vec<LogEntry>,
    /// The properties broken so far, one bit per [`Safety`].
    pub broken: u8,
}

impl Ghost {
    /// True when `property` was broken on the way here.
    pub fn is_broken(&self, property: Safety) -> bool {
        self.broken & property.bit() != 0
    }

    fn set_broken(&mut self, property: Safety) {
        self.broken |= property.bit();
    }

    /// True when the ghost must see `observation` (the rest change only
    /// the node's own slot).
    pub fn cares_about(observation: &TraceKind) -> bool {
        matches!(
            observation,
            TraceKind::RoleChanged {
                role: Role::Leader,
                ..
            } | TraceKind::CommitAdvanced { .. }
                | TraceKind::Applied { .. }
        )
    }

    /// Judges one observation of `node`, whose term is `term`, whose log is
    /// `log` and whose commit index is `commit`, all as they were just
    /// before it.
    pub fn observe(
        &mut self,
        node: NodeId,
        term: u64,
        log: &[LogEntry],
        commit: u64,
        observation: &TraceKind,
    ) {
        match *observation {
            TraceKind::RoleChanged {
                role: Role::Leader,
                term,
            } => self.elected(node, term, log),
            TraceKind::CommitAdvanced { commit_index } => {
                self.committed_upto(term, log, commit, commit_index)
            }
            TraceKind::Applied { index, term, entry } => self.applied_at(index, (term, entry)),
            _ => {}
        }
    }

    /// §5.2 Election Safety: at most one leader per term; §5.4 Leader
    /// Completeness: the new leader holds every entry committed in an
    /// earlier term.
    fn elected(&mut self, node: NodeId, term: u64, log: &[LogEntry]) {
        let slot = term as usize;
        if self.leaders.len() <= slot {
            self.leaders.resize(slot + 1, 0);
            self.election_logs.resize(slot + 1, None);
        }
        if self.leaders[slot] & !(1 << node) != 0 {
            self.set_broken(Safety::ElectionSafety);
        }
        self.leaders[slot] |= 1 << node;
        if self.election_logs[slot].is_none() {
            self.election_logs[slot] = Some(log.into());
        }
        let missing = self.committed.iter().enumerate().any(|(at, committed)| {
            committed.commit_term < term && log.get(at) != Some(&committed.entry)
        });
        if missing {
            self.set_broken(Safety::LeaderCompleteness);
        }
    }

    /// A node in `term` committed its log from `before + 1` to `after`.
    /// An entry committed late (by a stale leader, after a later term's
    /// election) must be in that later leader's log as it was elected.
    fn committed_upto(&mut self, term: u64, log: &[LogEntry], before: u64, after: u64) {
        let upto = (after as usize).min(log.len());
        let from = (before as usize).min(upto);
        for (at, &entry) in log.iter().enumerate().take(upto).skip(from) {
            if at > self.committed.len() {
                break; // a commit past a gap (only a broken replica makes one)
            }
            if self.committed.len() == at {
                // Commit indexes only grow past the committed prefix.
                self.committed.push(Committed {
                    entry,
                    commit_term: term,
                });
            } else if self.committed[at].entry == entry {
                let known = &mut self.committed[at].commit_term;
                *known = (*known).min(term);
            }
            let later_leader_lacks_it = self
                .election_logs
                .iter()
                .skip(term as usize + 1)
                .flatten()
                .any(|elected| elected.get(at) != Some(&entry));
            if later_leader_lacks_it {
                self.set_broken(Safety::LeaderCompleteness);
            }
        }
    }

    /// §5.4.3 State Machine Safety: no two different entries are applied
    /// at one index, on any node, ever.
    fn applied_at(&mut self, index: u64, entry: LogEntry) {
        let at = index.saturating_sub(1) as usize;
        match self.applied.get(at) {
            Some(known) if *known != entry => self.set_broken(Safety::StateMachineSafety),
            Some(_) => {}
            None if at == self.applied.len() => self.applied.push(entry),
            None => {} // applied out of order: not one of the four properties
        }
    }

    /// Records that `property` is broken (for checks made outside).
    pub fn record_broken(&mut self, property: Safety) {
        self.set_broken(property);
    }

    /// This ghost with node ids renamed (only leaders name nodes).
    pub fn relabeled(&self, rename: &[NodeId]) -> Ghost {
        Ghost {
            leaders: self
                .leaders
                .iter()
                .map(|&mask| raft_core::relabel::renamed_mask(mask, rename))
                .collect(),
            ..self.clone()
        }
    }
}

/// §5.3 Log Matching, judged on two logs as they are now: logs holding an
/// entry of the same term at the same index are identical up to there.
/// (Checking the last index where the terms agree covers every earlier
/// one.)
pub fn logs_match(log: &[LogEntry], other: &[LogEntry]) -> bool {
    let shared = log.len().min(other.len());
    let last_same_term = (0..shared).rev().find(|&at| log[at].0 == other[at].0);
    last_same_term.is_none_or(|at| log[..=at] == other[..=at])
}
