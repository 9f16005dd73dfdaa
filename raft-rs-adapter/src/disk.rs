//! The node's disk: raft-rs's own `MemStorage`.
//!
//! `MemStorage` is a shared handle (`Arc<RwLock<..>>`): the world keeps
//! one in the node's [`RaftRsDisk`], and the node's `RawNode` reads the
//! same storage through its clone — that clone is the "shared handle it
//! documents as its disk" the `Replica` contract allows. The node writes
//! to it only while handling a `Ready` inside a step, so what it holds
//! between steps is exactly what was persisted. A crash drops the
//! `RawNode` and its clone; a restart builds a new one from the storage.
//!
//! For the planted `send-before-persist` bug the disk also models a write
//! cache: the step's writes land in the storage (raft-rs must be able to
//! read what it handed out) but stay unsynced until the node's next step;
//! a boot that finds them unsynced rolls them back, as a power loss would.

use raft::eraftpb::{ConfState, Entry, HardState};
use raft::storage::MemStorage;
use raft::{Storage, NO_LIMIT};
use replica::LogIndex;

/// What survives a crash of a raft-rs node.
#[derive(Clone, Default)]
pub struct RaftRsDisk {
    storage: MemStorage,
    /// Writes of the last step not yet synced (only under
    /// `send-before-persist`): how to undo them.
    unsynced: Option<Undo>,
}

/// How to restore the disk to what it held before the unsynced writes.
#[derive(Clone, Debug)]
struct Undo {
    hard_state: HardState,
    /// The log is restored to its entries before this index, followed by
    /// `overwritten`.
    from_index: LogIndex,
    /// The entries at `from_index..` before the writes.
    overwritten: Vec<Entry>,
}

impl std::fmt::Debug for RaftRsDisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftRsDisk")
            .field("hard_state", &self.hard_state())
            .field("last_index", &self.last_index())
            .field("unsynced", &self.unsynced.is_some())
            .finish()
    }
}

impl RaftRsDisk {
    /// The storage, to hand to a `RawNode` (a clone of the shared handle).
    pub fn storage(&self) -> MemStorage {
        self.storage.clone()
    }

    /// True once the disk holds a configuration (after the first boot).
    pub fn is_initialized(&self) -> bool {
        !self.conf_state().voters.is_empty()
    }

    /// First boot: every node starts with the same configuration, voters
    /// `voters`, and an empty log (raft-rs's `initialize_with_conf_state`).
    pub fn initialize(&mut self, voters: Vec<u64>) {
        self.storage
            .initialize_with_conf_state((voters, Vec::<u64>::new()));
    }

    /// The persisted hard state.
    pub fn hard_state(&self) -> HardState {
        self.storage.rl().hard_state().clone()
    }

    /// The persisted configuration.
    pub fn conf_state(&self) -> ConfState {
        let state = self
            .storage
            .initial_state()
            .expect("MemStorage never fails");
        state.conf_state
    }

    /// The index of the last persisted entry (0 for an empty log).
    pub fn last_index(&self) -> LogIndex {
        self.storage.last_index().expect("MemStorage never fails")
    }

    /// Every persisted entry, in order.
    pub fn entries(&self) -> Vec<Entry> {
        let first = self.storage.first_index().expect("MemStorage never fails");
        let high = self.last_index() + 1;
        self.storage
            .entries(first, high, NO_LIMIT, raft::GetEntriesContext::empty(false))
            .expect("MemStorage holds its own range")
    }

    /// Writes `entries` (contiguous, starting at or below `last_index + 1`),
    /// dropping whatever they overwrite; with `cached`, remembers how to
    /// undo it until [`RaftRsDisk::sync`].
    pub fn append(&mut self, entries: &[Entry], cached: bool) {
        let Some(first) = entries.first() else {
            return;
        };
        if cached {
            self.remember_log_from(first.index);
        }
        self.storage
            .wl()
            .append(entries)
            .expect("raft-rs hands out contiguous entries");
    }

