//! One node's place in a cluster state: the replica (absent while
//! crashed), its disk, its armed timers, and what it was observed to hold.
//!
//! The observed log, commit index and applied index are rebuilt from the
//! replica's own observations (`LogAppended`, `CommitAdvanced`, ...), the
//! way the trace checker rebuilds them: the properties judge what a system
//! reports, whatever its internals, so any [`Explorable`] can be checked.

use crate::hashing::hash_of;
use crate::system::Explorable;
use histories::{EntryId, TraceKind};
use replica::Role;

/// An entry as observed: its term and its command's identity.
pub type LogEntry = (u64, EntryId);

/// [`Slot::timeouts_left`] of a scope without a timeout budget.
pub const UNBUDGETED: u8 = u8::MAX;

/// One node of a cluster state.
#[derive(Clone)]
pub struct Slot<R: Explorable> {
    /// The running replica; `None` while crashed.
    pub replica: Option<R>,
    /// What survives a crash.
    pub disk: R::Disk,
    /// Armed timers, one bit per timer slot.
    pub armed: u8,
    /// The term it last reported (durable).
    pub term: u64,
    /// The role it last reported (`Follower` while crashed).
    pub role: Role,
    /// Its log as observed (durable: the contract persists every write
    /// before the step returns).
    pub log: Vec<LogEntry>,
    /// Its commit index as observed (volatile).
    pub commit: u64,
    /// Its applied index as observed (volatile).
    pub applied: u64,
    /// Election timeouts it may still take ([`UNBUDGETED`]: any), kept
    /// across crashes (see [`crate::budget`]).
    pub timeouts_left: u8,
    hash: u64,
    invariant_hash: u64,
}

/// Equal slots have equal cached hashes, so comparing those first turns
/// the common case — two different slots — into one word's comparison.
impl<R: Explorable> PartialEq for Slot<R> {
    fn eq(&self, other: &Slot<R>) -> bool {
        self.hash == other.hash
            && self.invariant_hash == other.invariant_hash
            && (self.armed, self.term, self.role, self.commit, self.applied)
                == (
                    other.armed,
                    other.term,
                    other.role,
                    other.commit,
                    other.applied,
                )
            && self.timeouts_left == other.timeouts_left
            && self.log == other.log
            && self.replica == other.replica
            && self.disk == other.disk
    }
}

impl<R: Explorable> Eq for Slot<R> {}

impl<R: Explorable> Slot<R> {
    /// A node just booted from `disk`, in `term`, holding `log`.
    pub fn booted(replica: R, disk: R::Disk, term: u64, log: Vec<LogEntry>) -> Slot<R> {
        let mut slot = Slot {
            replica: Some(replica),
            disk,
            armed: 0,
            term,
            role: Role::Follower,
            log,
            commit: 0,
            applied: 0,
            timeouts_left: UNBUDGETED,
            hash: 0,
            invariant_hash: 0,
        };
        slot.seal();
        slot
    }

    /// True while the node runs.
    pub fn is_up(&self) -> bool {
        self.replica.is_some()
    }

    /// True when timer `timer` is armed.
    pub fn is_armed(&self, timer: u8) -> bool {
        self.armed & (1 << timer) != 0
    }

    /// The node crashes: the process and its volatile state are gone, the
    /// disk (and so the log and the term) stays.
    pub fn crash(&mut self) {
        self.replica = None;
        self.armed = 0;
        self.role = Role::Follower;
        self.commit = 0;
        self.applied = 0;
    }

    /// Takes one of the node's observations into the observed state.
    pub fn observe(&mut self, observation: &TraceKind) {
        match *observation {
            TraceKind::RoleChanged { role, term } => {
                self.role = role;
                self.term = term;
            }
            TraceKind::LogAppended { index, term, entry } => {
                self.log.truncate(index.saturating_sub(1) as usize);
                self.log.push((term, entry));
            }
            TraceKind::LogTruncated { from_index, .. } => {
                self.log.truncate(from_index.saturating_sub(1) as usize);
            }
            TraceKind::CommitAdvanced { commit_index } => self.commit = commit_index,
            TraceKind::Applied { index, .. } => self.applied = index,
            _ => {}
        }
    }

    /// This slot with node ids renamed (`rename[old]` is the new id).
    pub fn relabeled(&self, rename: &[u32]) -> Slot<R> {
        let mut slot = Slot {
            replica: self.replica.as_ref().map(|replica| replica.relabel(rename)),
            disk: R::relabel_disk(&self.disk, rename),
            armed: self.armed,
            term: self.term,
            role: self.role,
            log: self.log.clone(),
            commit: self.commit,
            applied: self.applied,
            timeouts_left: self.timeouts_left,
            hash: 0,
            invariant_hash: self.invariant_hash,
        };
        slot.seal();
        slot
    }

    /// Recomputes the cached hashes; call after every change.
    pub fn seal(&mut self) {
        self.invariant_hash = hash_of(&(&self.log, self.armed, self.timeouts_left));
        self.hash = hash_of(&(
            (&self.replica, &self.disk),
            (
                self.term,
                self.role,
                self.invariant_hash,
                self.commit,
                self.applied,
            ),
        ));
    }

    /// The cached hash of everything above.
    pub fn cached_hash(&self) -> u64 {
        self.hash
    }

    /// The cached hash of the parts that hold no node id (the observed log,
    /// the armed timers, the timeout budget): renaming nodes leaves it
    /// alone, so symmetry reduction can sort nodes by it without hashing
    /// their logs again.
    pub fn invariant_hash(&self) -> u64 {
        self.invariant_hash
    }
}
