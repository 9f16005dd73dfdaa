//! The safety pass: one walk over the trace, every invariant at once.
//!
//! The pass rebuilds what each node holds — role, term, votes, log,
//! commitIndex, applied index — from the events alone, and checks each
//! event against that picture the moment it arrives. The checks live next
//! to the state they read: [`elections`](super::elections) (leaders, terms,
//! votes), [`logs`](super::logs) (appends and truncations),
//! [`commitment`](super::commitment) (commits and Leader Completeness) and
//! [`applying`](super::applying) (the state machine). Every step is O(1)
//! amortized, bar one rare case: a commit made behind a leader of a later
//! term looks that leader's log up, by term runs. An election compares the
//! new leader's log with the committed entries only past the prefix it was
//! already found to match, and a restarted node committing again only
//! walks what it had not committed before.

use super::applying::AppliedLedger;
use super::commitment::Committed;
use super::entries::EntryIndex;
use super::leaders::LeaderBook;
use super::nodes::{NodeState, NodeTable};
use super::report::{Recorder, SafetyReport};
use histories::{NodeId, Trace, TraceKind};

/// Checks every safety [`Invariant`](super::Invariant) over `trace` in one
/// pass, and reports the first few violations of each.
///
/// The trace may be anything, including hand-made nonsense: the pass never
/// panics, and its memory is bounded by the number of events.
pub fn check_safety(trace: &Trace) -> SafetyReport {
    let mut pass = Pass::new(trace, nodes_in(trace));
    for (position, event) in trace.events.iter().enumerate() {
        if let Some(node) = event.node {
            pass.step(position, node, &event.event);
        }
    }
    pass.report.finish()
}

/// How many distinct nodes the trace shows: the cluster size as far as it
/// can tell (a node that never did anything is missed, which only makes the
/// majority smaller).
fn nodes_in(trace: &Trace) -> usize {
    // Clusters are small: a linear list of the ids seen is fastest, and a
    // trace with many ids (hand-made or garbage) is counted by sorting.
    const FEW: usize = 64;
    let ids = || trace.events.iter().filter_map(|event| event.node);
    let mut seen: Vec<NodeId> = Vec::with_capacity(FEW);
    for id in ids() {
        if !seen.contains(&id) {
            if seen.len() == FEW {
                let mut all: Vec<NodeId> = ids().collect();
                all.sort_unstable();
                all.dedup();
                return all.len();
            }
            seen.push(id);
        }
    }
    seen.len()
}

/// Everything the pass knows after the events read so far.
pub(crate) struct Pass<'t> {
    /// Each node's state.
    pub nodes: NodeTable<NodeState>,
    /// Every `(index, term)` ever appended (Log Matching, log lookups).
    pub entries: EntryIndex,
    /// By index − 1: the first entry known committed there.
    pub committed: Vec<Option<Committed>>,
    /// Every leader elected.
    pub leaders: LeaderBook,
    /// What was applied at each index, by any node.
    pub applied: AppliedLedger,
    /// The violations found.
    pub report: Recorder<'t>,
    /// Nodes in the cluster, as far as the trace shows.
    pub cluster_size: usize,
}

impl<'t> Pass<'t> {
    fn new(trace: &'t Trace, cluster_size: usize) -> Pass<'t> {
        Pass {
            nodes: NodeTable::default(),
            entries: EntryIndex::default(),
            committed: Vec::new(),
            leaders: LeaderBook::default(),
            applied: AppliedLedger::new(trace.events.len()),
            report: Recorder::new(trace),
            cluster_size,
        }
    }

    /// Checks one event of `node` and updates the picture.
    fn step(&mut self, position: usize, node: NodeId, event: &TraceKind) {
        let slot = self.nodes.slot(node, || NodeState::new(node));
        match *event {
            TraceKind::RoleChanged { role, term } => {
                self.on_role_changed(position, slot, role, term)
            }
            TraceKind::VoteGranted { term, candidate } => {
                self.record_vote(position, slot, term, candidate)
            }
            TraceKind::LogAppended { index, term, entry } => {
                self.on_appended(position, slot, index, term, entry)
            }
            TraceKind::LogTruncated { from_index, .. } => {
                self.on_truncated(position, slot, from_index)
            }
            TraceKind::CommitAdvanced { commit_index } => {
                self.on_commit_advanced(position, slot, commit_index)
            }
            TraceKind::Applied { index, term, entry } => {
                self.on_applied(position, slot, index, term, entry)
            }
            TraceKind::Crashed => {
                let state = self.nodes.get_mut(slot);
                state.running = false;
                state.lose_volatile_state();
            }
            TraceKind::Restarted {
                term,
                voted_for,
                last_log_index,
            } => {
                self.check_restored_term(position, slot, term, voted_for);
                self.check_restored_log(position, slot, last_log_index);
                let state = self.nodes.get_mut(slot);
                state.running = true;
                state.lose_volatile_state();
                state.set_term(term, position);
            }
            TraceKind::Paused
            | TraceKind::Resumed
            | TraceKind::Nemesis { .. }
            | TraceKind::ReadServed { .. } => {}
        }
    }
}
