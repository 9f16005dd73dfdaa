//! The world's promises: determinism, each fault's effect, and the course's
//! scenarios on real (virtual) timers.

mod common;

use common::*;
use histories::TraceKind;
use nemesis::seeds::{stream, Concern};
use nemesis::*;
use raft_core::{BugSet, Node, Role};

fn jsonl<T: serde::Serialize>(items: &[T]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for item in items {
        serde_json::to_writer(&mut bytes, item).unwrap();
        bytes.push(b'\n');
    }
    bytes
}

fn full_trial(seed: u64) -> TrialOutput {
    let config = WorldConfig::default();
    let nemesis = NemesisConfig {
        swarm: false,
        ..NemesisConfig::default()
    };
    let schedule = FaultSchedule::generate(
        &nemesis,
        config.cluster.cluster_size,
        config.timeline.faults,
        &mut stream(seed, Concern::Schedule),
    );
    World::<_, Node>::new(config, BugSet::NONE, schedule, RandomKv::new(seed), seed).run()
}

#[test]
fn the_same_seed_gives_byte_identical_traces_and_histories() {
    let (a, b) = (full_trial(7), full_trial(7));
    assert!(
        a.trace.events.len() > 1_000,
        "a real trial: {}",
        a.trace.events.len()
    );
    assert!(a.history.len() > 200);
    assert_eq!(jsonl(&a.trace.events), jsonl(&b.trace.events));
    assert_eq!(jsonl(&a.history.ops), jsonl(&b.history.ops));
    assert_eq!(a.stats, b.stats);
    let c = full_trial(8);
    assert_ne!(jsonl(&a.trace.events), jsonl(&c.trace.events));
    assert_ne!(jsonl(&a.history.ops), jsonl(&c.history.ops));
}

#[test]
fn a_partitioned_node_receives_nothing() {
    let isolate = Fault::Partition(PartitionShape::Isolate { node: 2 });
    let mut world = world_with(&[(1_000, isolate), (3_000, Fault::HealPartition)], 1);
    world.run_until(1_000);
    let before: Vec<u64> = (0..5).map(|n| world.messages_received(n)).collect();
    world.run_until(2_999);
    assert_eq!(world.messages_received(2), before[2], "n2 heard nothing");
    for node in [0, 1, 3, 4] {
        assert!(world.messages_received(node) > before[node as usize] + 20);
    }
    assert!(!world.network().reachable(0, 2) && !world.network().reachable(2, 0));
    world.run_until(3_500);
    assert!(
        world.messages_received(2) > before[2],
        "healed: n2 hears again"
    );
}

#[test]
fn a_crashed_node_loses_volatile_state_and_keeps_its_disk() {
    let mut world = world_with(
        &[
            (2_000, Fault::Crash { node: 1 }),
            (3_000, Fault::Restart { node: 1 }),
        ],
        2,
    );
    world.run_until(1_999);
    let node = world.node(1).unwrap();
    let durable = node.durable_state();
    assert!(node.commit_index() > 0 && !node.kv().is_empty());
    assert_eq!(
        world.disk(1),
        &durable,
        "the disk holds what the node persisted"
    );
    world.run_until(2_500);
    assert!(world.node(1).is_none(), "crashed");
    assert_eq!(
        world.disk(1),
        &durable,
        "a dead node's disk does not change"
    );
    world.run_until(3_000);
    let node = world.node(1).expect("restarted");
    assert_eq!(node.durable_state(), durable, "term, vote and log survive");
    assert_eq!((node.commit_index(), node.last_applied()), (0, 0));
    assert!(
        node.kv().is_empty(),
        "the state machine is rebuilt from the log"
    );
    assert_eq!(node.role(), Role::Follower);
    world.run_until(3_500);
    assert!(world.node(1).unwrap().commit_index() >= durable.log.last_index());
    let events: Vec<&TraceKind> = world
        .trace()
        .events
        .iter()
        .filter(|e| e.node == Some(1))
        .map(|e| &e.event)
        .filter(|e| matches!(e, TraceKind::Crashed | TraceKind::Restarted { .. }))
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1],
        &TraceKind::Restarted {
            term: durable.hard_state.current_term,
            voted_for: durable.hard_state.voted_for,
            last_log_index: durable.log.last_index()
        }
    );
}

