//! When two nodes are the same node: equal protocol state, whatever their
//! random streams.
//!
//! A node's `rng` only draws election timeout durations
//! ([`Node::arm_election_timer`]); nothing it decides depends on it. An
//! exhaustive explorer (the `explore` crate) treats every armed timer as
//! able to fire at any moment, so the durations, and with them the stream,
//! never influence a behaviour it explores: two nodes that differ only in
//! their streams have exactly the same futures there, and hashing them
//! apart would only multiply the state space by the number of draws. The
//! simulated world, where the stream does matter, never compares nodes.
//!
//! Everything else is compared, including the pending `Ready` (empty
//! between steps) and the configuration (shared by a cluster).

use crate::node::Node;
use std::hash::{Hash, Hasher};

impl Node {
    /// Every field but the random stream, in one place, so that `Hash` and
    /// `PartialEq` cannot disagree. A field added to [`Node`] must be added
    /// here (or explained away above).
    #[allow(clippy::type_complexity)]
    fn protocol_state(&self) -> impl Hash + PartialEq + '_ {
        (
            (self.id, &self.config, self.current_term, self.voted_for),
            (
                &self.log,
                self.role,
                self.leader_hint,
                self.heard_from_leader,
            ),
            (self.commit_index, self.last_applied, &self.kv, self.votes),
            (&self.leader, &self.unsynced, &self.ready),
        )
    }
}

impl Hash for Node {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.protocol_state().hash(state);
    }
}

impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        self.protocol_state() == other.protocol_state()
    }
}

impl Eq for Node {}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::node::{Input, Node};
    use rand_pcg::Pcg32;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    fn hash_of(node: &Node) -> u64 {
        let mut hasher = DefaultHasher::new();
        node.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn nodes_differing_only_in_their_streams_are_equal() {
        let mut a = Node::new(0, Config::sized(3), Pcg32::new(1, 1));
        let mut b = Node::new(0, Config::sized(3), Pcg32::new(99, 7));
        a.start();
        b.start();
        b.start(); // two draws instead of one
        assert!(a == b && hash_of(&a) == hash_of(&b));
        a.step(Input::ElectionTimeout);
        assert!(a != b && hash_of(&a) != hash_of(&b), "a is a candidate now");
    }
}
