//! What the checker knows of each node while it reads the trace.

use histories::{EntryId, NodeId, Role};
use std::collections::BTreeMap;

/// One entry of a node's log, as the checker rebuilt it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogEntry {
    /// The entry's term.
    pub term: u64,
    /// The entry's command.
    pub entry: EntryId,
    /// Trace position of the append that wrote it.
    pub event: usize,
}

/// A vote a node gave: to another candidate, or to itself as a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Vote {
    pub term: u64,
    pub candidate: NodeId,
    /// Trace position of the event that shows the vote.
    pub event: usize,
}

/// Every vote a node ever gave, one per term, sorted by term.
///
/// Terms normally only grow, so recording is a push; a node that forgot
/// its term after a restart may vote in old terms again, which lands in
/// the middle by binary search.
#[derive(Debug, Default)]
pub(crate) struct Votes(Vec<Vote>);

impl Votes {
    /// The vote given in `term`, if any.
    pub fn in_term(&self, term: u64) -> Option<Vote> {
        match self.0.last() {
            Some(last) if last.term == term => Some(*last),
            Some(last) if last.term > term => {
                let slot = self.0.binary_search_by_key(&term, |vote| vote.term).ok()?;
                Some(self.0[slot])
            }
            _ => None,
        }
    }

    /// Records a vote in a term that had none (or replaces it).
    pub fn record(&mut self, vote: Vote) {
        if self.0.last().is_none_or(|last| last.term < vote.term) {
            self.0.push(vote);
            return;
        }
        match self.0.binary_search_by_key(&vote.term, |v| v.term) {
            Ok(slot) => self.0[slot] = vote,
            Err(slot) => self.0.insert(slot, vote),
        }
    }
}

/// One node, as far as the trace has shown it.
#[derive(Debug)]
pub(crate) struct NodeState {
    pub id: NodeId,
    /// False between `Crashed` and `Restarted`.
    pub running: bool,
    /// The role it plays; a crash makes it a follower (it restarts as one).
    pub role: Role,
    /// Its currentTerm.
    pub term: u64,
    /// Trace position of the event that set `term`, if any did.
    pub term_event: Option<usize>,
    /// While it leads: its entry in the leaderships list.
    pub leadership: Option<usize>,
    /// Its log: durable, survives crashes.
    pub log: Vec<LogEntry>,
    /// Its commitIndex in the current run.
    pub commit_index: u64,
    /// Trace position of the `CommitAdvanced` that set `commit_index`.
    pub commit_event: Option<usize>,
    /// The index it applied last in the current run.
    pub last_applied: u64,
    /// Trace position of that `Applied`.
    pub applied_event: Option<usize>,
    /// Every vote it gave.
    pub votes: Votes,
    /// Votes it gave in a term where it had already voted for another
    /// candidate (Single Vote violations): they do not count towards a
    /// quorum, and an Elected by Quorum report says so.
    pub second_votes: Vec<Vote>,
    /// Entries `1..=committed_through` of its log were already recorded as
    /// committed by this node, in a term no higher than its current one: a
    /// restarted node committing them again need not walk them again.
    pub committed_through: u64,
    /// Entries `1..=matches_committed` of its log are the committed entries
    /// at those indexes (each of which had one when compared): the Leader
    /// Completeness check at its next election starts past them.
    pub matches_committed: u64,
}

impl NodeState {
    pub fn new(id: NodeId) -> NodeState {
        NodeState {
            id,
            running: true,
            role: Role::Follower,
            term: 0,
            term_event: None,
            leadership: None,
            log: Vec::new(),
            commit_index: 0,
            commit_event: None,
            last_applied: 0,
            applied_event: None,
            votes: Votes::default(),
            second_votes: Vec::new(),
            committed_through: 0,
            matches_committed: 0,
        }
    }

    /// Index of the last entry of its log (0 when empty).
    pub fn last_index(&self) -> u64 {
        self.log.len() as u64
    }

    /// Term of the last entry of its log (0 when empty).
    pub fn last_term(&self) -> u64 {
        self.log.last().map_or(0, |entry| entry.term)
    }

    /// The entry at `index` (from 1), if its log reaches it.
    pub fn entry_at(&self, index: u64) -> Option<&LogEntry> {
        let slot = index.checked_sub(1)?;
        self.log.get(usize::try_from(slot).ok()?)
    }