#[test]
fn duplicated_and_reordered_messages_appear() {
    let mut world = world_with(
        &[
            (1_000, Fault::Duplicate { permille: 300 }),
            (1_000, Fault::Delay { max_extra_ms: 100 }),
        ],
        3,
    );
    world.record_deliveries();
    world.run_until(3_000);
    let deliveries = world.deliveries();
    assert!(world.stats().messages_duplicated > 50);
    let same_message =
        |a: &Delivery, b: &Delivery| (a.from, a.to, a.sent_ns) == (b.from, b.to, b.sent_ns);
    let duplicated = deliveries.iter().enumerate().any(|(i, first)| {
        deliveries[i + 1..]
            .iter()
            .any(|second| same_message(first, second))
    });
    assert!(duplicated, "some message arrived twice");
    let reordered = deliveries.iter().enumerate().any(|(i, later)| {
        deliveries[..i].iter().any(|earlier| {
            (earlier.from, earlier.to) == (later.from, later.to) && earlier.sent_ns > later.sent_ns
        })
    });
    assert!(reordered, "some link delivered out of send order");
}

#[test]
fn a_paused_node_resumes_with_stale_state() {
    let mut world = quiet_world(&[], 4);
    world.run_until(1_000);
    let [(old_leader, old_term)] = leaders(&world)[..] else {
        panic!("one leader expected, found {:?}", leaders(&world));
    };
    world.inject(&Fault::Pause { node: old_leader });
    world.run_until(3_000);
    assert!(world.is_paused(old_leader));
    let frozen = world.node(old_leader).unwrap();
    assert_eq!(
        (frozen.role(), frozen.current_term()),
        (Role::Leader, old_term),
        "frozen in time"
    );
    let new_leaders: Vec<(u32, u64)> = leaders(&world)
        .into_iter()
        .filter(|(id, _)| *id != old_leader)
        .collect();
    assert_eq!(new_leaders.len(), 1);
    let new_term = new_leaders[0].1;
    assert!(new_term > old_term);
    world.inject(&Fault::Resume { node: old_leader });
    // On waking it still believes it leads: its stale timers and messages
    // are processed now, and the first newer term it sees deposes it.
    assert_eq!(world.node(old_leader).unwrap().role(), Role::Leader);
    world.run_until(3_200);
    let woken = world.node(old_leader).unwrap();
    assert_eq!(woken.role(), Role::Follower);
    assert!(woken.current_term() >= new_term);
}

#[test]
fn clock_skew_makes_a_nodes_timers_run_fast_or_slow() {
    let candidacies = |rate_permille: u32| {
        let faults = [
            (1_000, Fault::Partition(PartitionShape::Isolate { node: 3 })),
            (
                1_000,
                Fault::Skew {
                    node: 3,
                    rate_permille,
                },
            ),
            (5_000, Fault::HealPartition),
        ];
        let mut world = quiet_world(&faults, 5);
        world.run_until(5_000);
        world
            .trace()
            .events
            .iter()
            .filter(|e| {
                e.node == Some(3)
                    && matches!(
                        e.event,
                        TraceKind::RoleChanged {
                            role: histories::Role::Candidate,
                            ..
                        }
                    )
            })
            .count()
    };
    let (fast, normal, slow) = (candidacies(250), candidacies(1_000), candidacies(4_000));
    assert!(fast > 3 * normal, "fast {fast} vs normal {normal}");
    assert!(normal > 3 * slow, "normal {normal} vs slow {slow}");
}

/// A timer keeps the local time it has left when the clock's rate changes:
/// healing a leader's slow clock brings its next heartbeat within one
/// interval, not the slowed interval armed before the heal.
#[test]
fn healing_a_clock_rescales_the_timers_armed_under_it() {
    for seed in 0..5 {
        let mut world = quiet_world(&[], seed);
        world.run_until(1_000);
        let [(leader, _)] = leaders(&world)[..] else {
            panic!("seed {seed}: one leader expected");
        };
        let follower = (leader + 1) % 5;
        let slow = Fault::Skew {
            node: leader,
            rate_permille: 20_000,
        };
        world.inject(&slow);
        world.run_until(1_100);
        world.inject(&Fault::Skew {
            node: leader,
            rate_permille: 1_000,
        });
        let before = world.messages_received(follower);
        // One heartbeat interval (50 ms) and one delivery (at most 5 ms).
        world.run_until(1_160);
        assert!(
            world.messages_received(follower) > before,
            "seed {seed}: no heartbeat within 60 ms of the clock's heal"
        );
    }
}

