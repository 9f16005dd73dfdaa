//! The network between nodes: who can reach whom, and how messages fare.
//!
//! Reachability is a directed relation (`accepts[to]` holds one bit per
//! sender), because some of Jepsen's partitions are asymmetric: in a
//! majorities ring each node hears its own majority. Link faults apply to
//! every message: a base latency with jitter (so messages reorder), plus
//! optional drops, duplicates and extra delay.

use crate::schedule::PartitionShape;
use rand::Rng;
use replica::NodeId;
use serde::{Deserialize, Serialize};

/// Latency of a healthy link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// Fastest one-way delivery.
    pub latency_min_us: u64,
    /// Slowest one-way delivery (uniform in between: messages reorder).
    pub latency_max_us: u64,
}

impl Default for NetworkConfig {
    fn default() -> NetworkConfig {
        NetworkConfig {
            latency_min_us: 500,
            latency_max_us: 5_000,
        }
    }
}

/// What happens to one message sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Lost: the link is cut or the message was dropped.
    Lost,
    /// Arrives after this delay.
    Delivered {
        /// One-way delay.
        delay_us: u64,
    },
    /// Arrives twice, after each delay.
    Duplicated {
        /// First copy's delay.
        first_us: u64,
        /// Second copy's delay.
        second_us: u64,
    },
}

/// The network's state.
#[derive(Clone, Debug)]
pub struct Network {
    config: NetworkConfig,
    cluster_size: u32,
    /// `accepts[to] & (1 << from)`: a message from `from` reaches `to`.
    accepts: Vec<u64>,
    drop_permille: u32,
    duplicate_permille: u32,
    extra_delay_max_us: u64,
}

impl Network {
    /// A healthy, fully connected network.
    pub fn new(config: NetworkConfig, cluster_size: u32) -> Network {
        let mut network = Network {
            config,
            cluster_size,
            accepts: Vec::new(),
            drop_permille: 0,
            duplicate_permille: 0,
            extra_delay_max_us: 0,
        };
        network.heal_partition();
        network
    }

    fn everyone(&self) -> u64 {
        if self.cluster_size == 64 {
            u64::MAX
        } else {
            (1u64 << self.cluster_size) - 1
        }
    }

    /// True when a message from `from` can reach `to` now.
    pub fn reachable(&self, from: NodeId, to: NodeId) -> bool {
        self.accepts[to as usize] & (1 << from) != 0
    }

    /// Full connectivity again.
    pub fn heal_partition(&mut self) {
        self.accepts = vec![self.everyone(); self.cluster_size as usize];
    }

    /// Replaces the reachability with a partition. `leader` resolves
    /// [`PartitionShape::IsolateLeader`] (no leader: nothing is cut).
    pub fn partition(&mut self, shape: &PartitionShape, leader: Option<NodeId>) {
        self.heal_partition();
        let set = |nodes: &[NodeId]| nodes.iter().fold(0u64, |bits, &n| bits | 1 << n);
        let everyone = self.everyone();
        match shape {
            PartitionShape::Halves { minority } => {
                let side = set(minority);
                self.split(&[side, everyone & !side]);
            }
            PartitionShape::Isolate { node } => self.split(&[1 << node, everyone & !(1 << node)]),
            PartitionShape::IsolateLeader => {
                if let Some(node) = leader {
                    self.split(&[1 << node, everyone & !(1 << node)]);
                }
            }
            PartitionShape::MajoritiesRing { ring } => {
                let majority = ring.len() / 2 + 1;
                for (position, &node) in ring.iter().enumerate() {
                    let view = (0..majority).fold(0u64, |bits, offset| {
                        bits | 1 << ring[(position + offset) % ring.len()]
                    });
                    self.accepts[node as usize] = view;
                }
            }
            PartitionShape::Bridge { bridge, left } => {
                let left = set(left);
                let right = everyone & !left & !(1 << bridge);
                self.split(&[left | 1 << bridge, right | 1 << bridge]);
                self.accepts[*bridge as usize] = everyone;
            }
        }
    }

    /// Each node hears only the nodes of its own group(s).
    fn split(&mut self, groups: &[u64]) {
        for node in 0..self.cluster_size {
            self.accepts[node as usize] = groups
                .iter()
                .filter(|&&group| group & (1 << node) != 0)
                .fold(0, |bits, group| bits | group);
        }
    }

    /// Sets the fraction of messages dropped (0: none).
    pub fn set_drop(&mut self, permille: u32) {
        self.drop_permille = permille.min(1000);
    }

    /// Sets the fraction of messages duplicated (0: none).
    pub fn set_duplicate(&mut self, permille: u32) {
        self.duplicate_permille = permille.min(1000);
    }

    /// Sets the largest extra delay (0: none).
    pub fn set_extra_delay(&mut self, max_extra_us: u64) {
        self.extra_delay_max_us = max_extra_us;
    }

    /// Clears drops, duplicates and extra delays.
    pub fn clear_link_faults(&mut self) {
        self.drop_permille = 0;
        self.duplicate_permille = 0;
        self.extra_delay_max_us = 0;
    }

    /// True while any drop, duplicate or extra-delay fault is in force.
    pub fn link_faults_active(&self) -> bool {
        self.drop_permille > 0 || self.duplicate_permille > 0 || self.extra_delay_max_us > 0
    }

