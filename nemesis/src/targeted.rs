//! Targeted faults: faults aimed at a moment of the protocol rather than at
//! a moment of the clock.
//!
//! A random schedule crashes the leader at a random time; the Figure 8
//! mistake (Raft paper §5.4.2) only shows when the leader dies right after
//! it put an entry on a minority, and the next leader dies before its own
//! term's entry commits. Such moments last a millisecond in a ten-second
//! trial, so a random schedule almost never hits them. A [`Target`] arms a
//! trigger for a window of virtual time; the world watches what the nodes
//! report (appends, votes, role changes) and strikes the moment the
//! condition holds. The trigger depends only on simulated state and the
//! stored target, so a seed still determines the trial byte for byte, and
//! the target is stored in `trial.json` like any fault.

use crate::schedule::{FaultKind, FieldError, MAX_EXTRA_DELAY_MS, MAX_TRIAL_MS};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// What an armed targeted fault waits for, and what it does then.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "target")]
pub enum Target {
    /// When the leader's newest entry of its own term is on exactly
    /// `holders` nodes (fewer than a majority, the leader included), crash
    /// the leader before that step's messages leave — or cut it off, with
    /// `isolate`. The entry is then on a minority only: the next leader may
    /// or may not have it (§5.4.2, Figure 8 (a)–(b)). Undone at the window's
    /// end (restart, or heal).
    ///
    /// With `at_commit`, it strikes instead when the leader's commit index
    /// moves while its newest entry is on at most `holders` nodes: the
    /// leader has just told the cluster something is committed, and what it
    /// appended since is on a minority (Figure 8 (c)–(d)).
    StrandLeader {
        /// Nodes holding the entry when the fault strikes.
        holders: u32,
        /// Isolate instead of crash.
        isolate: bool,
        /// Strike at the leader's next commit, not at an append.
        #[serde(default)]
        at_commit: bool,
        /// With a crash: strike again at every such moment while armed,
        /// each crashed leader coming back this long after (0: strike once,
        /// restart when the window ends). Back-to-back strandings are the
        /// Figure 8 history: a leader dies with an entry on a minority, so
        /// does its successor, and the first comes back to finish the job.
        #[serde(default, skip_serializing_if = "is_zero")]
        down_ms: u64,
    },
    /// The moment a node becomes leader, cut it off from all others, before
    /// the first entry of its term can commit (§5.4.2, §8: its commitIndex
    /// is still whatever it learned as a follower).
    IsolateNewLeader,
    /// The moment a node grants a vote, crash it (its reply has left), and
    /// restart it `restart_after_ms` later, while the election of that term
    /// is still running: a voter that forgets its vote votes again (§5.2,
    /// Figure 2's persistent votedFor).
    CrashVoter {
        /// How long the voter stays down.
        restart_after_ms: u64,
    },
    /// Freeze the leader (the one there is, or the next) until the window
    /// ends, well past an election timeout: it wakes into a cluster with a
    /// newer term and must step down at the first newer term it sees (§5.1),
    /// and must not serve reads as leader meanwhile (§8).
    ///
    /// With `cut_after_ms`, the frozen leader is also cut off from the
    /// other nodes that long after it froze (after the replies to its last
    /// heartbeat round have reached its inbox): the new leader's messages
    /// then cannot depose it before it has taken the clients' requests that
    /// queued meanwhile, so a leader that serves a read on confirmations
    /// older than the read is caught serving a stale value (§8).
    PauseLeader {
        /// Milliseconds from the freeze to the cut (0: no cut).
        #[serde(default, skip_serializing_if = "is_zero")]
        cut_after_ms: u64,
    },
    /// While armed, every message to a candidate arrives `extra_ms` late:
    /// its vote replies come after its next election timeout, into a newer
    /// election (§5.2: responses of older terms must be ignored).
    DelayVotes {
        /// The extra delay.
        extra_ms: u64,
    },
    /// When a follower appends entries and is still `behind` or more entries
    /// behind the leader, cut it off: it is left half caught up, with a log
    /// that matches the leader's only up to a point (§5.3's consistency
    /// check and back-up of nextIndex).
    CutCatchUp {
        /// Entries the follower still lacks when it is cut off.
        behind: u64,
    },
}

impl Target {
    /// The fault kind that draws this target.
    pub fn kind(&self) -> FaultKind {
        match self {
            Target::StrandLeader {
                at_commit: false, ..
            } => FaultKind::StrandLeader,
            Target::StrandLeader { .. } => FaultKind::StrandCommitter,
            Target::IsolateNewLeader => FaultKind::IsolateNewLeader,
            Target::CrashVoter { .. } => FaultKind::CrashVoter,
            Target::PauseLeader { .. } => FaultKind::PauseLeader,
            Target::DelayVotes { .. } => FaultKind::DelayVotes,
            Target::CutCatchUp { .. } => FaultKind::CutCatchUp,
        }
    }

    /// True when striking it partitions the network, so that it must not
    /// overlap a scheduled partition (whose heal would undo it).
    pub fn partitions(&self) -> bool {
        matches!(
            self,
            Target::StrandLeader { isolate: true, .. }
                | Target::IsolateNewLeader
                | Target::CutCatchUp { .. }
        ) || matches!(self, Target::PauseLeader { cut_after_ms } if *cut_after_ms > 0)
    }

