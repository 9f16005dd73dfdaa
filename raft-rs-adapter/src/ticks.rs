//! The cluster's millisecond timing as raft-rs ticks.
//!
//! raft-rs has no clock: it counts `RawNode::tick` calls. The adapter
//! ticks every [`TICK_MS`] of the node's (possibly skewed) clock, so a
//! timeout of `t` ms is `t / TICK_MS` ticks.

use crate::options::TICK_MS;
use replica::ClusterConfig;

/// The cluster's timing in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickTiming {
    /// raft-rs `heartbeat_tick`: ticks between a leader's heartbeats.
    pub heartbeat_ticks: usize,
    /// raft-rs `election_tick` and `min_election_tick`: the lower bound of
    /// the randomized election timeout.
    pub election_min_ticks: usize,
    /// raft-rs `max_election_tick`: its upper bound, exclusive.
    pub election_max_ticks: usize,
}

impl TickTiming {
    /// The timing of the default cluster (50 ms heartbeat, 150–300 ms
    /// elections), for configurations `validate` already rejected.
    pub const FALLBACK: TickTiming = TickTiming {
        heartbeat_ticks: 5,
        election_min_ticks: 15,
        election_max_ticks: 30,
    };

    /// The ticks of `cluster`, or why its timing cannot be ticked: raft-rs
    /// needs a heartbeat of at least one tick, an election timeout longer
    /// than the heartbeat and a non-empty election range.
    pub fn of(cluster: &ClusterConfig) -> Result<TickTiming, String> {
        let timing = TickTiming {
            heartbeat_ticks: (cluster.heartbeat_interval_ms / TICK_MS) as usize,
            election_min_ticks: (cluster.election_timeout_min_ms / TICK_MS) as usize,
            election_max_ticks: (cluster.election_timeout_max_ms / TICK_MS) as usize,
        };
        if timing.heartbeat_ticks == 0
            || timing.election_min_ticks <= timing.heartbeat_ticks
            || timing.election_max_ticks <= timing.election_min_ticks
        {
            return Err(format!(
                "raft-rs ticks every {TICK_MS} ms: heartbeat {} ms and election timeouts \
                 {}..{} ms give {} / {}..{} ticks, but raft-rs needs 0 < heartbeat < \
                 election min < election max",
                cluster.heartbeat_interval_ms,
                cluster.election_timeout_min_ms,
                cluster.election_timeout_max_ms,
                timing.heartbeat_ticks,
                timing.election_min_ticks,
                timing.election_max_ticks,
            ));
        }
        Ok(timing)
    }

    /// The tick period in microseconds, as the world's timers take it.
    pub fn tick_us() -> u64 {
        TICK_MS * 1_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cluster_timing_in_ticks() {
        assert_eq!(
            TickTiming::of(&ClusterConfig::default()),
            Ok(TickTiming::FALLBACK)
        );
        let too_fine = ClusterConfig {
            heartbeat_interval_ms: 5,
            ..ClusterConfig::default()
        };
        assert!(TickTiming::of(&too_fine).unwrap_err().contains("ticks"));
    }
}
