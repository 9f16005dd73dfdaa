//! The availability bounds, derived from a trial's timing.
//!
//! Every bound is built from the same few quantities, so that a slower
//! network or a longer election timeout moves the bounds with it:
//!
//! - `L`, the longest one-way delay (`latency_max`), between nodes and
//!   between a client and a node;
//! - `HB`, the heartbeat interval; entries and ReadIndex confirmations
//!   travel with the next heartbeat round (§5.3; raft-core batches there,
//!   raft-rs sends at once and acknowledges with heartbeats), so a
//!   *replication round* — wait for the round, send, acknowledge — takes at
//!   most `R = HB + 2L`;
//! - `ET`, the longest election timeout (§5.2, §9.3);
//! - the client's settings: attempt timeout, back-off, think time.
//!
//! Each bound then allows a number of those steps (below), and a margin
//! was measured: see [`ELECTION_ROUNDS`] and the README.

use serde::{Deserialize, Serialize};

/// The timing facts of a trial the bounds derive from (plain numbers, so
/// that the checker needs nothing of the world's types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timing {
    /// Nodes in the cluster.
    pub cluster_size: u32,
    /// Lower bound of the randomized election timeout, ms.
    #[serde(default)]
    pub election_timeout_min_ms: u64,
    /// Upper bound of the randomized election timeout, ms.
    pub election_timeout_max_ms: u64,
    /// Heartbeat interval, ms.
    pub heartbeat_ms: u64,
    /// Slowest one-way delivery, µs.
    pub latency_max_us: u64,
    /// Most entries one AppendEntries carries.
    pub max_batch: u64,
    /// Concurrent client slots.
    pub clients: u32,
    /// Client silence before retrying at the next node, ms.
    pub attempt_timeout_ms: u64,
    /// Client back-off after a redirect without a hint, ms.
    pub retry_backoff_ms: u64,
    /// Longest client pause between operations, ms.
    pub think_max_ms: u64,
    /// Time after which a client gives up on an operation, ms.
    pub op_timeout_ms: u64,
}

/// Election rounds a clean majority may need before a leader stands:
/// a round is a timeout, a pre-vote and a vote exchange; rounds fail to
/// split votes (two timeouts within a message delay of each other) and to
/// candidates whose log is not up to date (§5.4.1), which others reject.
/// Over 20,000 raft-core trials the slowest election in a clean majority
/// took 485 ms, over 5,000 raft-rs trials 1,446 ms (pre-vote and
/// check-quorum leases make it slower): ET and 3.6 rounds. 6 rounds
/// (2,220 ms with the default timing) leave a margin of 1.5 (see the
/// README).
pub const ELECTION_ROUNDS: u64 = 6;

/// Replication rounds, on top of what a log needs to catch up a follower,
/// in which a leader of a clean majority must commit an entry it appended:
/// one to send it, one for a follower whose log must first be found
/// (backing up to the divergence) and a third as margin.
pub const COMMIT_ROUNDS: u64 = 3;

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;

/// The bounds of the availability check, in virtual nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bounds {
    /// A clean majority elects a leader within this of its start: `ET`
    /// (noticing that the old leader is gone) plus [`ELECTION_ROUNDS`] ×
    /// (`ET` + `4L`: a pre-vote and a vote exchange).
    pub election_ns: u64,
    /// One replication round, `R = HB + 2L`.
    pub round_ns: u64,
    /// Entries one round carries to a follower that is behind.
    pub max_batch: u64,
    /// After the heal, once a stable leader is known to every node, an
    /// operation completes within this: four client hops (to its home
    /// node, a redirect back, to the leader, the answer: `4L`) and one
    /// replication round per batch the clients can fill plus one (a write
    /// waits for its round and its commit, a ReadIndex read for a round
    /// that started after it arrived, §8).
    pub quiet_op_ns: u64,
    /// A client slot that is never slowed completes at least one operation
    /// per `quiet_op_ns + think_max`: the quiet period's throughput must
    /// reach half of what that allows for every slot.
    pub quiet_cycle_ns: u64,
    /// How long a `get` has to reach a clean majority's leader and be
    /// served: its whole lifetime (the client's op timeout), since a client
    /// may first try the nodes outside the majority.
    pub read_ns: u64,
    /// A stable leader is known to every node one heartbeat and one
    /// delivery after it took office: `HB + L`.
    pub known_ns: u64,
    /// A node that granted a vote stands for election no sooner than this
    /// after it (Figure 2): the minimum election timeout, less a quarter
    /// for systems that count it in ticks (raft-rs counts 10 ms ticks and
    /// may stand one tick short of the timeout it was given).
    #[serde(default)]
    pub voter_wait_ns: u64,
    /// Once every member of a clean majority recognises one leader, it
    /// serves reads within this plus the commit of its term's first entry
    /// ([`Bounds::commit_ns`]): one election timeout (a lease-based read
    /// may wait out a lease) and one round (a ReadIndex read's
    /// confirmation, §8): `ET + R`. Reports written before it existed read
    /// it as 0, which [`Bounds::read_from_ns`] treats as "not derived".
    #[serde(default)]
    pub read_settle_ns: u64,
}

