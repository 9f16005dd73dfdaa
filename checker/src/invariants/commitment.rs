//! Commits: Monotonic Commit and Leader Completeness.
//!
//! An entry is *committed in term T* when a node in term T advances its
//! commitIndex over it: entries `1..=commit_index` of that node's log, at
//! that moment, are committed. Leader Completeness then demands the entry
//! in the log of every leader of every term after T. Two moments can prove
//! a breach:
//!
//! - a node becomes leader of term T' while some entry committed in a term
//!   before T' is missing from its log — the usual case, checked against
//!   the table of committed entries at each election;
//! - an entry is committed in term T *after* a leader of some term T' > T
//!   was elected (a stale leader's commit arriving late) — then that
//!   leader's log *as it was when elected* must hold it. The log is not
//!   copied at each election; [`EntryIndex::entry_in_log`] finds its term at
//!   any index from its last entry, by Log Matching. (Should Log Matching
//!   itself be broken, that lookup may err — but the trace is then already
//!   reported invalid, for Log Matching.)
//!
//! Both checks stay cheap: each node carries the length of its log's prefix
//! known to match the committed entries, so an election compares only what
//! is new; and the index of leaders by term makes the late case touch only
//! the leaders it concerns — none, almost always.
//!
//! [`EntryIndex::entry_in_log`]: super::entries::EntryIndex::entry_in_log

use super::invariant::Invariant;
use super::leaders::Leadership;
use super::report::Draft;
use super::safety::Pass;
use histories::{EntryId, NodeId};

/// The entry known committed at an index, and the lowest term it was seen
/// committed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Committed {
    /// The entry's term.
    pub term: u64,
    /// The entry's command.
    pub entry: EntryId,
    /// The lowest term in which a node committed it.
    pub commit_term: u64,
    /// Trace position of that `CommitAdvanced`.
    pub commit_event: usize,
    /// Trace position of the committing node's append of the entry.
    pub append_event: usize,
    /// The committing node.
    pub node: NodeId,
}

