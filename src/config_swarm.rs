//! Swarm testing over the configuration, not only over fault kinds.
//!
//! A bug can hide behind one setting: the Figure 8 mistake (§5.4.2) is
//! masked when every AppendEntries carries the leader's whole suffix, a
//! quorum off-by-one when the cluster is odd, a stale ReadIndex when reads
//! go through the log. So each trial of a campaign draws the knobs the user
//! left free — cluster size, election and heartbeat timing, batch size,
//! read mode, client count, key count, the pace of faults — from its own
//! seed. The drawn values
//! are written into the trial's configuration (and so into `trial.json`),
//! which then replays exactly without drawing again.

use crate::trial::TrialConfig;
use nemesis::seeds::{stream, Concern};
use rand::seq::SliceRandom;
use rand::Rng;
use replica::ReadMode;
use serde::{Deserialize, Serialize};

/// The knobs a campaign lets each trial draw (all off: every trial runs
/// the configuration as given).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConfigSwarm {
    /// Cluster size: 3, 4, 5 or 7 nodes (even sizes test quorum arithmetic).
    #[serde(default)]
    pub cluster_size: bool,
    /// Election timeout range and heartbeat interval.
    #[serde(default)]
    pub timing: bool,
    /// Most entries per AppendEntries: 1, 2, 4 or 64.
    #[serde(default)]
    pub batch: bool,
    /// Read mode: read-index or log (lease reads are unsafe under clock
    /// skew by design, so they are only run when asked for).
    #[serde(default)]
    pub read_mode: bool,
    /// Client count: 1 to 8.
    #[serde(default)]
    pub clients: bool,
    /// Key count: 1, 2, 4 or 8.
    #[serde(default)]
    pub keys: bool,
    /// The pace of faults: the default (a fault every 0.35–1.05 s, lasting
    /// 0.6–1.8 s) in two trials of three, long faults (every 1–3 s,
    /// lasting 2–6 s) in the third, so that majorities outlast the
    /// election bound and the availability check judges them during faults.
    #[serde(default)]
    pub fault_pace: bool,
}

/// Election timeout minimum and heartbeat interval pairs, in milliseconds:
/// from twice as eager as the paper's 150–300 ms to twice as patient, each
/// a multiple of ten so that tick-based systems (raft-rs) can take them.
const TIMINGS_MS: [(u64, u64); 4] = [(100, 20), (150, 50), (200, 40), (300, 60)];

/// Fault interval and duration pairs, in milliseconds (each drawn from half
/// to one and a half times its value): the default pace twice, long faults
/// once.
const FAULT_PACES_MS: [(u64, u64); 3] = [(700, 1_200), (700, 1_200), (2_000, 4_000)];

impl ConfigSwarm {
    /// Every knob varies.
    pub const ALL: ConfigSwarm = ConfigSwarm {
        cluster_size: true,
        timing: true,
        batch: true,
        read_mode: true,
        clients: true,
        keys: true,
        fault_pace: true,
    };

    /// True when nothing varies.
    pub fn is_off(&self) -> bool {
        *self == ConfigSwarm::default()
    }

    /// The configuration of the trial of `seed`: `config` with every free
    /// knob drawn, and nothing left to draw. A drawn combination the system
    /// refuses falls back to `config` as given.
    pub fn draw(config: TrialConfig, seed: u64) -> TrialConfig {
        let vary = config.vary;
        let fixed = TrialConfig {
            vary: ConfigSwarm::default(),
            ..config
        };
        if vary.is_off() {
            return fixed;
        }
        let mut rng = stream(seed, Concern::Configuration);
        let mut drawn = fixed;
        let cluster = &mut drawn.world.cluster;
        if vary.cluster_size {
            cluster.cluster_size = *[3, 3, 4, 5, 5, 7].choose(&mut rng).expect("not empty");
        }
        if vary.timing {
            let (min_ms, heartbeat_ms) = *TIMINGS_MS.choose(&mut rng).expect("not empty");
            cluster.election_timeout_min_ms = min_ms;
            cluster.election_timeout_max_ms = 2 * min_ms;
            cluster.heartbeat_interval_ms = heartbeat_ms;
        }
        if vary.batch {
            cluster.max_entries_per_append = *[1, 2, 4, 64].choose(&mut rng).expect("not empty");
        }
        if vary.read_mode {
            cluster.read_mode = *[ReadMode::ReadIndex, ReadMode::Log]
                .choose(&mut rng)
                .expect("not empty");
        }
        if vary.clients {
            drawn.world.clients.count = rng.gen_range(1..=8);
        }
        if vary.keys {
            drawn.workload.key_count = *[1, 2, 4, 8].choose(&mut rng).expect("not empty");
        }
        if vary.fault_pace {
            let (interval_ms, duration_ms) = *FAULT_PACES_MS.choose(&mut rng).expect("not empty");
            drawn.nemesis.interval_ms = interval_ms;
            drawn.nemesis.duration_ms = duration_ms;
        }
        match drawn.system.validate(&drawn.world.cluster) {
            Ok(()) if drawn.validate().is_ok() => drawn,
            _ => fixed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varied() -> TrialConfig {
        TrialConfig {
            vary: ConfigSwarm::ALL,
            ..TrialConfig::default()
        }
    }

    #[test]
    fn each_knob_takes_several_values_over_seeds_and_the_result_is_valid() {
        let configs: Vec<TrialConfig> = (0..200).map(|s| ConfigSwarm::draw(varied(), s)).collect();
        type Knob = fn(&TrialConfig) -> u64;
        let knobs: [(&str, Knob); 7] = [
            ("cluster size", |c| c.world.cluster.cluster_size.into()),
            ("timing", |c| c.world.cluster.election_timeout_min_ms),
            ("batch", |c| c.world.cluster.max_entries_per_append as u64),
            ("read mode", |c| c.world.cluster.read_mode as u64),
            ("clients", |c| c.world.clients.count.into()),
            ("keys", |c| c.workload.key_count.into()),
            ("fault pace", |c| c.nemesis.duration_ms),
        ];
        for (name, knob) in knobs {
            let values: std::collections::BTreeSet<u64> = configs.iter().map(knob).collect();
            assert!(values.len() >= 2, "{name} took only {values:?}");
        }
        for config in &configs {
            assert!(config.vary.is_off(), "drawn configurations draw no more");
            assert_eq!(config.validate(), Ok(()));
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_and_pinned_knobs_stay_pinned() {
        assert_eq!(
            ConfigSwarm::draw(varied(), 9),
            ConfigSwarm::draw(varied(), 9)
        );
        let only_batch = TrialConfig {
            vary: ConfigSwarm {
                batch: true,
                ..ConfigSwarm::default()
            },
            ..TrialConfig::default()
        };
        let given = TrialConfig::default();
        for seed in 0..50 {
            let drawn = ConfigSwarm::draw(only_batch, seed);
            let unbatched = |mut c: TrialConfig| {
                c.world.cluster.max_entries_per_append = 0;
                c
            };
            assert_eq!(unbatched(drawn), unbatched(given), "seed {seed}");
        }
        assert_eq!(
            ConfigSwarm::draw(given, 3),
            given,
            "nothing free, nothing drawn"
        );
    }
}
