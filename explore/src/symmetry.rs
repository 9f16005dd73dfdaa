//! Symmetry reduction: one state per class of states that differ only in
//! which node has which number.
//!
//! Raft's nodes are interchangeable: nothing in the protocol depends on a
//! node's number, only on which node is which (raft-core/src/relabel.rs).
//! If π renames nodes, every behaviour from state s renamed by π is a
//! behaviour from π(s), and the four safety properties and the `sometimes`
//! properties hold of s exactly when they hold of π(s) (each quantifies
//! over all nodes, terms and indexes alike). So exploring one renaming of
//! each reached state explores them all, and a violation found in a
//! renamed state is a violation, which the trace printer renames back.
//!
//! stateright 0.31 applies `CheckerBuilder::symmetry` only in its
//! depth-first and simulation checkers, not breadth-first, so the model
//! applies it itself: `next_state` returns the representative, for every
//! strategy alike.
//!
//! The representative sorts nodes by a signature that renaming cannot
//! change (role, term, whom it voted for as self/other/nobody, observed log,
//! commit and applied indexes, timers, timeout budget left, messages to and from it, requests
//! delivered to it). Nodes with
//! equal signatures keep their relative order: the representative is then
//! not always the same for two renamings of a state, which only costs some
//! reduction — every state explored is still a renaming of a reachable one.

use crate::hashing::hash_of;
use crate::model::ExploreModel;
use crate::relabel_cache;
use crate::state::{delivery_bit, Cluster};
use crate::system::Explorable;
use histories::NodeId;
use smallvec::SmallVec;
use std::sync::Arc;

impl<R: Explorable> ExploreModel<R> {
    /// The representative of `state`'s class, and the renaming that made it
    /// (`rename[old]` is the new id), or `None` when `state` is its own.
    pub fn representative(&self, state: Cluster<R>) -> (Cluster<R>, Option<Vec<NodeId>>) {
        if !self.scope.symmetry {
            return (state, None);
        }
        let signatures = signatures(&state);
        let mut order: SmallVec<[usize; 8]> = (0..state.slots.len()).collect();
        order.sort_by_key(|&id| (signatures[id], id));
        if order.iter().enumerate().all(|(new, &old)| new == old) {
            return (state, None);
        }
        let mut rename = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            rename[old] = new as NodeId;
        }
        (relabeled(&state, &rename), Some(rename))
    }
}

/// Each node's signature: everything about it that renaming leaves alone,
/// most stable first (term, role, log length, commit index...), so that a
/// step moves a node past another — and forces a renaming — only when it
/// overtakes it; the log's contents, the timers and the traffic only break
/// ties.
fn signatures<R: Explorable>(state: &Cluster<R>) -> SmallVec<[Signature; 8]> {
    let mut traffic = [(0u32, 0u32); 8];
    for item in state.network.items() {
        let copies = u32::from(item.copies);
        traffic[item.envelope.from as usize].0 += copies;
        traffic[item.envelope.to as usize].1 += copies;
    }
    state
        .slots
        .iter()
        .enumerate()
        .map(|(id, slot)| {
            let vote = slot
                .replica
                .as_ref()
                .map(|replica| match replica.status().voted_for {
                    None => 0u8,
                    Some(candidate) if candidate as usize == id => 1,
                    Some(_) => 2,
                });
            let order = (
                slot.is_up(),
                slot.term,
                slot.role,
                slot.log.len(),
                slot.commit,
                slot.applied,
            );
            let ties = hash_of(&(
                vote,
                slot.invariant_hash(),
                traffic[id],
                requests_at(state.delivered, id),
            ));
            (order, ties)
        })
        .collect()
}

/// A node's signature: ordered facts, then a hash of the rest.
type Signature = ((bool, u64, histories::Role, usize, u64, u64), u64);

/// The requests delivered to node `id`, one bit each.
fn requests_at(delivered: u128, id: usize) -> u16 {
    set_bits(delivered)
        .filter(|bit| bit % 8 == id as u32)
        .fold(0, |acc, bit| acc | 1 << (bit / 8))
}

/// `state` with every node id renamed.
pub fn relabeled<R: Explorable>(state: &Cluster<R>, rename: &[NodeId]) -> Cluster<R> {
    let mut slots = state.slots.clone();
    for (old, slot) in state.slots.iter().enumerate() {
        slots[rename[old] as usize] = relabel_cache::renamed(slot, rename);
    }
    let network = state
        .network
        .relabeled(|item| relabel_cache::renamed_envelope::<R>(item, rename));
    let ghost = if state.ghost.leaders.iter().any(|&mask| mask != 0) {
        Arc::new(state.ghost.relabeled(rename))
    } else {
        Arc::clone(&state.ghost)
    };
    Cluster {
        slots,
        network,
        ghost,
        answered: state.answered,
        delivered: renamed_deliveries(state.delivered, rename),
        crashes: state.crashes,
        beats: state.beats,
        depth: state.depth,
    }
}

/// Request deliveries with their nodes renamed.
fn renamed_deliveries(delivered: u128, rename: &[NodeId]) -> u128 {
    set_bits(delivered).fold(0, |acc, bit| {
        acc | delivery_bit(bit / 8, rename[(bit % 8) as usize])
    })
}

/// The positions of the bits set in `bits`, lowest first.
fn set_bits(mut bits: u128) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        let bit = (bits != 0).then(|| bits.trailing_zeros())?;
        bits &= bits - 1;
        Some(bit)
    })
}

/// The inverse renaming.
pub fn inverse(rename: &[NodeId]) -> Vec<NodeId> {
    let mut inverse = vec![0; rename.len()];
    for (old, &new) in rename.iter().enumerate() {
        inverse[new as usize] = old as NodeId;
    }
    inverse
}

/// `first` then `second`: `composed[id] = second[first[id]]`.
pub fn compose(first: &[NodeId], second: &[NodeId]) -> Vec<NodeId> {
    first.iter().map(|&mid| second[mid as usize]).collect()
}
