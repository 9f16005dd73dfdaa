//! One fixed-key hash for the parts of a state, so that a state's
//! fingerprint is a hash of part hashes computed once per change.
//!
//! stateright fingerprints a whole state on every successor. A cluster
//! state is mostly unchanged by one step (one node moved, one message
//! arrived), so each part caches its hash when it changes and the state
//! hashes only those: a few dozen words instead of every log entry of every
//! node. The keys are fixed, so fingerprints (and with one thread the
//! exploration order) are the same on every run.

use ahash::RandomState;
use std::hash::Hash;

const HASHER: RandomState = RandomState::with_seeds(
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
);

/// The 64-bit hash of `value` with the explorer's fixed keys.
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    HASHER.hash_one(value)
}
