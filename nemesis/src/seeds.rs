//! One trial seed, many independent random streams.
//!
//! Each concern of a trial (the network, the fault schedule, the workload,
//! the clients, each incarnation of each node's timers) draws from its own
//! PCG stream, derived from the trial seed and the concern's name by a
//! mixing function. Changing how often one concern draws — a workload that
//! picks keys differently, say — never shifts what another draws, so the
//! fault schedule of a seed stays the same while the rest evolves.

use rand::SeedableRng;
use rand_pcg::Pcg32;

/// The concerns that draw randomness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Concern {
    /// Message delays, drops and duplicates.
    Network,
    /// The fault schedule and its random choices (partition halves...).
    Schedule,
    /// The operations clients invoke.
    Workload,
    /// Client timing: think times, which node to try first.
    Clients,
    /// A node's election timeouts; a restarted node gets a fresh stream
    /// per incarnation.
    NodeTimers {
        /// The node.
        node: u32,
        /// 0 for the first boot, then 1, 2, ... after each restart.
        incarnation: u32,
    },
    /// The system's protocol options, where swarm mode draws them per
    /// trial (raft-rs's pre-vote and check-quorum).
    SystemOptions,
    /// The configuration knobs swarm mode draws per trial (cluster size,
    /// timing, batch size, read mode, clients, keys).
    Configuration,
    /// The order in which a thawed node takes what reached it while it was
    /// frozen (messages or overdue timers first).
    Wakeups,
}

impl Concern {
    fn code(self) -> u64 {
        match self {
            Concern::Network => 1,
            Concern::Schedule => 2,
            Concern::Workload => 3,
            Concern::Clients => 4,
            Concern::NodeTimers { node, incarnation } => {
                5 | (u64::from(node) << 8) | (u64::from(incarnation) << 32)
            }
            Concern::SystemOptions => 6,
            Concern::Configuration => 7,
            Concern::Wakeups => 8,
        }
    }
}

/// SplitMix64's finalizer: a bijective mix with good avalanche, so nearby
/// seeds and concern codes give unrelated streams.
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The random stream of `concern` in the trial of `trial_seed`.
pub fn stream(trial_seed: u64, concern: Concern) -> Pcg32 {
    let state = mix64(trial_seed ^ mix64(concern.code()));
    let increment = mix64(state ^ 0xA5A5_A5A5_A5A5_A5A5);
    Pcg32::new(state, increment)
}

/// The seed of trial number `index` of a campaign started from
/// `campaign_seed`: trials are independent, and any one can be re-run from
/// its own seed alone.
pub fn trial_seed(campaign_seed: u64, index: u64) -> u64 {
    mix64(campaign_seed ^ mix64(index.wrapping_add(0x5EED)))
}

/// A stream seeded directly (for tests and tools).
pub fn seeded(seed: u64) -> Pcg32 {
    Pcg32::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let draw = |concern| {
            let mut rng = stream(42, concern);
            (0..4).map(|_| rng.gen::<u32>()).collect::<Vec<_>>()
        };
        assert_eq!(draw(Concern::Network), draw(Concern::Network));
        assert_ne!(draw(Concern::Network), draw(Concern::Schedule));
        let timers = |node, incarnation| draw(Concern::NodeTimers { node, incarnation });
        assert_ne!(timers(0, 0), timers(1, 0));
        assert_ne!(timers(0, 0), timers(0, 1));
        let mut other_trial = stream(43, Concern::Network);
        assert_ne!(draw(Concern::Network)[0], other_trial.gen::<u32>());
    }

    #[test]
    fn trial_seeds_are_distinct() {
        let seeds: std::collections::BTreeSet<u64> =
            (0..10_000).map(|i| trial_seed(7, i)).collect();
        assert_eq!(seeds.len(), 10_000);
    }
}
