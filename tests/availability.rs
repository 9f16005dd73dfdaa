//! The availability check against Rafts that stay safe and recover but are
//! less available than Raft promises, built as wrappers around raft-core
//! (so they need no planted bug of anyone else's):
//!
//! - [`DropsWhileBusy`]: a leader silently drops a client write whenever
//!   another write is in flight. Clients time out and retry, everything
//!   completes in the end, liveness passes; the quiet period is slow.
//! - [`Supermajority`]: every node believes in a phantom extra node that
//!   never answers, so elections and commits need one vote more than a
//!   bare majority (§5.2, §5.3). Safe (any two such quorums overlap), and
//!   whole again after the heal; a bare majority during faults is stuck.

use checker::Validity;
use nemesis::FaultSchedule;
use raft_core::{BugSet, Node};
use raftstorm::system::{Custom, SystemConfig};
use raftstorm::trial::{TrialConfig, TrialResult, TrialSpec, AVAILABILITY_CHECK};
use rand_pcg::Pcg32;
use replica::{Actions, ClientResponse, ClusterConfig, Input, KvOp, NodeId, Replica, Role, Status};
use std::collections::BTreeSet;

/// raft-core, whose leader silently drops a client write that arrives
/// while another is in flight (`true`), or does not (`false`: the
/// control). It drops each request once: the client's retry after its
/// attempt timeout gets through, so every operation still completes.
struct DropsWhileBusy {
    inner: Node,
    in_flight: BTreeSet<(u64, u64)>,
    dropped: BTreeSet<(u64, u64)>,
    drop_writes: bool,
}

impl Replica for DropsWhileBusy {
    type Message = <Node as Replica>::Message;
    type Disk = <Node as Replica>::Disk;
    type Options = bool;
    const TIMERS: usize = <Node as Replica>::TIMERS;

    fn boot(
        id: NodeId,
        cluster: &ClusterConfig,
        drop_writes: &bool,
        disk: &mut Self::Disk,
        rng: Pcg32,
        out: &mut Actions<Self::Message>,
    ) -> Self {
        DropsWhileBusy {
            inner: <Node as Replica>::boot(id, cluster, &BugSet::NONE, disk, rng, out),
            in_flight: BTreeSet::new(),
            dropped: BTreeSet::new(),
            drop_writes: *drop_writes,
        }
    }

    fn step(
        &mut self,
        disk: &mut Self::Disk,
        input: Input<Self::Message>,
        out: &mut Actions<Self::Message>,
    ) {
        let leads = Replica::status(&self.inner).role == Role::Leader;
        if let Input::Client(request) = &input {
            let write = !matches!(request.op, KvOp::Get { .. });
            let id = (request.client, request.seq);
            if write && leads {
                let busy = !self.in_flight.is_empty() && !self.in_flight.contains(&id);
                if busy && self.drop_writes && self.dropped.insert(id) {
                    return; // silence: the client will retry
                }
                self.in_flight.insert(id);
            }
        }
        let replies_before = out.replies.len();
        Replica::step(&mut self.inner, disk, input, out);
        for reply in &out.replies[replies_before..] {
            if matches!(
                reply.response,
                ClientResponse::Done(_) | ClientResponse::Redirect { .. }
            ) {
                self.in_flight.remove(&(reply.client, reply.seq));
            }
        }
        if Replica::status(&self.inner).role != Role::Leader {
            self.in_flight.clear();
        }
    }

    fn status(&self) -> Status {
        Replica::status(&self.inner)
    }
}

/// raft-core in a cluster one node larger than the world's: the extra
/// node never answers (its messages are dropped here).
struct Supermajority {
    inner: Node,
    real_size: u32,
}

impl Supermajority {
    fn drop_phantom_messages(&self, out: &mut Actions<<Node as Replica>::Message>, from: usize) {
        let real = self.real_size;
        let mut index = from;
        while index < out.messages.len() {
            if out.messages[index].0 >= real {
                out.messages.remove(index);
            } else {
                index += 1;
            }
        }
    }
}

impl Replica for Supermajority {
    type Message = <Node as Replica>::Message;
    type Disk = <Node as Replica>::Disk;
    type Options = ();
    const TIMERS: usize = <Node as Replica>::TIMERS;

    fn boot(
        id: NodeId,
        cluster: &ClusterConfig,
        _: &(),
        disk: &mut Self::Disk,
        rng: Pcg32,
        out: &mut Actions<Self::Message>,
    ) -> Self {
        let bigger = ClusterConfig {
            cluster_size: cluster.cluster_size + 1,
            ..*cluster
        };
        let from = out.messages.len();
        let node = Supermajority {
            inner: <Node as Replica>::boot(id, &bigger, &BugSet::NONE, disk, rng, out),
            real_size: cluster.cluster_size,
        };
        node.drop_phantom_messages(out, from);
        node
    }

