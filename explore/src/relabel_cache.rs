//! Per-thread memos of renamed node slots and renamed messages.
//!
//! Symmetry reduction renames every node of a state whenever a step moves
//! one node past another in the canonical order, and renaming a slot
//! (replica, disk, re-hash) was a tenth of all instructions; renaming the
//! messages in flight (re-building each, allocating it, re-hashing it) was
//! most of the rest. But states share their parts (`Arc`): a step copies
//! one node and one or two messages and keeps the others, so the same part
//! is renamed by the same renaming again and again, in sibling after
//! sibling. A memo keeps the last renaming of each (part, renaming) pair
//! and hands back the shared result.
//!
//! Renaming is a pure function of the part's contents and the renaming, so
//! a memo changes no state and no order — only how often the work is done.
//! A hit is taken only when the part is the very same allocation as the one
//! renamed before (pointer equality, with the memo holding it alive, so the
//! address cannot be reused) or equal to it in full: a hash collision can
//! never return a wrong part. Each memo is bounded and cleared when full,
//! so memory stays flat.

use crate::hashing::hash_of;
use crate::network::{Envelope, InFlight};
use crate::slot::Slot;
use crate::system::Explorable;
use histories::NodeId;
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Entries kept before a memo starts afresh.
const CAPACITY: usize = 1 << 15;

/// (part hash, renaming as one word) -> (the part, its renaming, the
/// renaming's hash), type-erased because a `thread_local` cannot be generic.
type Memo = HashMap<(u64, u64), Box<dyn Any>, ahash::RandomState>;

fn empty_memo() -> RefCell<Memo> {
    RefCell::new(HashMap::with_hasher(ahash::RandomState::with_seeds(
        1, 2, 3, 4,
    )))
}

thread_local! {
    static SLOTS: RefCell<Memo> = empty_memo();
    static ENVELOPES: RefCell<Memo> = empty_memo();
}

/// `slot` renamed by `rename`, shared with earlier identical renamings.
pub fn renamed<R: Explorable>(slot: &Arc<Slot<R>>, rename: &[NodeId]) -> Arc<Slot<R>> {
    let key = (slot.cached_hash(), renaming_word(rename));
    let (renamed, _) = SLOTS.with(|memo| {
        remembered(&mut memo.borrow_mut(), key, slot, || {
            let renamed = slot.relabeled(rename);
            let hash = renamed.cached_hash();
            (renamed, hash)
        })
    });
    renamed
}

/// The message in flight `item` renamed by `rename`, and its new hash,
/// shared with earlier identical renamings.
pub fn renamed_envelope<R: Explorable>(
    item: &InFlight<R::Message>,
    rename: &[NodeId],
) -> (Arc<Envelope<R::Message>>, u64) {
    let key = (item.hash(), renaming_word(rename));
    ENVELOPES.with(|memo| {
        remembered(&mut memo.borrow_mut(), key, &item.envelope, || {
            let envelope = &item.envelope;
            let renamed = Envelope {
                from: rename[envelope.from as usize],
                to: rename[envelope.to as usize],
                message: R::relabel_message(&envelope.message, rename),
            };
            let hash = hash_of(&renamed);
            (renamed, hash)
        })
    })
}

/// The memo's entry for `part` under `key`, or `rename()`'s, remembered.
fn remembered<T: Eq + 'static>(
    memo: &mut Memo,
    key: (u64, u64),
    part: &Arc<T>,
    rename: impl FnOnce() -> (T, u64),
) -> (Arc<T>, u64) {
    let known = memo
        .get(&key)
        .and_then(|entry| entry.downcast_ref::<(Arc<T>, Arc<T>, u64)>());
    if let Some((original, renamed, hash)) = known {
        if Arc::ptr_eq(original, part) || **original == **part {
            return (Arc::clone(renamed), *hash);
        }
    }
    let (renamed, hash) = rename();
    let renamed = Arc::new(renamed);
    if memo.len() >= CAPACITY {
        memo.clear();
    }
    let entry = (Arc::clone(part), Arc::clone(&renamed), hash);
    memo.insert(key, Box::new(entry));
    (renamed, hash)
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
