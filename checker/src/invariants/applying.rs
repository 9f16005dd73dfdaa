//! The state machine: State Machine Safety and Applied Within Commit.

use super::invariant::Invariant;
use super::report::Draft;
use super::safety::Pass;
use histories::{EntryId, NodeId};
use std::collections::BTreeMap;

/// The first entry any node applied at an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AppliedEntry {
    pub term: u64,
    pub entry: EntryId,
    pub node: NodeId,
    /// Trace position of the `Applied`.
    pub event: usize,
}

/// What was applied at each index, by any node, in any run.
///
/// Indexes up to the trace's length (no legal log is longer than the
/// number of events) live in a vector; larger ones, which only a broken or
/// hand-made trace holds, in a map — so a stray index cannot make the
/// checker allocate without bound.
#[derive(Debug)]
pub(crate) struct AppliedLedger {
    dense: Vec<Option<AppliedEntry>>,
    sparse: BTreeMap<u64, AppliedEntry>,
    dense_limit: u64,
}

impl AppliedLedger {
    pub fn new(events: usize) -> AppliedLedger {
        AppliedLedger {
            dense: Vec::new(),
            sparse: BTreeMap::new(),
            dense_limit: events as u64 + 1,
        }
    }

    /// The entry first applied at `index`; records `applied` there if none
    /// was.
    fn first_or_record(&mut self, index: u64, applied: AppliedEntry) -> Option<AppliedEntry> {
        if index == 0 || index > self.dense_limit {
            return match self.sparse.get(&index) {
                Some(first) => Some(*first),
                None => {
                    self.sparse.insert(index, applied);
                    None
                }
            };
        }
        let slot = (index - 1) as usize;
        if self.dense.len() <= slot {
            self.dense.resize(slot + 1, None);
        }
        match self.dense[slot] {
            Some(first) => Some(first),
            None => {
                self.dense[slot] = Some(applied);
                None
            }
        }
    }
}

impl Pass<'_> {
    /// A node applied `entry` of `term` at `index`.
    pub(crate) fn on_applied(
        &mut self,
        position: usize,
        slot: usize,
        index: u64,
        term: u64,
        entry: EntryId,
    ) {
        self.check_apply_order(position, slot, index);
        let id = self.nodes.get(slot).id;
        let applied = AppliedEntry {
            term,
            entry,
            node: id,
            event: position,
        };
        let Some(first) = self.applied.first_or_record(index, applied) else {
            return;
        };
        if (first.term, first.entry) == (term, entry) {
            return; // the same entry again: another node, or a restart
        }
        let message = if first.node == id {
            format!(
                "n{id} applies {entry} (term {term}) at index {index}, but it applied {} \
                 (term {}) there before",
                first.entry, first.term
            )
        } else {
            format!(
                "n{id} applies {entry} (term {term}) at index {index}, but n{} applied {} \
                 (term {}) there",
                first.node, first.entry, first.term
            )
        };
        self.report.report(Invariant::StateMachineSafety, || Draft {
            message,
            nodes: vec![first.node, id],
            term: Some(term),
            index: Some(index),
            events: vec![first.event, position],
        });
    }

    /// Within a run a node applies 1, 2, 3…, each only once committed.
    fn check_apply_order(&mut self, position: usize, slot: usize, index: u64) {
        let state = self.nodes.get_mut(slot);
        let (id, last_applied, applied_event) = (state.id, state.last_applied, state.applied_event);
        let (commit_index, commit_event) = (state.commit_index, state.commit_event);
        state.last_applied = index;
        state.applied_event = Some(position);
        if index != last_applied.saturating_add(1) {
            let what = if index <= last_applied {
                format!("again after index {last_applied}, without restarting")
            } else if last_applied == 0 {
                "first in its run, skipping the entries before it".to_string()
            } else {
                format!("right after index {last_applied}, skipping the entries between")
            };
            self.report
                .report(Invariant::AppliedWithinCommit, || Draft {
                    message: format!("n{id} applies index {index} {what}"),
                    nodes: vec![id],
                    term: None,
                    index: Some(index),
                    events: applied_event.into_iter().chain([position]).collect(),
                });
        }
        if index > commit_index {
            self.report
                .report(Invariant::AppliedWithinCommit, || Draft {
                    message: format!(
                        "n{id} applies index {index} while its commitIndex is {commit_index}"
                    ),
                    nodes: vec![id],
                    term: None,
                    index: Some(index),
                    events: commit_event.into_iter().chain([position]).collect(),
                });
        }
    }
}
