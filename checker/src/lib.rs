//! Everything that judges: Raft safety invariants over a cluster trace, and
//! linearizability of a client history.

#![warn(missing_docs)]

pub mod bench;
pub mod invariants;
pub mod linearizability;
pub mod verdict;

pub use verdict::Validity;
