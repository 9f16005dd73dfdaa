//! Lowe's memoization: the set of search nodes already explored.
//!
//! A node of the search is the set of operations linearized so far plus the
//! model state they produced. Two paths that linearize the same set and end
//! in the same state have the same future, so the second one is cut. The set
//! is a bitset; its hash is kept incrementally (Zobrist hashing: every
//! operation owns a random 64-bit key, and the set's hash is the xor of its
//! members' keys), so adding or removing an operation costs one xor instead
//! of rehashing the whole bitset. A hash hit is confirmed by comparing the
//! bitsets and states in full, so collisions cannot change a verdict.
//!
//! Entries live in flat arrays (hashes, states, and one arena of bitset
//! words) indexed from an open-addressing table of `u32`s: no allocation per
//! entry, and the memory used is a simple function of the entry count.

use std::hash::{Hash, Hasher};
use std::mem::size_of;

/// A set of operation indices, as 64-bit words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bitset {
    words: Vec<u64>,
}

impl Bitset {
    /// An empty set able to hold indices `0..len`.
    pub(crate) fn new(len: usize) -> Bitset {
        Bitset {
            words: vec![0; len.div_ceil(64).max(1)],
        }
    }

    #[inline]
    pub(crate) fn insert(&mut self, index: usize) {
        self.words[index / 64] |= 1 << (index % 64);
    }

    #[inline]
    pub(crate) fn remove(&mut self, index: usize) {
        self.words[index / 64] &= !(1 << (index % 64));
    }

    #[inline]
    pub(crate) fn contains(&self, index: usize) -> bool {
        self.words[index / 64] & (1 << (index % 64)) != 0
    }

    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }
}

/// SplitMix64: a tiny, well-mixed, seedless sequence, used for the Zobrist
/// keys so that hashing is the same on every run and machine.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One random key per operation; a set hashes to the xor of its members'.
pub(crate) fn zobrist_keys(len: usize) -> Vec<u64> {
    (0..len as u64)
        .map(|i| splitmix64(i.wrapping_mul(0x2545_F491_4F6C_DD1D)))
        .collect()
}

/// A multiply-rotate hasher for model states and other small integer keys:
/// far cheaper than SipHash, and no attacker chooses our states.
#[derive(Default)]
pub(crate) struct StateHasher(u64);

/// `HashMap`s keyed by small integers use [`StateHasher`].
pub(crate) type FastHash = std::hash::BuildHasherDefault<StateHasher>;