#[test]
fn from_an_all_follower_start_a_single_leader_is_elected() {
    for seed in 0..20 {
        let mut world = quiet_world(&[], seed);
        world.run_until(2_000);
        let leaders = leaders(&world);
        assert_eq!(leaders.len(), 1, "seed {seed}: {leaders:?}");
        let (leader, term) = leaders[0];
        for id in (0..5).filter(|&id| id != leader) {
            let node = world.node(id).unwrap();
            assert_eq!((node.role(), node.current_term()), (Role::Follower, term));
            assert_eq!(node.leader_hint(), Some(leader));
        }
    }
}

#[test]
fn an_isolated_leader_is_replaced_and_steps_down_when_healed_and_logs_converge() {
    let mut world = world_with(
        &[
            (2_000, Fault::Partition(PartitionShape::IsolateLeader)),
            (4_000, Fault::HealPartition),
        ],
        6,
    );
    world.run_until(1_999);
    let [(old_leader, old_term)] = leaders(&world)[..] else {
        panic!("one leader expected");
    };
    world.run_until(3_999);
    let majority_leaders: Vec<(u32, u64)> = leaders(&world)
        .into_iter()
        .filter(|(id, _)| *id != old_leader)
        .collect();
    assert_eq!(
        majority_leaders.len(),
        1,
        "the majority elected a new leader"
    );
    assert!(majority_leaders[0].1 > old_term, "in a higher term");
    assert_eq!(
        world.node(old_leader).unwrap().role(),
        Role::Leader,
        "the isolated leader does not know yet"
    );
    world.run_until(4_500);
    assert_ne!(
        world.node(old_leader).unwrap().role(),
        Role::Leader,
        "healed: it stepped down"
    );
    world.run_until(10_000);
    let reference = world.node(0).unwrap().log().clone();
    assert!(reference.last_index() > 50);
    for id in 1..5 {
        let node = world.node(id).unwrap();
        assert_eq!(node.log(), &reference, "n{id}'s log converged");
        assert_eq!(node.kv(), world.node(0).unwrap().kv());
    }
}

#[test]
fn every_trial_ends_healed_with_a_leader_and_every_node_up() {
    for seed in 0..10 {
        let config = WorldConfig::default();
        let schedule = FaultSchedule::generate(
            &NemesisConfig::default(),
            5,
            config.timeline.faults,
            &mut stream(seed, Concern::Schedule),
        );
        let mut world =
            World::<_, Node>::new(config, BugSet::NONE, schedule, RandomKv::new(seed), seed);
        world.run_until(10_000);
        assert_eq!(leaders(&world).len(), 1, "seed {seed}");
        for id in 0..5 {
            assert!(
                world.node(id).is_some() && !world.is_paused(id),
                "seed {seed}: n{id}"
            );
        }
        let history = world.finish().history;
        let ops = history.operations().unwrap();
        assert!(ops.len() >= 200, "seed {seed}: only {} ops", ops.len());
    }
}

/// A completion answered by a node names it, and every read's answer is in
/// the trace as served by that same node (a stale read can say who served
/// it); timeouts name nobody.
#[test]
fn completions_name_the_node_that_served_them() {
    let output = full_trial(7);
    let served: std::collections::BTreeSet<(u64, histories::NodeId)> = output
        .trace
        .events
        .iter()
        .filter_map(|event| match event.event {
            TraceKind::ReadServed { client, .. } => Some((client, event.node?)),
            _ => None,
        })
        .collect();
    assert!(!served.is_empty(), "reads are traced as served");
    let mut reads = 0;
    for op in output.history.client_ops() {
        match op.kind {
            histories::OpType::Invoke | histories::OpType::Info => assert_eq!(op.node, None),
            _ => {
                let node = op.node.expect("an answered completion names its node");
                if op.f == histories::Function::Get {
                    let histories::Process::Client(process) = op.process else {
                        unreachable!()
                    };
                    assert!(served.contains(&(process, node)), "{op}");
                    reads += 1;
                }
            }
        }
    }
    assert!(reads > 10, "{reads} reads");
}
