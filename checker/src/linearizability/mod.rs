//! Linearizability of client histories.