impl Bounds {
    /// The bounds of `timing`, as the module documentation derives them.
    pub fn derive(timing: &Timing) -> Bounds {
        let latency = timing.latency_max_us * NS_PER_US;
        let heartbeat = timing.heartbeat_ms * NS_PER_MS;
        let election_timeout = timing.election_timeout_max_ms * NS_PER_MS;
        let round_ns = heartbeat + 2 * latency;
        let max_batch = timing.max_batch.max(1);
        let batches = u64::from(timing.clients).div_ceil(max_batch);
        let quiet_op_ns = 4 * latency + (batches + 1) * round_ns;
        Bounds {
            election_ns: election_timeout + ELECTION_ROUNDS * (election_timeout + 4 * latency),
            round_ns,
            max_batch,
            quiet_op_ns,
            quiet_cycle_ns: quiet_op_ns + timing.think_max_ms * NS_PER_MS,
            read_ns: timing.op_timeout_ms * NS_PER_MS,
            known_ns: heartbeat + latency,
            voter_wait_ns: timing.election_timeout_min_ms * NS_PER_MS * 3 / 4,
            read_settle_ns: election_timeout + round_ns,
        }
    }

    /// When a clean majority that started at `start_ns`, and whose members
    /// all recognised one leader at `leader_at_ns` while the longest of
    /// their logs ended at `last_index`, must be serving reads: settled
    /// after its leader's first commit, and never later than the election
    /// bound.
    pub fn read_from_ns(&self, start_ns: u64, leader_at_ns: Option<u64>, last_index: u64) -> u64 {
        let election_end_ns = start_ns + self.election_ns;
        match leader_at_ns {
            Some(at) if self.read_settle_ns > 0 => {
                let settled = at + self.commit_ns(last_index + 1) + self.read_settle_ns;
                settled.min(election_end_ns)
            }
            _ => election_end_ns,
        }
    }

    /// How long a leader of a clean majority may take to commit the entry
    /// at `index`: the rounds a follower that holds none of the log needs
    /// to catch up to it (one batch each), plus [`COMMIT_ROUNDS`].
    pub fn commit_ns(&self, index: u64) -> u64 {
        (index.div_ceil(self.max_batch) + COMMIT_ROUNDS) * self.round_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> Timing {
        Timing {
            cluster_size: 5,
            election_timeout_min_ms: 150,
            election_timeout_max_ms: 300,
            heartbeat_ms: 50,
            latency_max_us: 5_000,
            max_batch: 64,
            clients: 5,
            attempt_timeout_ms: 250,
            retry_backoff_ms: 25,
            think_max_ms: 20,
            op_timeout_ms: 1_000,
        }
    }

    #[test]
    fn bounds_follow_the_configuration() {
        let ms = NS_PER_MS;
        let cases = [
            // (change, election, quiet op, commit of entry 100)
            (timing(), 2_220 * ms, 140 * ms, 300 * ms),
            (
                Timing {
                    latency_max_us: 10_000,
                    ..timing()
                },
                2_340 * ms,
                180 * ms,
                350 * ms,
            ),
            (
                Timing {
                    clients: 200,
                    ..timing()
                },
                2_220 * ms,
                320 * ms,
                300 * ms,
            ),
            (
                Timing {
                    max_batch: 1,
                    ..timing()
                },
                2_220 * ms,
                380 * ms,
                6_180 * ms,
            ),
        ];
        for (timing, election, quiet_op, commit) in cases {
            let bounds = Bounds::derive(&timing);
            assert_eq!(bounds.election_ns, election, "{timing:?}");
            assert_eq!(bounds.quiet_op_ns, quiet_op, "{timing:?}");
            assert_eq!(bounds.commit_ns(100), commit, "{timing:?}");
        }
    }
}
