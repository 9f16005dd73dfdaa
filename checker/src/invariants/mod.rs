//! Raft safety invariants over a cluster trace.
