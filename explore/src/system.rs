//! What a Raft must offer, beyond [`Replica`], to be explored.
//!
//! The model drives a system only through the [`Replica`] contract (boot
//! from a disk, step one input at a time, observations in the trace's
//! vocabulary), so the same explorer serves raft-core, an adapter, or a
//! user's Raft. Exploration adds three needs:
//! - **identity**: states are deduplicated by hash, so a replica, its disk
//!   and its messages are `Hash + Eq` on everything that can influence
//!   their future (and nothing else: see raft-core's identity.rs for why its
//!   random stream is left out);
//! - **renaming**: symmetry reduction permutes node ids, and only the
//!   system knows where it keeps them;
//! - **words**: a counterexample is printed for a person to read.

use histories::NodeId;
use replica::{Replica, TimerSlot};
use std::fmt::Debug;
use std::hash::Hash;

/// A [`Replica`] the explorer can run: hashable, renamable, describable.
pub trait Explorable:
    Replica<
        Message: Clone + Debug + Hash + Eq + Send + Sync + 'static,
        Disk: Clone + Hash + Eq + Send + Sync + 'static,
        Options: 'static,
    > + Clone
    + Hash
    + Eq
    + Send
    + Sync
    + 'static
{
    /// This replica with node ids renamed (`rename[old]` is the new id).
    fn relabel(&self, rename: &[NodeId]) -> Self;

    /// A message with node ids renamed.
    fn relabel_message(message: &Self::Message, rename: &[NodeId]) -> Self::Message;

    /// A disk with node ids renamed.
    fn relabel_disk(disk: &Self::Disk, rename: &[NodeId]) -> Self::Disk;

    /// The message in a few words, e.g. `RequestVote(term 2, last 0/0)`.
    fn describe_message(message: &Self::Message) -> String {
        format!("{message:?}")
    }

    /// A timer's name in a trace line, e.g. `election timeout`.
    fn timer_name(timer: TimerSlot) -> String {
        format!("timer {timer}")
    }

    /// True for a periodic timer whose every firing starts something new
    /// (a heartbeat round, numbered): left unbounded it makes the state
    /// space infinite, so the scope budgets its firings.
    fn is_periodic(timer: TimerSlot) -> bool {
        let _ = timer;
        false
    }

    /// True when delivering `message` to this replica, now or at any later
    /// time, changes nothing at all (a response of a term it has left, in
    /// raft-core): the model then drops it from the network. Two states
    /// that differ only in such a message have the same futures, so this
    /// merges them without losing a behaviour. Say true only when that is
    /// exactly so, for every later state of this replica, restarts
    /// included.
    fn is_stale(&self, message: &Self::Message) -> bool {
        let _ = message;
        false
    }

    /// False when firing `timer` now would change nothing, and the replica
    /// re-arms it before a firing could matter (a deposed leader's
    /// heartbeat, in raft-core): the model then disarms it at once, which
    /// is the state its firing would lead to, instead of keeping both.
    fn timer_matters(&self, timer: TimerSlot) -> bool {
        let _ = timer;
        true
    }

    /// True when a client request to this replica now would change nothing
    /// but a redirect (which the model does not keep): the model then does
    /// not offer that delivery. Say true only when that is exactly so.
    fn ignores_clients(&self) -> bool {
        false
    }
}
