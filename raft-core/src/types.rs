//! The plain numbers of the protocol, shared with every system under test
//! through the seam crate.

pub use replica::{LogIndex, NodeId, Role, Term};