impl Hasher for StateHasher {
    fn finish(&self) -> u64 {
        splitmix64(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
}

/// The hash of a search node: its set's Zobrist hash combined with its state.
#[inline]
pub(crate) fn node_hash<S: Hash>(set_hash: u64, state: &S) -> u64 {
    let mut hasher = StateHasher::default();
    state.hash(&mut hasher);
    set_hash ^ hasher.finish()
}

const EMPTY: u32 = 0;

/// The explored nodes of one key's search.
pub(crate) struct Memo<S> {
    words_per_set: usize,
    /// Open addressing, linear probing: `EMPTY` or entry index + 1.
    slots: Vec<u32>,
    hashes: Vec<u64>,
    states: Vec<S>,
    /// Entry `i`'s bitset is `sets[i * words_per_set..][..words_per_set]`.
    sets: Vec<u64>,
}

impl<S: Copy + Eq> Memo<S> {
    /// The smallest table: small keys should not pay for a big one.
    const MIN_SLOTS: usize = 1 << 4;

    /// An empty memo for sets of `words_per_set` words.
    pub(crate) fn new(words_per_set: usize) -> Memo<S> {
        Memo {
            words_per_set,
            slots: vec![EMPTY; Self::MIN_SLOTS],
            hashes: Vec::new(),
            states: Vec::new(),
            sets: Vec::new(),
        }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Bytes the memo will occupy once it holds `entries` entries: what the
    /// byte budget is checked against (a deterministic function of the
    /// entry count, not of the allocator).
    pub(crate) fn bytes_for(&self, entries: usize) -> u64 {
        let per_entry = size_of::<u64>() + size_of::<S>() + self.words_per_set * size_of::<u64>();
        let slots = (entries * 2 + 1).next_power_of_two().max(Self::MIN_SLOTS);
        (entries * per_entry + slots * size_of::<u32>()) as u64
    }

    /// Records the node `(set, state)` with hash `hash`. Returns false when
    /// it was already there.
    pub(crate) fn insert(&mut self, hash: u64, set: &Bitset, state: S) -> bool {
        debug_assert_eq!(set.words().len(), self.words_per_set);
        let mask = self.slots.len() - 1;
        let mut slot = (hash as usize) & mask;
        loop {
            match self.slots[slot] {
                EMPTY => break,
                occupied => {
                    let entry = (occupied - 1) as usize;
                    if self.hashes[entry] == hash
                        && self.states[entry] == state
                        && self.set(entry) == set.words()
                    {
                        return false;
                    }
                    slot = (slot + 1) & mask;
                }
            }
        }
        let entry = u32::try_from(self.hashes.len() + 1).expect("fewer than 2^32 memo entries");
        self.slots[slot] = entry;
        self.hashes.push(hash);
        self.states.push(state);
        self.sets.extend_from_slice(set.words());
        if self.hashes.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn set(&self, entry: usize) -> &[u64] {
        &self.sets[entry * self.words_per_set..][..self.words_per_set]
    }

    /// Doubles the table and re-places every entry by its stored hash.
    fn grow(&mut self) {
        let mut slots = vec![EMPTY; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (entry, &hash) in self.hashes.iter().enumerate() {
            let mut slot = (hash as usize) & mask;
            while slots[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            slots[slot] = entry as u32 + 1;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitset_holds_indices_across_words() {
        let mut set = Bitset::new(130);
        assert_eq!(set.words().len(), 3);
        for i in [0, 63, 64, 129] {
            set.insert(i);
            assert!(set.contains(i));
        }
        set.remove(63);
        assert!(!set.contains(63) && set.contains(64));
    }

    #[test]
    fn memo_tells_new_nodes_from_seen_ones_even_on_hash_collisions() {
        let mut memo: Memo<u32> = Memo::new(1);
        let mut a = Bitset::new(10);
        a.insert(3);
        let mut b = Bitset::new(10);
        b.insert(4);
        // Same forced hash for different nodes: full comparison decides.
        assert!(memo.insert(7, &a, 1));
        assert!(memo.insert(7, &b, 1));
        assert!(memo.insert(7, &a, 2));
        assert!(!memo.insert(7, &a, 1));
        assert!(!memo.insert(7, &b, 1));
        assert_eq!(memo.len(), 3);
    }

    #[test]
    fn memo_survives_growth() {
        let keys = zobrist_keys(64);
        let mut memo: Memo<u32> = Memo::new(1);
        let mut nodes = Vec::new();
        for i in 0..5000u32 {
            let mut set = Bitset::new(64);
            let mut set_hash = 0;
            for (bit, key) in keys.iter().enumerate().take(12) {
                if (i >> bit) & 1 == 1 {
                    set.insert(bit);
                    set_hash ^= key;
                }
            }
            let state = i % 3;
            assert!(memo.insert(node_hash(set_hash, &state), &set, state));
            nodes.push((set_hash, set, state));
        }
        for (set_hash, set, state) in &nodes {
            assert!(!memo.insert(node_hash(*set_hash, state), set, *state));
        }
        assert_eq!(memo.len(), 5000);
        assert!(memo.bytes_for(5000) >= 5000 * (8 + 4 + 8));
    }

    #[test]
    fn zobrist_keys_are_distinct_and_stable() {
        let keys = zobrist_keys(1000);
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 1000);
        assert_eq!(keys, zobrist_keys(1000));
    }
}