    fn step(
        &mut self,
        disk: &mut Self::Disk,
        input: Input<Self::Message>,
        out: &mut Actions<Self::Message>,
    ) {
        let from = out.messages.len();
        Replica::step(&mut self.inner, disk, input, out);
        self.drop_phantom_messages(out, from);
    }

    fn status(&self) -> Status {
        Replica::status(&self.inner)
    }
}

fn custom<R: Replica>(options: R::Options) -> Custom<R> {
    Custom {
        options,
        replay: Box::new(|_| "(a test system)".to_string()),
    }
}

fn spec(seed: u64, quiet: bool) -> TrialSpec {
    let config = TrialConfig {
        system: SystemConfig::Custom,
        ..TrialConfig::default()
    };
    let mut spec = TrialSpec::generate(config, seed);
    if quiet {
        spec.schedule = FaultSchedule::quiet(config.world.timeline.faults);
    }
    spec
}

/// (trials that failed availability, trials that failed anything else),
/// and the first availability reason.
fn tally(results: impl Iterator<Item = TrialResult>) -> (usize, usize, Option<String>) {
    let (mut availability, mut other, mut reason) = (0, 0, None);
    for result in results {
        let checks = result.verdict.failed_check_names();
        if checks.iter().any(|check| check == AVAILABILITY_CHECK) {
            availability += 1;
            reason = reason.or_else(|| raftstorm::explain::one_line_reason(&result.verdict));
        }
        if checks.iter().any(|check| check != AVAILABILITY_CHECK) {
            other += 1;
        }
    }
    (availability, other, reason)
}

#[test]
fn a_leader_that_drops_writes_while_busy_fails_availability_and_nothing_else() {
    // (drop writes, quiet schedule, trials failing availability at least, at most)
    let cases = [
        (true, true, 10, 10),
        (true, false, 8, 10),
        (false, true, 0, 0),
        (false, false, 0, 0),
    ];
    for (drop_writes, quiet, at_least, at_most) in cases {
        let system = custom::<DropsWhileBusy>(drop_writes);
        let results = (0..10).map(|seed| TrialResult::of_system(spec(seed, quiet), &system));
        let (failed, other, reason) = tally(results);
        let case = format!("drop {drop_writes}, quiet {quiet}: {failed} failed, {reason:?}");
        assert!((at_least..=at_most).contains(&failed), "{case}");
        assert_eq!(other, 0, "only availability may fail: {case}");
        if let Some(reason) = reason {
            assert!(
                reason.starts_with("[availability] ") && reason.contains("took longer than"),
                "{case}"
            );
        }
    }
}

#[test]
fn a_raft_that_needs_more_than_a_bare_majority_fails_availability_during_faults() {
    let system = custom::<Supermajority>(());
    // Long partitions and crashes, so that bare majorities outlast the
    // election bound.
    let long_faults = |seed| {
        let mut config = spec(seed, false).config;
        config.nemesis.kinds = "partition,crash".parse().unwrap();
        config.nemesis.duration_ms = 4_000;
        config.nemesis.interval_ms = 1_500;
        TrialSpec::generate(config, seed)
    };
    let results: Vec<TrialResult> = (0..60)
        .map(|seed| TrialResult::of_system(long_faults(seed), &system))
        .collect();
    let stuck = results.iter().any(|result| {
        result.verdict.availability.as_ref().is_some_and(|report| {
            report.problems.iter().any(|problem| {
                matches!(
                    problem,
                    checker::availability::AvailabilityProblem::NoLeaderInMajority { .. }
                        | checker::availability::AvailabilityProblem::UncommittedInMajority { .. }
                )
            })
        })
    });
    let (failed, other, reason) = tally(results.into_iter());
    assert!(
        stuck && failed >= 3,
        "{failed} of 60 failed availability: {reason:?}"
    );
    assert_eq!(other, 0, "it stays safe and recovers: {reason:?}");
    // With nothing but the final heal, it is a healthy five-node cluster.
    let quiet = (0..10).map(|seed| TrialResult::of_system(spec(seed, true), &system));
    assert_eq!(tally(quiet).0, 0);
}

#[test]
fn the_check_is_off_with_no_availability_and_old_configs_turn_it_on() {
    let system = custom::<DropsWhileBusy>(true);
    let mut off = spec(1, true);
    off.config.checker.availability = false;
    let result = TrialResult::of_system(off, &system);
    assert!(result.verdict.availability.is_none());
    assert_eq!(result.verdict.validity, Validity::Valid);
    let mut json = serde_json::to_value(TrialConfig::default().checker).unwrap();
    assert!(
        json.get("availability").is_none(),
        "on is the default, unwritten"
    );
    json.as_object_mut().unwrap().remove("availability");
    let read: raftstorm::trial::CheckerConfig = serde_json::from_value(json).unwrap();
    assert!(read.availability);
}