impl Pass<'_> {
    /// A node's commitIndex moved to `commit_index`.
    pub(crate) fn on_commit_advanced(&mut self, position: usize, slot: usize, commit_index: u64) {
        let state = self.nodes.get(slot);
        let (id, before, before_event) = (state.id, state.commit_index, state.commit_event);
        if commit_index < before {
            self.report.report(Invariant::MonotonicCommit, || Draft {
                message: format!(
                    "n{id} moves its commitIndex back from {before} to {commit_index} \
                     without restarting"
                ),
                nodes: vec![id],
                term: None,
                index: Some(commit_index),
                events: before_event.into_iter().chain([position]).collect(),
            });
        } else {
            self.mark_committed(position, slot, before, commit_index);
        }
        let state = self.nodes.get_mut(slot);
        state.commit_index = commit_index;
        state.commit_event = Some(position);
    }

    /// Records entries `before + 1 ..= after` of the node's log as committed
    /// in its current term, and judges leaders already elected in later
    /// terms against them.
    fn mark_committed(&mut self, position: usize, slot: usize, before: u64, after: u64) {
        let state = self.nodes.get(slot);
        let (id, commit_term) = (state.id, state.term);
        let upto = after.min(state.last_index());
        // What it committed in an earlier run, at a term no higher, is
        // known committed at that term already.
        let from = before.max(state.committed_through);
        // Leaders already reported for this commit: one report each.
        let mut reported: Vec<usize> = Vec::new();
        for index in from + 1..=upto {
            let Some(&held) = self.nodes.get(slot).entry_at(index) else {
                break;
            };
            let fresh = Committed {
                term: held.term,
                entry: held.entry,
                commit_term,
                commit_event: position,
                append_event: held.event,
                node: id,
            };
            let slot_of_index = (index - 1) as usize;
            if self.committed.len() <= slot_of_index {
                self.committed.resize(slot_of_index + 1, None);
            }
            // Leaders of terms in (commit_term, judged_below) must be judged
            // now; those of later terms were judged when it was first seen.
            let judged_below = match &mut self.committed[slot_of_index] {
                known @ None => {
                    *known = Some(fresh);
                    u64::MAX
                }
                Some(known) if (known.term, known.entry) == (fresh.term, fresh.entry) => {
                    if commit_term >= known.commit_term {
                        continue;
                    }
                    let earlier = known.commit_term;
                    *known = fresh;
                    earlier
                }
                // Another entry was committed here before: this one binds
                // later leaders all the same.
                Some(_) => u64::MAX,
            };
            if self.leaders.max_term() > commit_term {
                self.check_completeness_late(index, &fresh, judged_below, &mut reported);
            }
        }
        let state = self.nodes.get_mut(slot);
        state.committed_through = state.committed_through.max(upto);
    }

    /// Judges the leaders elected in terms strictly between
    /// `committed.commit_term` and `below` against an entry committed at
    /// `index` after they were elected.
    fn check_completeness_late(
        &mut self,
        index: u64,
        committed: &Committed,
        below: u64,
        reported: &mut Vec<usize>,
    ) {
        for (number, leader) in self.leaders.between(committed.commit_term, below) {
            if reported.contains(&number) {
                continue;
            }
            let held = self
                .entries
                .entry_in_log(leader.last_index, leader.last_term, index);
            if matches!(held, Some((term, facts)) if term == committed.term && facts.entry == committed.entry)
            {
                continue;
            }
            reported.push(number);
            let held_text = match held {
                Some((term, facts)) => format!("its log held {} (term {term}) there", facts.entry),
                None => format!("its log ended at {}", leader.last_index),
            };
            self.report.report(Invariant::LeaderCompleteness, || Draft {
                message: format!(
                    "n{} commits {} (term {}) at index {index} in term {}, but n{} had been \
                     elected leader of the later term {} without it: {held_text}",
                    committed.node,
                    committed.entry,
                    committed.term,
                    committed.commit_term,
                    leader.node,
                    leader.term
                ),
                nodes: vec![committed.node, leader.node],
                term: Some(leader.term),
                index: Some(index),
                events: vec![leader.event, committed.append_event, committed.commit_event],
            });
        }
    }

    /// A node just became leader of `leadership.term`: its log must hold
    /// every entry committed in an earlier term. Reports the first missing.
    pub(crate) fn check_completeness_at_election(&mut self, leadership: &Leadership, slot: usize) {
        let matching = self.extend_committed_match(slot);
        let state = self.nodes.get(slot);
        let past_match = self.committed.iter().enumerate().skip(matching as usize);
        for (slot_of_index, known) in past_match {
            let Some(committed) = known else { continue };
            if committed.commit_term >= leadership.term {
                continue;
            }
            let index = slot_of_index as u64 + 1;
            let held = state.entry_at(index);
            if matches!(held, Some(e) if e.term == committed.term && e.entry == committed.entry) {
                continue;
            }
            let held_text = match held {
                Some(e) => format!("its log holds {} (term {}) there", e.entry, e.term),
                None => format!("its log ends at {}", state.last_index()),
            };
            self.report.report(Invariant::LeaderCompleteness, || Draft {
                message: format!(
                    "n{} becomes leader of term {} without {} (term {}) at index {index}, \
                     committed in term {} by n{}: {held_text}",
                    leadership.node,
                    leadership.term,
                    committed.entry,
                    committed.term,
                    committed.commit_term,
                    committed.node
                ),
                nodes: vec![leadership.node, committed.node],
                term: Some(leadership.term),
                index: Some(index),
                events: [
                    committed.append_event,
                    committed.commit_event,
                    leadership.event,
                ]
                .into_iter()
                .chain(held.map(|e| e.event))
                .collect(),
            });
            return;
        }
    }

    /// Extends the prefix of the node's log known to equal the committed
    /// entries as far as it goes, and returns its length. The prefix only
    /// shrinks when the log is truncated, so over a whole trace each entry
    /// of each log is compared about once.
    fn extend_committed_match(&mut self, slot: usize) -> u64 {
        let state = self.nodes.get(slot);
        let mut matching = state.matches_committed;
        while let Some(Some(committed)) = self.committed.get(matching as usize) {
            let same = state
                .entry_at(matching + 1)
                .is_some_and(|held| (held.term, held.entry) == (committed.term, committed.entry));
            if !same {
                break;
            }
            matching += 1;
        }
        self.nodes.get_mut(slot).matches_committed = matching;
        matching
    }
}
