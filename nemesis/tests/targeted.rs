//! Targeted faults strike at the moment they aim for, and only then: each
//! case arms one target, provokes the moment where needed, and checks the
//! strike against the cluster state the trace shows just before it.

mod common;

use common::*;
use histories::{TraceEvent, TraceKind};
use nemesis::*;
use raft_core::Role;

/// What the trace says about one node up to some event.
#[derive(Clone, Debug, Default)]
struct NodeView {
    role: Option<Role>,
    term: u64,
    last_index: u64,
    /// The term of each entry of its log, from index 1.
    log_terms: Vec<u64>,
}

/// Each node's view after `events` (appends write the log, truncations
/// cut it, a restart keeps what the disk held).
fn views(events: &[TraceEvent], size: usize) -> Vec<NodeView> {
    let mut views = vec![NodeView::default(); size];
    for event in events {
        let Some(node) = event.node else { continue };
        let view = &mut views[node as usize];
        match event.event {
            TraceKind::RoleChanged { role, term } => (view.role, view.term) = (Some(role), term),
            TraceKind::LogAppended { index, term, .. } => {
                view.log_terms.truncate(index as usize - 1);
                view.log_terms.push(term);
            }
            TraceKind::LogTruncated { from_index, .. } => {
                view.log_terms.truncate(from_index as usize - 1)
            }
            TraceKind::Crashed => view.role = None,
            TraceKind::Restarted {
                term,
                last_log_index,
                ..
            } => {
                (view.role, view.term) = (Some(Role::Follower), term);
                view.log_terms.truncate(last_log_index as usize);
            }
            _ => {}
        }
        view.last_index = view.log_terms.len() as u64;
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

/// Runs `faults` with forty clients, so that the leader appends new
/// entries while older ones are still being acknowledged.
fn run_busy(faults: &[(u64, Fault)], seed: u64) -> Vec<TraceEvent> {
    let mut config = WorldConfig::default();
    config.clients.count = 40;
    let kv = RandomKv::new(seed);
    World::<_, raft_core::Node>::new(
        config,
        raft_core::BugSet::NONE,
        schedule_of(faults),
        kv,
        seed,
    )
    .run()
    .trace
    .events
}

/// Makes an election happen at 1 s: the leader is cut off for 0.6 s.
fn election_at_1s() -> Vec<(u64, Fault)> {
    vec![
        (1_000, Fault::Partition(PartitionShape::IsolateLeader)),
        (1_600, Fault::HealPartition),
    ]
}

type Check = fn(&[TraceEvent], usize, u32);

/// Faults to run, the verb of the strike expected, and its check.
type Case = (Vec<(u64, Fault)>, &'static str, Check);

fn struck_the_leader(events: &[TraceEvent], at: usize, node: u32) {
    let view = views(&events[..at], 5)[node as usize].clone();
    assert_eq!(view.role, Some(Role::Leader), "{view:?}");
}

fn struck_a_minority_entry(events: &[TraceEvent], at: usize, node: u32) {
    struck_the_leader(events, at, node);
    let before = views(&events[..at], 5);
    let newest = before[node as usize].last_index as usize;
    let term = before[node as usize].log_terms[newest - 1];
    let holders = before
        .iter()
        .filter(|v| v.log_terms.get(newest - 1) == Some(&term))
        .count();
    assert!(
        holders < 3,
        "entry {newest} of term {term} on {holders} of 5 nodes"
    );
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

/// `target` armed from `from_ms` to `to_ms`.
fn window(target: Target, from_ms: u64, to_ms: u64) -> Vec<(u64, Fault)> {
    vec![
        (from_ms, Fault::Aim(target.clone())),
        (to_ms, Fault::EndAim(target)),
    ]
}

fn strand(holders: u32, isolate: bool, at_commit: bool) -> Target {
    Target::StrandLeader {
        holders,
        isolate,
        at_commit,
        down_ms: 0,
    }
}

#[test]
fn each_target_strikes_once_at_its_moment() {
    let armed = |target: Target| window(target, 1_000, 5_000);
    let lagging = vec![
        (1_000, Fault::Crash { node: 1 }),
        (1_000, Fault::Crash { node: 3 }),
        (2_500, Fault::Restart { node: 1 }),
        (2_500, Fault::Restart { node: 3 }),
    ];
    let cases: Vec<Case> = vec![
        (
            armed(strand(1, false, false)),
            "crash",
            struck_a_minority_entry,
        ),
        (
            armed(strand(2, true, false)),
            "isolate",
            struck_a_minority_entry,
        ),
        (
            [armed(Target::IsolateNewLeader), election_at_1s()].concat(),
            "isolate",
            struck_the_leader,
        ),
        (
            [
                armed(Target::CrashVoter {
                    restart_after_ms: 20,
                }),
                election_at_1s(),
            ]
            .concat(),
            "crash",
            struck_a_fresh_voter,
        ),
        (
            armed(Target::PauseLeader { cut_after_ms: 0 }),
            "pause",
            struck_the_leader,
        ),
        (
            [
                window(Target::CutCatchUp { behind: 1 }, 2_400, 5_000),
                lagging,
            ]
            .concat(),
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
fn a_leader_is_stranded_at_a_commit_only_while_newer_entries_are_on_a_minority() {
    // In a calm cluster every commit covers the leader's newest entry (the
    // clients wait for it), so the target never strikes.
    let faults = window(strand(2, false, true), 1_000, 5_000);
    assert!(strikes(&run(&faults, 11)).is_empty());
    // With forty clients, whenever it strikes the newest entry is on a
    // minority.
    let events = run_busy(&faults, 11);
    for (at, node, _) in strikes(&events) {
        struck_a_minority_entry(&events, at, node);
    }
}

#[test]
fn a_crashed_voter_comes_back_after_its_delay_and_a_stranded_leader_at_the_end() {
    let mut faults = [
        window(
            Target::CrashVoter {
                restart_after_ms: 20,
            },
            1_000,
            5_000,
        ),
        election_at_1s(),
    ]
    .concat();
    faults.sort_by_key(|(at_ms, _)| *at_ms);
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

    let events = run(&window(strand(1, false, false), 1_000, 3_000), 11);
    let restart = strikes(&events)
        .into_iter()
        .find(|s| s.2.starts_with("restart"))
        .expect("the stranded leader restarts when the window ends");
    assert_eq!(events[restart.0].time_ns, 3_000_000_000);
}

#[test]
fn delayed_votes_reach_candidates_late_and_others_on_time() {
    let mut faults = [
        window(Target::DelayVotes { extra_ms: 400 }, 1_000, 5_000),
        election_at_1s(),
    ]
    .concat();
    faults.sort_by_key(|(at_ms, _)| *at_ms);
    let mut world = world_with(&faults, 11);
    world.record_deliveries();
    world.run_until(5_000);
    let late = world
        .deliveries()
        .iter()
        .filter(|d| d.delivered_ns - d.sent_ns >= 400_000_000)
        .count();
    assert!(late > 0, "some message to a candidate was held back");
}

#[test]
fn an_unstruck_target_disarms_quietly_and_trials_stay_deterministic() {
    // No election happens, so a new leader is never isolated.
    let faults = window(Target::IsolateNewLeader, 1_000, 3_000);
    let events = run(&faults, 3);
    assert!(strikes(&events).is_empty());
    assert_eq!(run(&faults, 3), events);
    let both = [
        window(strand(2, false, false), 1_000, 4_000),
        window(
            Target::CrashVoter {
                restart_after_ms: 5,
            },
            1_000,
            4_000,
        ),
    ]
    .concat();
    assert_eq!(run(&both, 4), run(&both, 4));
}

#[test]
fn a_repeating_strand_crashes_leader_after_leader_and_brings_each_back() {
    let target = Target::StrandLeader {
        holders: 1,
        isolate: false,
        at_commit: false,
        down_ms: 50,
    };
    let events = run(&window(target, 1_000, 3_000), 11);
    let struck = strikes(&events);
    let crashes: Vec<_> = struck.iter().filter(|s| s.2.starts_with("crash")).collect();
    assert!(crashes.len() >= 2, "{struck:?}");
    for (at, node, _) in &crashes {
        struck_a_minority_entry(&events, *at, *node);
        let back = struck
            .iter()
            .find(|s| s.0 > *at && s.1 == *node && s.2.starts_with("restart"))
            .expect("every stranded leader comes back");
        assert_eq!(events[back.0].time_ns - events[*at].time_ns, 50_000_000);
    }
}

/// A pause of the leader with a cut: the leader freezes, is cut off
/// `cut_after_ms` later (once the replies to its last round are in its
/// inbox), and is healed and thawed when the window ends.
#[test]
fn a_paused_leader_is_cut_off_after_its_delay_and_healed_at_the_end() {
    let faults = window(Target::PauseLeader { cut_after_ms: 10 }, 1_000, 5_000);
    let events = run(&faults, 11);
    let struck = strikes(&events);
    let [(paused_at, leader, pause), (cut_at, cut, isolate)] = &struck[..] else {
        panic!("a pause and a cut expected: {struck:?}");
    };
    assert!(pause.starts_with("pause") && isolate.starts_with("isolate"));
    assert_eq!(leader, cut);
    struck_the_leader(&events, *paused_at, *leader);
    assert_eq!(
        events[*cut_at].time_ns - events[*paused_at].time_ns,
        10_000_000
    );
    let resumed = events
        .iter()
        .find(|e| e.node == Some(*leader) && e.event == TraceKind::Resumed)
        .expect("thawed at the window's end");
    assert_eq!(resumed.time_ns, 5_000_000_000);
}
