//! Targeted faults strike at the moment they aim for, and only then: each
//! case arms one target, provokes the moment where needed, and checks the
//! strike against the cluster state the trace shows just before it.

mod common;

use common::*;
use histories::{TraceEvent, TraceKind};
use nemesis::*;
use raft_core::Role;

/// What the trace says about one node up to some event.
#[derive(Clone, Copy, Debug, Default)]
struct NodeView {
    role: Option<Role>,
    term: u64,
    last_index: u64,
}

/// Each node's view after `events` (appends raise the last index,
/// truncations lower it).
fn views(events: &[TraceEvent], size: usize) -> Vec<NodeView> {
    let mut views = vec![NodeView::default(); size];
    for event in events {
        let Some(node) = event.node else { continue };
        let view = &mut views[node as usize];
        match event.event {
            TraceKind::RoleChanged { role, term } => (view.role, view.term) = (Some(role), term),
            TraceKind::LogAppended { index, .. } => view.last_index = index,
            TraceKind::LogTruncated { from_index, .. } => view.last_index = from_index - 1,
            TraceKind::Crashed => view.role = None,
            TraceKind::Restarted { term, .. } => {
                (view.role, view.term) = (Some(Role::Follower), term)
            }
            _ => {}
        }
    }
    views
}

/// The strikes of a trace: (position, node, what).
fn strikes(events: &[TraceEvent]) -> Vec<(usize, u32, String)> {
    events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| match &event.event {
            TraceKind::Nemesis { fault } if fault.starts_with("aimed: ") => {
                let node = fault.rsplit('n').next()?.parse().ok()?;
                Some((i, node, fault["aimed: ".len()..].to_string()))
            }
            _ => None,
        })
        .collect()
}

/// Runs `faults` on the default five-node world with clients.
fn run(faults: &[(u64, Fault)], seed: u64) -> Vec<TraceEvent> {
    world_with(faults, seed).run().trace.events
}

/// Makes an election happen at 1 s: the leader is cut off for 0.6 s.
fn election_at_1s() -> Vec<(u64, Fault)> {
    vec![
        (1_000, Fault::Partition(PartitionShape::IsolateLeader)),
        (1_600, Fault::HealPartition),
    ]
}

type Check = fn(&[TraceEvent], usize, u32);

fn struck_the_leader(events: &[TraceEvent], at: usize, node: u32) {
    let view = views(&events[..at], 5)[node as usize];
    assert_eq!(view.role, Some(Role::Leader), "{view:?}");
}

fn struck_a_minority_entry(events: &[TraceEvent], at: usize, node: u32) {
    struck_the_leader(events, at, node);
    let before = views(&events[..at], 5);
    let newest = before[node as usize].last_index;
    let holders = before.iter().filter(|v| v.last_index >= newest).count();
    assert!(holders < 3, "entry {newest} on {holders} of 5 nodes");
}

fn struck_a_fresh_voter(events: &[TraceEvent], at: usize, node: u32) {
    let granted = events[..at]
        .iter()
        .rev()
        .take_while(|e| e.time_ns == events[at].time_ns)
        .any(|e| e.node == Some(node) && matches!(e.event, TraceKind::VoteGranted { .. }));
    assert!(granted, "n{node} granted a vote at the strike's instant");
}

fn struck_a_lagging_follower(events: &[TraceEvent], at: usize, node: u32) {
    let before = views(&events[..at], 5);
    let leader_last = before
        .iter()
        .filter(|v| v.role == Some(Role::Leader))
        .map(|v| v.last_index)
        .max()
        .expect("a leader");
    assert!(before[node as usize].last_index < leader_last, "{before:?}");
}

