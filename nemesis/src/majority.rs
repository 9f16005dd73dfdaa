//! Where a clean majority exists: the world's own record of when a
//! majority of nodes is up and can talk among itself undisturbed.
//!
//! Raft promises availability whenever a majority of servers is
//! operational and can communicate with each other and with clients
//! (§5, §5.6 "Timing and availability"). Whether that holds at an instant
//! is a fact about the world — which processes run, which links carry
//! messages — that the trace cannot tell exactly (an "isolate the leader"
//! partition is resolved when it happens), so the world records it itself,
//! after every fault, and the availability check reads the record.
//!
//! A majority is *clean* when its members are running (neither crashed
//! nor paused), run their clocks at the normal rate, hear each other both
//! ways, and share no link in either direction with any other running
//! node (a bridge or a node of a majorities ring could otherwise keep
//! disturbing it with newer terms), and no link fault (drop, duplicate,
//! delay) is in force anywhere. Anything less is a window in which Raft
//! promises nothing, so the check judges nothing there.

use crate::network::Network;
use replica::NodeId;

/// From `time_ns` on (until the next change), the clean majority is the
/// set of nodes whose bits are set in `members` (0: there is none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MajorityChange {
    /// When the world reached this state, in virtual nanoseconds.
    pub time_ns: u64,
    /// One bit per node of the clean majority; 0 when there is none.
    pub members: u64,
}

impl MajorityChange {
    /// The members, in increasing order.
    pub fn nodes(&self) -> Vec<NodeId> {
        (0..64)
            .filter(|node| self.members & (1u64 << node) != 0)
            .collect()
    }
}

/// The clean majority of a cluster of `cluster_size` nodes, as a bit set
/// (0: none). `running` and `skewed` hold one bit per node.
pub fn clean_majority(network: &Network, cluster_size: u32, running: u64, skewed: u64) -> u64 {
    if network.link_faults_active() {
        return 0;
    }
    let quorum = cluster_size / 2 + 1;
    let nodes = || (0..cluster_size).filter(|node| running & (1u64 << node) != 0);
    // Who `node` hears from and is heard by (both ways: `mutual`; either
    // way: `touching`), among the running nodes.
    let links = |node: NodeId| {
        let (mut mutual, mut touching) = (1u64 << node, 1u64 << node);
        for other in nodes().filter(|&other| other != node) {
            let (to, from) = (
                network.reachable(node, other),
                network.reachable(other, node),
            );
            if to && from {
                mutual |= 1 << other;
            }
            if to || from {
                touching |= 1 << other;
            }
        }
        (mutual, touching)
    };
    for node in nodes() {
        let (candidate, _) = links(node);
        if candidate.count_ones() < quorum || candidate & skewed != 0 {
            continue;
        }
        let isolated_clique = (0..cluster_size)
            .filter(|member| candidate & (1u64 << member) != 0)
            .all(|member| links(member) == (candidate, candidate));
        if isolated_clique {
            return candidate;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::NetworkConfig;
    use crate::schedule::PartitionShape;

    fn network(shape: Option<PartitionShape>) -> Network {
        let mut network = Network::new(NetworkConfig::default(), 5);
        if let Some(shape) = shape {
            network.partition(&shape, Some(0));
        }
        network
    }

    #[test]
    fn clean_majorities_of_each_shape() {
        const ALL: u64 = 0b11111;
        let cases: Vec<(Option<PartitionShape>, u64, u64, u64)> = vec![
            // (partition, running, skewed, expected)
            (None, ALL, 0, ALL),
            (None, 0b00111, 0, 0b00111),
            (None, 0b00011, 0, 0),
            (None, ALL, 0b00100, 0),
            (
                Some(PartitionShape::Halves {
                    minority: vec![1, 3],
                }),
                ALL,
                0b01010,
                0b10101,
            ),
            (Some(PartitionShape::Isolate { node: 2 }), ALL, 0, 0b11011),
            (Some(PartitionShape::IsolateLeader), ALL, 0, 0b11110),
            (
                Some(PartitionShape::MajoritiesRing {
                    ring: vec![0, 1, 2, 3, 4],
                }),
                ALL,
                0,
                0,
            ),
            (
                Some(PartitionShape::Bridge {
                    bridge: 2,
                    left: vec![0, 1],
                }),
                ALL,
                0,
                0,
            ),
            // With the left side crashed, the bridge's other half is clean.
            (
                Some(PartitionShape::Bridge {
                    bridge: 2,
                    left: vec![0, 1],
                }),
                0b11100,
                0,
                0b11100,
            ),
        ];
        for (shape, running, skewed, expected) in cases {
            let net = network(shape.clone());
            assert_eq!(
                clean_majority(&net, 5, running, skewed),
                expected,
                "{shape:?} running {running:05b} skewed {skewed:05b}"
            );
        }
    }

    #[test]
    fn a_link_fault_anywhere_leaves_no_clean_majority() {
        for fault in 0..3 {
            let mut net = network(None);
            match fault {
                0 => net.set_drop(10),
                1 => net.set_duplicate(10),
                _ => net.set_extra_delay(1_000),
            }
            assert_eq!(clean_majority(&net, 5, 0b11111, 0), 0);
            net.clear_link_faults();
            assert_eq!(clean_majority(&net, 5, 0b11111, 0), 0b11111);
        }
    }
}
