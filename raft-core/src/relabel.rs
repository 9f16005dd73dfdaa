//! Renaming nodes: the same cluster state with node ids permuted.
//!
//! Raft treats its nodes alike: nothing in the protocol depends on which
//! number a node has, only on which node is which. So a cluster state and
//! the state with ids permuted consistently — in every node, every disk and
//! every message — behave the same up to that renaming, and an exhaustive
//! explorer needs to visit only one of them (symmetry reduction, used by
//! the `explore` crate). This file is the one place that knows where raft-core
//! keeps node ids: a field that holds one must be renamed here.
//!
//! `rename[old]` is the new id of node `old`; it must be a permutation of
//! `0..cluster_size`.

use crate::message::Message;
use crate::node::Node;
use crate::ready::DurableState;
use crate::types::NodeId;

/// `id` renamed.
fn renamed(id: NodeId, rename: &[NodeId]) -> NodeId {
    rename[id as usize]
}

/// A set of nodes, one bit per node, renamed.
pub fn renamed_mask(mask: u64, rename: &[NodeId]) -> u64 {
    (0..rename.len())
        .filter(|&old| mask & (1 << old) != 0)
        .fold(0, |acc, old| acc | 1 << rename[old])
}

impl Node {
    /// This node with every node id renamed by `rename`. Call it between
    /// steps: the pending `Ready` must be empty (it always is once the seam
    /// has handed it over).
    pub fn relabeled(&self, rename: &[NodeId]) -> Node {
        debug_assert!(self.ready.is_empty(), "relabel a node between steps only");
        let mut node = self.clone();
        node.id = renamed(self.id, rename);
        node.voted_for = self.voted_for.map(|id| renamed(id, rename));
        node.leader_hint = self.leader_hint.map(|id| renamed(id, rename));
        node.votes = renamed_mask(self.votes, rename);
        if let (Some(new), Some(old)) = (node.leader.as_mut(), self.leader.as_ref()) {
            for (id, progress) in old.progress.iter().enumerate() {
                new.progress[rename[id] as usize] = *progress;
            }
        }
        node
    }
}

impl Message {
    /// This message with sender and receiver renamed (the bodies of
    /// raft-core's RPCs name no node).
    pub fn relabeled(&self, rename: &[NodeId]) -> Message {
        Message {
            from: renamed(self.from, rename),
            to: renamed(self.to, rename),
            ..self.clone()
        }
    }
}

impl DurableState {
    /// This disk with its vote renamed (log entries name clients, not nodes).
    pub fn relabeled(&self, rename: &[NodeId]) -> DurableState {
        let mut disk = self.clone();
        disk.hard_state.voted_for = self.hard_state.voted_for.map(|id| renamed(id, rename));
        disk
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::node::Input;
    use crate::ready::Ready;
    use rand_pcg::Pcg32;

    fn node(id: NodeId) -> Node {
        let mut node = Node::new(id, Config::sized(3), Pcg32::new(0, 0));
        node.start();
        node
    }

    /// Delivers every message of `ready` that goes to `to`.
    fn deliver(ready: &Ready, to: &mut Node) -> Ready {
        let (id, mut out) = (to.id(), Ready::default());
        for message in ready.messages.iter().filter(|m| m.to == id) {
            let mut step = to.step(Input::Message(message.clone()));
            out.messages.append(&mut step.messages);
        }
        out
    }

    #[test]
    fn renaming_commutes_with_stepping() {
        // n0 wins an election with n1's vote; the same run with ids
        // rotated (0→1→2→0) must end in the rotated state.
        let rename: [NodeId; 3] = [1, 2, 0];
        let run = |a: NodeId, b: NodeId| {
            let (mut candidate, mut voter) = (node(a), node(b));
            let asks = candidate.step(Input::ElectionTimeout);
            let answers = deliver(&asks, &mut voter);
            deliver(&answers, &mut candidate);
            (candidate, voter)
        };
        let (leader, voter) = run(0, 1);
        let (renamed_leader, renamed_voter) = run(1, 2);
        assert_eq!(leader.role(), crate::types::Role::Leader);
        assert_eq!(leader.relabeled(&rename), renamed_leader);
        assert_eq!(voter.relabeled(&rename), renamed_voter);
        assert_eq!(
            voter.durable_state().relabeled(&rename),
            renamed_voter.durable_state()
        );
    }

    #[test]
    fn masks_and_messages_follow_the_renaming() {
        let rename: [NodeId; 3] = [2, 0, 1];
        let cases: [(u64, u64); 4] = [
            (0b000, 0b000),
            (0b001, 0b100),
            (0b011, 0b101),
            (0b111, 0b111),
        ];
        for (mask, expected) in cases {
            assert_eq!(renamed_mask(mask, &rename), expected, "mask {mask:03b}");
        }
        let asks = node(0).step(Input::ElectionTimeout);
        let renamed = asks.messages[0].relabeled(&rename);
        assert_eq!(
            (renamed.from, renamed.to),
            (2, rename[asks.messages[0].to as usize])
        );
    }
}
