//! Everything that judges: Raft safety invariants over a cluster trace,
//! linearizability of a client history, and availability.

#![warn(missing_docs)]

pub mod availability;
pub mod bench;
pub mod invariants;
pub mod linearizability;
pub mod verdict;

pub use verdict::Validity;