    /// Draws the target of a targeted `kind` for a cluster of
    /// `cluster_size` nodes, or `None` when `kind` is not targeted.
    pub fn draw(kind: FaultKind, cluster_size: u32, rng: &mut impl Rng) -> Option<Target> {
        let minority = (cluster_size.saturating_sub(1) / 2).max(1);
        Some(match kind {
            FaultKind::StrandLeader => {
                let holders = rng.gen_range(1..=minority);
                let isolate = rng.gen_bool(0.5);
                let down_ms = if isolate { 0 } else { rng.gen_range(30..=400) };
                Target::StrandLeader {
                    holders,
                    isolate,
                    at_commit: false,
                    down_ms,
                }
            }
            FaultKind::StrandCommitter => Target::StrandLeader {
                holders: minority,
                isolate: false,
                at_commit: true,
                down_ms: rng.gen_range(30..=400),
            },
            FaultKind::IsolateNewLeader => Target::IsolateNewLeader,
            FaultKind::CrashVoter => Target::CrashVoter {
                restart_after_ms: rng.gen_range(1..=60),
            },
            FaultKind::PauseLeader => Target::PauseLeader {
                cut_after_ms: if rng.gen_bool(0.5) {
                    rng.gen_range(5..=20)
                } else {
                    0
                },
            },
            FaultKind::DelayVotes => Target::DelayVotes {
                extra_ms: rng.gen_range(200..=800),
            },
            FaultKind::CutCatchUp => Target::CutCatchUp {
                behind: rng.gen_range(1..=4),
            },
            _ => return None,
        })
    }

    /// Checks the target's amounts; paths are relative to the target.
    pub fn validate(&self, cluster_size: u32) -> Result<(), FieldError> {
        match *self {
            Target::StrandLeader { holders, .. } if holders == 0 || holders > cluster_size => {
                Err(FieldError::new(
                    "holders",
                    format!("{holders} is not a number of nodes of a {cluster_size}-node cluster (1..={cluster_size})"),
                ))
            }
            Target::StrandLeader { down_ms, .. } if down_ms > MAX_TRIAL_MS => Err(FieldError::new(
                "down_ms",
                format!("{down_ms} ms is longer than a trial may be ({MAX_TRIAL_MS} ms)"),
            )),
            Target::CrashVoter { restart_after_ms } if restart_after_ms > MAX_TRIAL_MS => {
                Err(FieldError::new(
                    "restart_after_ms",
                    format!("{restart_after_ms} ms is longer than a trial may be ({MAX_TRIAL_MS} ms)"),
                ))
            }
            Target::DelayVotes { extra_ms } if extra_ms > MAX_EXTRA_DELAY_MS => Err(FieldError::new(
                "extra_ms",
                format!("{extra_ms} ms is more than the {MAX_EXTRA_DELAY_MS} ms allowed"),
            )),
            Target::PauseLeader { cut_after_ms } if cut_after_ms > MAX_TRIAL_MS => {
                Err(FieldError::new(
                    "cut_after_ms",
                    format!("{cut_after_ms} ms is longer than a trial may be ({MAX_TRIAL_MS} ms)"),
                ))
            }
            Target::CutCatchUp { behind: 0 } => Err(FieldError::new(
                "behind",
                "a follower 0 entries behind is not catching up; expected at least 1",
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::StrandLeader {
                holders,
                isolate,
                at_commit,
                down_ms,
            } => {
                write!(
                    f,
                    "{} the leader {} its newest entry is on {}{holders} node{}",
                    if *isolate { "isolate" } else { "crash" },
                    if *at_commit {
                        "at a commit while"
                    } else {
                        "once"
                    },
                    if *at_commit { "at most " } else { "" },
                    if *holders == 1 { "" } else { "s" }
                )?;
                match down_ms {
                    0 => Ok(()),
                    ms => write!(f, ", every time, each down for {ms}ms"),
                }
            }
            Target::IsolateNewLeader => f.write_str("isolate the next new leader"),
            Target::CrashVoter { restart_after_ms } => write!(
                f,
                "crash the next voter once it grants a vote, restart it {restart_after_ms}ms later"
            ),
            Target::PauseLeader { cut_after_ms: 0 } => f.write_str("pause the leader"),
            Target::PauseLeader { cut_after_ms } => {
                write!(f, "pause the leader, cut it off {cut_after_ms} ms later")
            }
            Target::DelayVotes { extra_ms } => {
                write!(f, "delay messages to candidates by +{extra_ms}ms")
            }
            Target::CutCatchUp { behind } => write!(
                f,
                "cut off a follower catching up while it is {behind}+ entries behind"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::seeded;

    #[test]
    fn every_targeted_kind_draws_a_valid_target_of_its_own_kind() {
        for kind in FaultKind::ALL {
            for size in 1..=9 {
                let mut rng = seeded(u64::from(size));
                let Some(target) = Target::draw(kind, size, &mut rng) else {
                    assert!(!kind.is_targeted(), "{kind} draws nothing");
                    continue;
                };
                assert!(kind.is_targeted());
                assert_eq!(target.kind(), kind);
                assert_eq!(target.validate(size), Ok(()), "{target}");
                if let Target::StrandLeader { holders, .. } = target {
                    let quorum = size / 2 + 1;
                    assert!(holders < quorum || size <= 2, "{holders} of {size}");
                }
            }
        }
    }

    #[test]
    fn invalid_targets_are_refused_with_their_field() {
        let cases = [
            (
                Target::StrandLeader {
                    holders: 0,
                    isolate: false,
                    at_commit: false,
                    down_ms: 0,
                },
                "holders",
            ),
            (
                Target::StrandLeader {
                    holders: 6,
                    isolate: true,
                    at_commit: true,
                    down_ms: 0,
                },
                "holders",
            ),
            (
                Target::CrashVoter {
                    restart_after_ms: u64::MAX,
                },
                "restart_after_ms",
            ),
            (Target::DelayVotes { extra_ms: u64::MAX }, "extra_ms"),
            (Target::CutCatchUp { behind: 0 }, "behind"),
        ];
        for (target, field) in cases {
            assert_eq!(target.validate(5).unwrap_err().path, field, "{target}");
        }
    }
}