    /// Term of the entry at `index`; 0 for index 0, the empty prefix.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            return Some(0);
        }
        self.entry_at(index).map(|entry| entry.term)
    }

    /// Keeps entries `1..from_index` only.
    pub fn truncate_from(&mut self, from_index: u64) {
        let keep = from_index.saturating_sub(1).min(self.last_index());
        self.log.truncate(keep as usize);
        self.committed_through = self.committed_through.min(keep);
        self.matches_committed = self.matches_committed.min(keep);
    }

    /// Takes `term` as its currentTerm, shown by the event at `position`.
    pub fn set_term(&mut self, term: u64, position: usize) {
        if term < self.term {
            // Its earlier commits were made in terms above the new one.
            self.committed_through = 0;
        }
        if term != self.term || self.term_event.is_none() {
            self.term = term;
            self.term_event = Some(position);
        }
    }

    /// Forgets what a crash loses: role, commitIndex, the state machine.
    pub fn lose_volatile_state(&mut self) {
        self.role = Role::Follower;
        self.leadership = None;
        self.commit_index = 0;
        self.commit_event = None;
        self.last_applied = 0;
        self.applied_event = None;
    }
}

/// Node ids below this are looked up in a plain vector; any larger id (only
/// ever seen in a hand-made trace) goes through a map, so a stray id cannot
/// make the checker allocate gigabytes.
const DIRECT_IDS: usize = 1024;

/// Per-node values, created on first mention, found by node id.
#[derive(Debug)]
pub(crate) struct NodeTable<T> {
    nodes: Vec<T>,
    /// By id, for ids below [`DIRECT_IDS`]: the slot, or `u32::MAX`.
    direct: Vec<u32>,
    sparse: BTreeMap<NodeId, u32>,
}

impl<T> Default for NodeTable<T> {
    fn default() -> NodeTable<T> {
        NodeTable {
            nodes: Vec::new(),
            direct: Vec::new(),
            sparse: BTreeMap::new(),
        }
    }
}

impl<T> NodeTable<T> {
    /// Where `id` lives, creating its value with `make` on first sight.
    pub fn slot(&mut self, id: NodeId, make: impl FnOnce() -> T) -> usize {
        let known = if (id as usize) < DIRECT_IDS {
            self.direct
                .get(id as usize)
                .copied()
                .filter(|&s| s != u32::MAX)
        } else {
            self.sparse.get(&id).copied()
        };
        if let Some(slot) = known {
            return slot as usize;
        }
        let slot = self.nodes.len() as u32;
        self.nodes.push(make());
        if (id as usize) < DIRECT_IDS {
            if self.direct.len() <= id as usize {
                self.direct.resize(id as usize + 1, u32::MAX);
            }
            self.direct[id as usize] = slot;
        } else {
            self.sparse.insert(id, slot);
        }
        slot as usize
    }

    pub fn get(&self, slot: usize) -> &T {
        &self.nodes[slot]
    }

    pub fn get_mut(&mut self, slot: usize) -> &mut T {
        &mut self.nodes[slot]
    }

    /// Every value, in order of first mention.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.nodes.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_table_gives_each_id_one_slot_small_or_huge() {
        let mut table = NodeTable::default();
        let a = table.slot(3, || NodeState::new(3));
        let b = table.slot(u32::MAX, || NodeState::new(u32::MAX));
        let c = table.slot(0, || NodeState::new(0));
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(table.slot(u32::MAX, || unreachable!()), 1);
        assert_eq!(table.slot(3, || unreachable!()), 0);
        assert_eq!(table.get(b).id, u32::MAX);
        let ids: Vec<NodeId> = table.values().map(|n| n.id).collect();
        assert_eq!(ids, [3, u32::MAX, 0]);
    }

    #[test]
    fn votes_are_found_by_term_in_any_recording_order() {
        let mut votes = Votes::default();
        for (term, candidate) in [(2, 1), (5, 0), (3, 4)] {
            votes.record(Vote {
                term,
                candidate,
                event: 0,
            });
        }
        assert_eq!(votes.in_term(3).map(|v| v.candidate), Some(4));
        assert_eq!(votes.in_term(5).map(|v| v.candidate), Some(0));
        assert_eq!(votes.in_term(4), None);
    }
}
