//! A state of the explored world: every node, every message in flight,
//! the clients' answers, the crashes spent, and the history the properties
//! need.
//!
//! Parts are shared between a state and its successors (`Arc`) and copied
//! only when a step changes them (`Arc::make_mut`), and the state hashes
//! the cached hashes of its parts: a successor costs one node's copy and a
//! few dozen words of hashing, not the whole cluster's.

use crate::ghost::Ghost;
use crate::network::Network;
use crate::slot::Slot;
use crate::system::Explorable;
use smallvec::SmallVec;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The nodes of a state, by id: inline up to five (the scopes one can
/// exhaust), so that copying a state allocates nothing for them.
pub type Slots<R> = SmallVec<[Arc<Slot<R>>; 5]>;

/// The whole cluster at one point of one interleaving.
pub struct Cluster<R: Explorable> {
    /// The nodes, by id.
    pub slots: Slots<R>,
    /// Messages in flight.
    pub network: Network<R::Message>,
    /// History the properties read.
    pub ghost: Arc<Ghost>,
    /// Requests answered with a result, one bit per request.
    pub answered: u32,
    /// Requests delivered, one bit per (request, node): bit
    /// `request * 8 + node`. A client sends a request to each node at most
    /// once (a retry goes elsewhere), which keeps the scope finite: a
    /// ReadIndex read is not deduplicated, so resending one to the same
    /// leader forever would make new states forever.
    pub delivered: u128,
    /// Crashes so far.
    pub crashes: u8,
    /// Periodic timer firings (heartbeats) so far, by any node.
    pub beats: u8,
    /// Actions from the initial state on the path that first reached this
    /// state. Not part of the state's identity (neither hashed nor
    /// compared): it only lets properties report the shortest path.
    pub depth: u32,
}

impl<R: Explorable> Clone for Cluster<R> {
    fn clone(&self) -> Cluster<R> {
        Cluster {
            slots: self.slots.clone(),
            network: self.network.clone(),
            ghost: Arc::clone(&self.ghost),
            answered: self.answered,
            delivered: self.delivered,
            crashes: self.crashes,
            beats: self.beats,
            depth: self.depth,
        }
    }
}

impl<R: Explorable> Hash for Cluster<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for slot in &self.slots {
            state.write_u64(slot.cached_hash());
        }
        self.network.hash(state);
        self.ghost.hash(state);
        state.write_u32(self.answered);
        state.write_u128(self.delivered);
        state.write_u8(self.crashes);
        state.write_u8(self.beats);
    }
}

impl<R: Explorable> PartialEq for Cluster<R> {
    fn eq(&self, other: &Cluster<R>) -> bool {
        self.slots == other.slots
            && self.network == other.network
            && self.ghost == other.ghost
            && (self.answered, self.delivered, self.crashes, self.beats)
                == (other.answered, other.delivered, other.crashes, other.beats)
    }
}

impl<R: Explorable> Eq for Cluster<R> {}

/// The bit of `delivered` for request `request` at node `node`.
pub fn delivery_bit(request: u32, node: u32) -> u128 {
    1 << (request * 8 + node)
}

impl<R: Explorable> Cluster<R> {
    /// Nodes down now.
    pub fn down(&self) -> u32 {
        self.slots.iter().filter(|slot| !slot.is_up()).count() as u32
    }
}

impl<R: Explorable> fmt::Debug for Cluster<R> {
    /// One line per node (role, term, log) and the number of messages in
    /// flight: enough to see where a path went.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (id, slot) in self.slots.iter().enumerate() {
            let status = if slot.is_up() {
                slot.role.to_string()
            } else {
                "down".to_string()
            };
            write!(f, "n{id} {status} t{} log[", slot.term)?;
            for (at, (term, entry)) in slot.log.iter().enumerate() {
                let sep = if at == 0 { "" } else { " " };
                write!(f, "{sep}{entry}@{term}")?;
            }
            write!(f, "] commit {}; ", slot.commit)?;
        }
        write!(f, "{} in flight", self.network.items().len())
    }
}
