//! A per-thread memo of renamed node slots.
//!
//! Symmetry reduction renames every node of a state whenever a step moves
//! one node past another in the canonical order, and renaming a slot
//! (replica, disk, re-hash) was a tenth of all instructions. But states
//! share their slots (`Arc`): a step copies one node and keeps the others,
//! so the same slot is renamed by the same renaming again and again, in
//! sibling after sibling. The memo keeps the last renaming of each (slot,
//! renaming) pair and hands back the shared result.
//!
//! Renaming is a pure function of the slot's contents and the renaming, so
//! the memo changes no state and no order — only how often the work is
//! done. A hit is taken only when the slot is the very same allocation as
//! the one renamed before (pointer equality, with the memo holding it
//! alive, so the address cannot be reused) or equal to it in full: a hash
//! collision can never return a wrong slot. The memo is bounded and
//! cleared when full, so memory stays flat.

use crate::slot::Slot;
use crate::system::Explorable;
use histories::NodeId;
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Entries kept before the memo starts afresh.
const CAPACITY: usize = 1 << 15;

/// (slot hash, renaming as one word) -> (the slot, its renaming), type-erased
/// because a `thread_local` cannot be generic.
type Memo = HashMap<(u64, u64), Box<dyn Any>, ahash::RandomState>;

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(HashMap::with_hasher(ahash::RandomState::with_seeds(1, 2, 3, 4)));
}

/// `slot` renamed by `rename`, shared with earlier identical renamings.
pub fn renamed<R: Explorable>(slot: &Arc<Slot<R>>, rename: &[NodeId]) -> Arc<Slot<R>> {
    let key = (slot.cached_hash(), renaming_word(rename));
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let known = memo
            .get(&key)
            .and_then(|entry| entry.downcast_ref::<(Arc<Slot<R>>, Arc<Slot<R>>)>());
        if let Some((original, renamed)) = known {
            if Arc::ptr_eq(original, slot) || **original == **slot {
                return Arc::clone(renamed);
            }
        }
        let renamed = Arc::new(slot.relabeled(rename));
        if memo.len() >= CAPACITY {
            memo.clear();
        }
        memo.insert(key, Box::new((Arc::clone(slot), Arc::clone(&renamed))));
        renamed
    })
}

/// A renaming of at most 8 nodes as one word, a byte per node.
fn renaming_word(rename: &[NodeId]) -> u64 {
    rename.iter().enumerate().fold(0, |word, (old, &new)| {
        word | u64::from(new as u8) << (8 * old)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamings_are_distinct_words() {
        // (renaming, word)
        let cases: [(&[NodeId], u64); 3] = [
            (&[0, 1, 2], 0x02_01_00),
            (&[1, 0, 2], 0x02_00_01),
            (&[2, 1, 0], 0x00_01_02),
        ];
        for (rename, word) in cases {
            assert_eq!(renaming_word(rename), word, "{rename:?}");
        }
    }
}