    /// A one-way delay for a message sent now.
    pub fn delay_us(&self, rng: &mut impl Rng) -> u64 {
        let base = rng.gen_range(self.config.latency_min_us..=self.config.latency_max_us);
        if self.extra_delay_max_us == 0 {
            base
        } else {
            base + rng.gen_range(0..=self.extra_delay_max_us)
        }
    }

    /// Decides what happens to a message from `from` to `to` sent now.
    pub fn fate(&self, from: NodeId, to: NodeId, rng: &mut impl Rng) -> Fate {
        if !self.reachable(from, to) {
            return Fate::Lost;
        }
        self.link_fate(rng)
    }

    /// Decides what happens to a client's request or a reply to it, sent
    /// now. Clients sit outside the partitioned network, but their links
    /// drop, duplicate and delay like any other: a late copy of an old
    /// request is what exactly-once sessions must withstand (§8). Without
    /// link faults it draws exactly what a plain delay draws.
    pub fn client_fate(&self, rng: &mut impl Rng) -> Fate {
        self.link_fate(rng)
    }

    fn link_fate(&self, rng: &mut impl Rng) -> Fate {
        if self.drop_permille > 0 && rng.gen_range(0..1000) < self.drop_permille {
            return Fate::Lost;
        }
        let first_us = self.delay_us(rng);
        if self.duplicate_permille > 0 && rng.gen_range(0..1000) < self.duplicate_permille {
            return Fate::Duplicated {
                first_us,
                second_us: self.delay_us(rng),
            };
        }
        Fate::Delivered { delay_us: first_us }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::seeded;

    fn reach(network: &Network, size: u32) -> Vec<Vec<bool>> {
        (0..size)
            .map(|from| (0..size).map(|to| network.reachable(from, to)).collect())
            .collect()
    }

    #[test]
    fn halves_and_isolation_cut_both_ways() {
        let mut network = Network::new(NetworkConfig::default(), 5);
        network.partition(
            &PartitionShape::Halves {
                minority: vec![1, 3],
            },
            None,
        );
        assert!(network.reachable(1, 3) && network.reachable(0, 4));
        assert!(!network.reachable(1, 0) && !network.reachable(0, 1));
        network.partition(&PartitionShape::Isolate { node: 2 }, None);
        for other in [0, 1, 3, 4] {
            assert!(!network.reachable(2, other) && !network.reachable(other, 2));
        }
        assert!(network.reachable(1, 0), "a new partition replaces the old");
        network.partition(&PartitionShape::IsolateLeader, Some(4));
        assert!(!network.reachable(4, 0) && network.reachable(2, 0));
        network.partition(&PartitionShape::IsolateLeader, None);
        assert!(
            reach(&network, 5).iter().flatten().all(|&r| r),
            "no leader: nothing cut"
        );
    }

    #[test]
    fn in_a_majorities_ring_everyone_hears_a_different_majority() {
        let mut network = Network::new(NetworkConfig::default(), 5);
        network.partition(
            &PartitionShape::MajoritiesRing {
                ring: vec![3, 0, 4, 1, 2],
            },
            None,
        );
        let mut views = std::collections::BTreeSet::new();
        for to in 0..5 {
            let view: Vec<NodeId> = (0..5).filter(|&from| network.reachable(from, to)).collect();
            assert_eq!(view.len(), 3, "n{to} hears {view:?}");
            assert!(view.contains(&to));
            views.insert(view);
        }
        assert_eq!(views.len(), 5, "no two nodes see the same majority");
    }

    #[test]
    fn a_bridge_node_talks_to_both_halves_which_cannot_talk_to_each_other() {
        let mut network = Network::new(NetworkConfig::default(), 5);
        network.partition(
            &PartitionShape::Bridge {
                bridge: 2,
                left: vec![0, 1],
            },
            None,
        );
        for other in [0, 1, 3, 4] {
            assert!(network.reachable(2, other) && network.reachable(other, 2));
        }
        assert!(network.reachable(0, 1) && network.reachable(3, 4));
        assert!(!network.reachable(0, 3) && !network.reachable(4, 1));
        network.heal_partition();
        assert!(reach(&network, 5).iter().flatten().all(|&r| r));
    }

    #[test]
    fn link_faults_drop_duplicate_and_delay() {
        let mut network = Network::new(NetworkConfig::default(), 3);
        let mut rng = seeded(1);
        let tally = |network: &Network, rng: &mut rand_pcg::Pcg32| {
            let (mut lost, mut duplicated, mut max_delay) = (0, 0, 0);
            for _ in 0..10_000 {
                match network.fate(0, 1, rng) {
                    Fate::Lost => lost += 1,
                    Fate::Duplicated {
                        first_us,
                        second_us,
                    } => {
                        duplicated += 1;
                        max_delay = max_delay.max(first_us.max(second_us));
                    }
                    Fate::Delivered { delay_us } => max_delay = max_delay.max(delay_us),
                }
            }
            (lost, duplicated, max_delay)
        };
        let (lost, duplicated, max_delay) = tally(&network, &mut rng);
        assert_eq!((lost, duplicated), (0, 0));
        assert!(max_delay <= 5_000);
        network.set_drop(200);
        network.set_duplicate(100);
        network.set_extra_delay(100_000);
        let (lost, duplicated, max_delay) = tally(&network, &mut rng);
        assert!((1_700..2_300).contains(&lost), "{lost}");
        assert!((600..1_000).contains(&duplicated), "{duplicated}");
        assert!(max_delay > 50_000);
        network.clear_link_faults();
        assert_eq!(tally(&network, &mut rng).0, 0);
    }
}
