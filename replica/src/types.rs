//! The plain numbers of the protocol, shared by every system under test
//! and by the trace the checker reads.

pub use histories::{NodeId, Role};

/// A Raft term. Terms start at 0 (no election has happened yet) and only grow.
pub type Term = u64;

/// A position in the log. The first entry is at index 1; index 0 is the empty
/// prefix, whose term is 0.
pub type LogIndex = u64;
