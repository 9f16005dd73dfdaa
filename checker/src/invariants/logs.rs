//! Appends and truncations: Leader Append-Only and Log Matching.

use super::entries::Agreement;
use super::invariant::Invariant;
use super::nodes::LogEntry;
use super::report::Draft;
use super::safety::Pass;
use histories::{EntryId, Role};

impl Pass<'_> {
    /// A node wrote `entry` of `term` at `index` of its log.
    pub(crate) fn on_appended(
        &mut self,
        position: usize,
        slot: usize,
        index: u64,
        term: u64,
        entry: EntryId,
    ) {
        let state = self.nodes.get(slot);
        let (id, last_index) = (state.id, state.last_index());
        if index == 0 || index > last_index + 1 {
            // A hole (or index 0) leaves no prefix to match: report and
            // keep the log as it was.
            let last_event = state.log.last().map(|e| e.event);
            self.report.report(Invariant::LogMatching, || Draft {
                message: format!(
                    "n{id} appends {entry} at index {index}, but its log ends at {last_index}"
                ),
                nodes: vec![id],
                term: Some(term),
                index: Some(index),
                events: last_event.into_iter().chain([position]).collect(),
            });
            return;
        }
        if index <= last_index {
            self.overwrite(position, slot, index, term, entry);
        }
        self.match_logs(position, slot, index, term, entry);
        self.nodes.get_mut(slot).log.push(LogEntry {
            term,
            entry,
            event: position,
        });
    }

    /// An append over existing entries with no truncation before it: the
    /// world records truncations first, so only a leader breaking
    /// Append-Only (or a buggy follower) does this. The entries give way.
    fn overwrite(&mut self, position: usize, slot: usize, index: u64, term: u64, entry: EntryId) {
        let state = self.nodes.get(slot);
        if let (Role::Leader, Some(&old)) = (state.role, state.entry_at(index)) {
            let (id, leader_term) = (state.id, state.term);
            let elected = self.leader_event(slot);
            self.report.report(Invariant::LeaderAppendOnly, || Draft {
                message: format!(
                    "n{id}, leader of term {leader_term}, overwrites {} (term {}) at index \
                     {index} of its log with {entry} (term {term})",
                    old.entry, old.term
                ),
                nodes: vec![id],
                term: Some(leader_term),
                index: Some(index),
                events: elected.into_iter().chain([old.event, position]).collect(),
            });
        }
        self.nodes.get_mut(slot).truncate_from(index);
    }

    /// Checks the append against every earlier append of the same index and
    /// term (see [`entries`](super::entries) for why that suffices).
    fn match_logs(&mut self, position: usize, slot: usize, index: u64, term: u64, entry: EntryId) {
        let state = self.nodes.get(slot);
        let id = state.id;
        let prev_term = state.term_at(index - 1).unwrap_or(0);
        let prev_event = state.entry_at(index - 1).map(|e| e.event);
        match self
            .entries
            .observe(index, term, entry, prev_term, position, id)
        {
            Agreement::New | Agreement::Same => {}
            Agreement::OtherCommand(first) => {
                self.report.report(Invariant::LogMatching, || Draft {
                    message: format!(
                        "n{id} appends {entry} at index {index} in term {term}, but n{} \
                         appended {} at the same index and term",
                        first.node, first.entry
                    ),
                    nodes: vec![id, first.node],
                    term: Some(term),
                    index: Some(index),
                    events: vec![first.event, position],
                })
            }
            Agreement::OtherPrefix(first) => self.report.report(Invariant::LogMatching, || Draft {
                message: format!(
                    "n{id} and n{} both hold {entry} at index {index} in term {term}, but \
                         their logs differ before it: term {prev_term} against term {} at \
                         index {}",
                    first.node,
                    first.prev_term,
                    index - 1
                ),
                nodes: vec![id, first.node],
                term: Some(term),
                index: Some(index),
                events: prev_event
                    .into_iter()
                    .chain([first.event, position])
                    .collect(),
            }),
        }
    }

    /// A node removed its entries from `from_index` on.
    pub(crate) fn on_truncated(&mut self, position: usize, slot: usize, from_index: u64) {
        let state = self.nodes.get(slot);
        let from_index = from_index.max(1);
        let last_index = state.last_index();
        if from_index > last_index {
            return; // nothing to remove
        }
        if state.role == Role::Leader {
            let first_removed = state.entry_at(from_index).map(|e| e.event);
            let (id, leader_term) = (state.id, state.term);
            let elected = self.leader_event(slot);
            let removed = if from_index == last_index {
                format!("entry {from_index}")
            } else {
                format!("entries {from_index} to {last_index}")
            };
            self.report.report(Invariant::LeaderAppendOnly, || Draft {
                message: format!(
                    "n{id}, leader of term {leader_term}, deletes {removed} of its log"
                ),
                nodes: vec![id],
                term: Some(leader_term),
                index: Some(from_index),
                events: elected
                    .into_iter()
                    .chain(first_removed)
                    .chain([position])
                    .collect(),
            });
        }
        self.nodes.get_mut(slot).truncate_from(from_index);
    }

    /// A restarted node must come back with the log it had: it was on disk.
    pub(crate) fn check_restored_log(&mut self, position: usize, slot: usize, last_log_index: u64) {
        let state = self.nodes.get(slot);
        let (id, held) = (state.id, state.last_index());
        if last_log_index == held {
            return;
        }
        let last_event = state.log.last().map(|e| e.event);
        self.report.report(Invariant::LogMatching, || Draft {
            message: format!(
                "n{id} restarts with its log ending at {last_log_index}, but it held \
                 {held} entries: its log is no longer the one it appended"
            ),
            nodes: vec![id],
            term: None,
            index: Some(last_log_index.min(held).saturating_add(1)),
            events: last_event.into_iter().chain([position]).collect(),
        });
        // Follow the node: entries it lost are gone; entries it claims but
        // never appended are unknown, and later appends will show it.
        self.nodes
            .get_mut(slot)
            .truncate_from(last_log_index.saturating_add(1));
    }

    /// Trace position of the event that made the node at `slot` leader of
    /// its current term, if it leads.
    pub(crate) fn leader_event(&self, slot: usize) -> Option<usize> {
        let number = self.nodes.get(slot).leadership?;
        Some(self.leaders.get(number).event)
    }
}