    /// Writes the hard state; with `cached`, undoable until synced.
    pub fn set_hard_state(&mut self, hard_state: HardState, cached: bool) {
        if cached {
            self.undo_record();
        }
        self.storage.wl().set_hardstate(hard_state);
    }

    /// Makes every cached write durable (an fsync).
    pub fn sync(&mut self) {
        self.unsynced = None;
    }

    /// The crash lost the cache: undoes the writes never synced. Returns
    /// true when there were any.
    pub fn lose_unsynced(&mut self) -> bool {
        let Some(undo) = self.unsynced.take() else {
            return false;
        };
        let mut log = self.entries();
        log.retain(|entry| entry.index < undo.from_index);
        log.extend(undo.overwritten);
        let rebuilt = MemStorage::new_with_conf_state(self.conf_state());
        {
            let mut core = rebuilt.wl();
            core.append(&log)
                .expect("a prefix and its old suffix are contiguous");
            core.set_hardstate(undo.hard_state);
        }
        self.storage = rebuilt;
        true
    }

    /// Forgets the hard state (for `forget-hard-state-on-restart`).
    pub fn forget_hard_state(&mut self) {
        self.storage.wl().set_hardstate(HardState::default());
    }

    fn undo_record(&mut self) -> &mut Undo {
        if self.unsynced.is_none() {
            self.unsynced = Some(Undo {
                hard_state: self.hard_state(),
                from_index: self.last_index() + 1,
                overwritten: Vec::new(),
            });
        }
        self.unsynced.as_mut().expect("just made")
    }

    /// Before writing entries from `index` on, keeps the entries they will
    /// overwrite that the undo record does not hold yet: those at
    /// `index..from_index`, untouched by this step's earlier writes.
    fn remember_log_from(&mut self, index: LogIndex) {
        let from_index = self.undo_record().from_index;
        if index >= from_index {
            return;
        }
        let older = self
            .storage
            .entries(
                index,
                from_index,
                NO_LIMIT,
                raft::GetEntriesContext::empty(false),
            )
            .expect("MemStorage holds its own range");
        let undo = self.undo_record();
        undo.overwritten.splice(0..0, older);
        undo.from_index = index;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64, term: u64) -> Entry {
        Entry {
            index,
            term,
            ..Entry::default()
        }
    }

    fn terms(disk: &RaftRsDisk) -> Vec<(u64, u64)> {
        disk.entries().iter().map(|e| (e.index, e.term)).collect()
    }

    #[test]
    fn unsynced_writes_are_undone_and_synced_ones_kept() {
        let mut disk = RaftRsDisk::default();
        disk.initialize(vec![1, 2, 3]);
        disk.append(&[entry(1, 1), entry(2, 1), entry(3, 1)], false);
        let synced = HardState {
            term: 1,
            vote: 2,
            commit: 1,
            ..HardState::default()
        };
        disk.set_hard_state(synced.clone(), false);
        // One step's cached writes: overwrite from 3, then from 2, extend.
        disk.append(&[entry(3, 2), entry(4, 2)], true);
        disk.append(&[entry(2, 3)], true);
        disk.set_hard_state(
            HardState {
                term: 3,
                vote: 3,
                ..synced.clone()
            },
            true,
        );
        assert_eq!(terms(&disk), [(1, 1), (2, 3)]);
        assert!(disk.lose_unsynced());
        assert_eq!(terms(&disk), [(1, 1), (2, 1), (3, 1)]);
        assert_eq!(disk.hard_state(), synced);
        assert_eq!(disk.conf_state().voters, [1, 2, 3]);
        // Synced writes survive.
        disk.append(&[entry(4, 1)], true);
        disk.sync();
        assert!(!disk.lose_unsynced());
        assert_eq!(disk.last_index(), 4);
    }
}
