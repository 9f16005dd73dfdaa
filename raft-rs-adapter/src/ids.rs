//! Node numbering: raftstorm numbers nodes from 0, raft-rs from 1 (its id
//! 0 is `INVALID_ID`, "nobody"). Node `n` is raft id `n + 1`.

use replica::NodeId;

/// The raft-rs id of node `node`.
pub fn raft_id(node: NodeId) -> u64 {
    u64::from(node) + 1
}

/// The node of raft-rs id `id`; `None` for `INVALID_ID` (0).
pub fn node_id(id: u64) -> Option<NodeId> {
    id.checked_sub(1).map(|node| node as NodeId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_zero_is_nobody() {
        for node in [0, 1, 4, 63] {
            assert_eq!(node_id(raft_id(node)), Some(node));
        }
        assert_eq!(node_id(raft::INVALID_ID), None);
    }
}