#[test]
fn each_target_strikes_once_at_its_moment() {
    let aim = |target: Target| (1_000, Fault::Aim(target));
    let end = (5_000, Fault::EndAim);
    let cases: Vec<(Vec<(u64, Fault)>, &str, Check)> = vec![
        (
            vec![
                aim(Target::StrandLeader {
                    holders: 1,
                    isolate: false,
                }),
                end.clone(),
            ],
            "crash",
            struck_a_minority_entry,
        ),
        (
            vec![
                aim(Target::StrandLeader {
                    holders: 2,
                    isolate: true,
                }),
                end.clone(),
            ],
            "isolate",
            struck_a_minority_entry,
        ),
        (
            [
                vec![aim(Target::IsolateNewLeader)],
                election_at_1s(),
                vec![end.clone()],
            ]
            .concat(),
            "isolate",
            struck_the_leader,
        ),
        (
            [
                vec![aim(Target::CrashVoter {
                    restart_after_ms: 20,
                })],
                election_at_1s(),
                vec![end.clone()],
            ]
            .concat(),
            "crash",
            struck_a_fresh_voter,
        ),
        (
            vec![aim(Target::PauseLeader), end.clone()],
            "pause",
            struck_the_leader,
        ),
        (
            vec![
                (1_000, Fault::Crash { node: 1 }),
                (1_000, Fault::Crash { node: 3 }),
                (2_500, Fault::Restart { node: 1 }),
                (2_500, Fault::Restart { node: 3 }),
                (2_400, Fault::Aim(Target::CutCatchUp { behind: 1 })),
                end.clone(),
            ],
            "isolate",
            struck_a_lagging_follower,
        ),
    ];
    for (mut faults, verb, check) in cases {
        faults.sort_by_key(|(at_ms, _)| *at_ms);
        let events = run(&faults, 11);
        let struck = strikes(&events);
        let first = struck
            .iter()
            .find(|(_, _, what)| what.starts_with(verb))
            .unwrap_or_else(|| panic!("{faults:?}: no strike in {struck:?}"));
        let strikes_of_verb = struck
            .iter()
            .filter(|(_, _, w)| w.starts_with(verb))
            .count();
        assert_eq!(
            strikes_of_verb, 1,
            "{faults:?} struck more than once: {struck:?}"
        );
        check(&events, first.0, first.1);
    }
}

#[test]
fn a_crashed_voter_comes_back_after_its_delay_and_a_stranded_leader_at_the_end() {
    let faults = [
        vec![(
            1_000,
            Fault::Aim(Target::CrashVoter {
                restart_after_ms: 20,
            }),
        )],
        election_at_1s(),
        vec![(5_000, Fault::EndAim)],
    ]
    .concat();
    let events = run(&faults, 11);
    let struck = strikes(&events);
    let crash = struck
        .iter()
        .find(|s| s.2.starts_with("crash"))
        .expect("crash");
    let restart = struck
        .iter()
        .find(|s| s.2.starts_with("restart"))
        .expect("restart");
    assert_eq!(crash.1, restart.1);
    let down_ns = events[restart.0].time_ns - events[crash.0].time_ns;
    assert_eq!(down_ns, 20_000_000);

    let stranded = [
        (
            1_000,
            Fault::Aim(Target::StrandLeader {
                holders: 1,
                isolate: false,
            }),
        ),
        (3_000, Fault::EndAim),
    ];
    let events = run(&stranded, 11);
    let restart = strikes(&events)
        .into_iter()
        .find(|s| s.2.starts_with("restart"))
        .expect("the stranded leader restarts when the window ends");
    assert_eq!(events[restart.0].time_ns, 3_000_000_000);
}

#[test]
fn delayed_votes_reach_candidates_late_and_others_on_time() {
    let faults = [
        vec![(1_000, Fault::Aim(Target::DelayVotes { extra_ms: 400 }))],
        election_at_1s(),
        vec![(5_000, Fault::EndAim)],
    ]
    .concat();
    let mut world = world_with(&faults, 11);
    world.record_deliveries();
    world.run_until(5_000);
    let late = world
        .deliveries()
        .iter()
        .filter(|d| d.delivered_ns - d.sent_ns >= 400_000_000)
        .count();
    assert!(late > 0, "some message to a candidate was held back");
    let after = world
        .deliveries()
        .iter()
        .filter(|d| d.sent_ns >= 5_000_000_000)
        .count();
    assert_eq!(after, 0);
}

#[test]
fn an_unstruck_target_disarms_quietly_and_trials_stay_deterministic() {
    // No election happens, so a new leader is never isolated.
    let faults = [
        (1_000, Fault::Aim(Target::IsolateNewLeader)),
        (3_000, Fault::EndAim),
    ];
    let events = run(&faults, 3);
    assert!(strikes(&events).is_empty());
    assert_eq!(run(&faults, 3), events);
    let stranded = [(
        1_000,
        Fault::Aim(Target::StrandLeader {
            holders: 2,
            isolate: false,
        }),
    )];
    assert_eq!(run(&stranded, 4), run(&stranded, 4));
}
