//! Property tests: random legal traces from a reference model always pass;
//! a single mutation that provably breaks a rule is always caught; random
//! garbage never makes the checker panic.
//!
//! `cargo test --release -p checker --test invariants_property -- --ignored
//! --nocapture` prints the checker's throughput on long model traces.

#[path = "invariants/model.rs"]
mod model;

use checker::invariants::{check_safety, Invariant, SafetyReport};
use checker::Validity;
use histories::{EntryId, NodeId, Role, Trace, TraceEvent, TraceKind};
use model::Model;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use std::collections::{BTreeMap, BTreeSet};

/// Model traces per test run: modest, so debug builds stay quick.
const TRACES: u64 = 150;
const EVENTS_PER_TRACE: usize = 600;

fn model_trace(seed: u64) -> Trace {
    let mut rng = Pcg64::seed_from_u64(seed);
    let size = *[3, 5].choose(&mut rng).unwrap();
    Model::new(size, rng).run(EVENTS_PER_TRACE)
}

fn describe(trace: &Trace) -> String {
    trace
        .events
        .iter()
        .enumerate()
        .map(|(position, event)| format!("#{position:<5} {event}\n"))
        .collect()
}

#[test]
fn legal_model_traces_always_pass() {
    let mut shapes = BTreeMap::new();
    for seed in 0..TRACES {
        let trace = model_trace(seed);
        let report = check_safety(&trace);
        assert_eq!(
            report.validity,
            Validity::Valid,
            "seed {seed}: {report}\n{}",
            describe(&trace)
        );
        for event in &trace.events {
            *shapes.entry(shape(&event.event)).or_insert(0u64) += 1;
        }
        *shapes.entry("late commit").or_insert(0) += late_commits(&trace);
    }
    // The model exercises what makes the checks hard.
    for needed in [
        "leader", "truncate", "commit", "apply", "crash", "restart", "vote",
    ] {
        assert!(
            shapes.get(needed).copied().unwrap_or(0) > 10,
            "{needed}: {shapes:?}"
        );
    }
}

/// Commits by a node whose term is below that of a leader already elected:
/// the case where Leader Completeness must look back at a past leader's log.
fn late_commits(trace: &Trace) -> u64 {
    let mut late = 0;
    let mut max_leader_term = 0;
    replay(trace, |site, event| match event.event {
        TraceKind::RoleChanged {
            role: Role::Leader,
            term,
        } => max_leader_term = max_leader_term.max(term),
        TraceKind::CommitAdvanced { .. } if site.before.term < max_leader_term => late += 1,
        _ => {}
    });
    late
}

fn shape(event: &TraceKind) -> &'static str {
    match event {
        TraceKind::RoleChanged {
            role: Role::Leader, ..
        } => "leader",
        TraceKind::RoleChanged { .. } => "role",
        TraceKind::VoteGranted { .. } => "vote",
        TraceKind::LogAppended { .. } => "append",
        TraceKind::LogTruncated { .. } => "truncate",
        TraceKind::CommitAdvanced { .. } => "commit",
        TraceKind::Applied { .. } => "apply",
        TraceKind::Crashed => "crash",
        TraceKind::Restarted { .. } => "restart",
        _ => "other",
    }
}

// ---- Mutations ---------------------------------------------------------

/// What each node looked like just before an event, replayed from the
/// trace: the facts the mutations need to be sure they break a rule.
#[derive(Clone, Default)]
struct Before {
    term: u64,
    role: Option<Role>,
    log_len: u64,
    commit: u64,
}

/// A place where one mutation provably breaks one rule.
struct Site {
    position: usize,
    node: NodeId,
    before: Before,
    /// The lowest term in which any entry had been committed before this
    /// position (`u64::MAX` when none was).
    min_commit_term: u64,
}

/// Replays the trace, handing each node event with its node's state just
/// before it.
fn replay(trace: &Trace, mut visit: impl FnMut(&Site, &TraceEvent)) {
    let mut nodes: BTreeMap<NodeId, Before> = BTreeMap::new();
    let mut min_commit_term = u64::MAX;
    for (position, event) in trace.events.iter().enumerate() {
        let Some(node) = event.node else { continue };
        let before = nodes.entry(node).or_default().clone();
        visit(
            &Site {
                position,
                node,
                before,
                min_commit_term,
            },
            event,
        );
        let state = nodes.get_mut(&node).unwrap();
        match event.event {
            TraceKind::RoleChanged { role, term } => {
                state.role = Some(role);
                state.term = term;
            }
            TraceKind::LogAppended { index, .. } => state.log_len = index,
            TraceKind::LogTruncated { from_index, .. } => {
                state.log_len = from_index.saturating_sub(1)
            }
            TraceKind::CommitAdvanced { commit_index } => {
                if commit_index.min(state.log_len) >= 1 {
                    min_commit_term = min_commit_term.min(state.term);
                }
                state.commit = commit_index;
            }
            TraceKind::Crashed => {
                state.role = None;
                state.commit = 0;
            }
            TraceKind::Restarted { term, .. } => state.term = term,
            _ => {}
        }
    }
}

/// One way to break a trace, and the rule it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mutation {
    SecondLeaderInTerm,
    TermGoesBack,
    RestartForgetsTerm,
    SecondVote,
    RestartForgetsVote,
    OtherCommandAtSameKey,
    LeaderTruncates,
    NewLeaderLosesLog,
    OtherEntryApplied,
    CommitGoesBack,
    ApplySkipped,
    ApplyBeforeCommit,
}

impl Mutation {
    const ALL: [Mutation; 12] = [
        Mutation::SecondLeaderInTerm,
        Mutation::TermGoesBack,
        Mutation::RestartForgetsTerm,
        Mutation::SecondVote,
        Mutation::RestartForgetsVote,
        Mutation::OtherCommandAtSameKey,
        Mutation::LeaderTruncates,
        Mutation::NewLeaderLosesLog,
        Mutation::OtherEntryApplied,
        Mutation::CommitGoesBack,
        Mutation::ApplySkipped,
        Mutation::ApplyBeforeCommit,
    ];

    fn breaks(self) -> Invariant {
        match self {
            Mutation::SecondLeaderInTerm => Invariant::ElectionSafety,
            Mutation::TermGoesBack | Mutation::RestartForgetsTerm => Invariant::MonotonicTerm,
            Mutation::SecondVote | Mutation::RestartForgetsVote => Invariant::SingleVote,
            Mutation::OtherCommandAtSameKey => Invariant::LogMatching,
            Mutation::LeaderTruncates => Invariant::LeaderAppendOnly,
            Mutation::NewLeaderLosesLog => Invariant::LeaderCompleteness,
            Mutation::OtherEntryApplied => Invariant::StateMachineSafety,
            Mutation::CommitGoesBack => Invariant::MonotonicCommit,
            Mutation::ApplySkipped | Mutation::ApplyBeforeCommit => Invariant::AppliedWithinCommit,
        }
    }
}

/// An edit of the trace: replace, insert before, or remove one event.
enum Edit {
    Replace(usize, TraceKind),
    InsertBefore(usize, NodeId, TraceKind),
    Remove(usize),
}

fn apply_edit(trace: &Trace, edit: Edit) -> Trace {
    let mut events = trace.events.clone();
    match edit {
        Edit::Replace(position, kind) => events[position].event = kind,
        Edit::InsertBefore(position, node, kind) => {
            let time_ns = events
                .get(position)
                .or(events.last())
                .map_or(0, |e| e.time_ns);
            events.insert(
                position,
                TraceEvent {
                    time_ns,
                    node: Some(node),
                    event: kind,
                },
            );
        }
        Edit::Remove(position) => {
            events.remove(position);
        }
    }
    Trace { events }
}

/// Every edit of kind `mutation` that provably breaks its rule.
fn candidate_edits(trace: &Trace, mutation: Mutation) -> Vec<Edit> {
    let keys = appended_keys(trace);
    let applied = applied_indexes(trace);
    let nodes: BTreeSet<NodeId> = trace.events.iter().filter_map(|e| e.node).collect();
    let mut edits = Vec::new();
    replay(trace, |site, event| {
        let p = site.position;
        let next_of_node = || {
            trace.events[p + 1..]
                .iter()
                .position(|e| e.node == Some(site.node))
                .map(|offset| p + 1 + offset)
        };
        match (mutation, &event.event) {
            (
                Mutation::SecondLeaderInTerm,
                &TraceKind::RoleChanged {
                    role: Role::Leader,
                    term,
                },
            ) => {
                if let Some(&other) = nodes.iter().find(|&&n| n != site.node) {
                    let kind = TraceKind::RoleChanged {
                        role: Role::Leader,
                        term,
                    };
                    edits.push(Edit::InsertBefore(p + 1, other, kind));
                }
            }
            (Mutation::TermGoesBack, &TraceKind::RoleChanged { role, .. })
                if site.before.term >= 1 =>
            {
                let term = site.before.term - 1;
                edits.push(Edit::Replace(p, TraceKind::RoleChanged { role, term }));
            }
            (
                Mutation::RestartForgetsTerm,
                &TraceKind::Restarted {
                    term,
                    voted_for,
                    last_log_index,
                },
            ) if term >= 1 => {
                let term = term - 1;
                edits.push(Edit::Replace(
                    p,
                    TraceKind::Restarted {
                        term,
                        voted_for,
                        last_log_index,
                    },
                ));
            }
            (Mutation::SecondVote, &TraceKind::VoteGranted { term, candidate }) => {
                let other = if candidate == site.node {
                    candidate + 1
                } else {
                    site.node
                };
                let kind = TraceKind::VoteGranted {
                    term,
                    candidate: other,
                };
                edits.push(Edit::InsertBefore(p + 1, site.node, kind));
            }
            (
                Mutation::RestartForgetsVote,
                &TraceKind::Restarted {
                    term,
                    voted_for: Some(_),
                    last_log_index,
                },
            ) => {
                let kind = TraceKind::Restarted {
                    term,
                    voted_for: None,
                    last_log_index,
                };
                edits.push(Edit::Replace(p, kind));
            }
            (Mutation::OtherCommandAtSameKey, &TraceKind::LogAppended { index, term, .. })
                if keys[&(index, term)] >= 2 =>
            {
                let entry = EntryId::Command {
                    client: 999,
                    seq: p as u64,
                };
                edits.push(Edit::Replace(
                    p,
                    TraceKind::LogAppended { index, term, entry },
                ));
            }
            (Mutation::LeaderTruncates, &TraceKind::LogAppended { index, .. })
                if site.before.role == Some(Role::Leader) =>
            {
                let kind = TraceKind::LogTruncated {
                    from_index: index,
                    removed: 1,
                };
                edits.push(Edit::InsertBefore(p + 1, site.node, kind));
            }
            (
                Mutation::NewLeaderLosesLog,
                &TraceKind::RoleChanged {
                    role: Role::Leader,
                    term,
                },
            ) if site.min_commit_term < term && site.before.log_len >= 1 => {
                let kind = TraceKind::LogTruncated {
                    from_index: 1,
                    removed: site.before.log_len,
                };
                edits.push(Edit::InsertBefore(p, site.node, kind));
            }
            (Mutation::OtherEntryApplied, &TraceKind::Applied { index, term, .. })
                if applied[&index] >= 2 =>
            {
                let entry = EntryId::Command {
                    client: 999,
                    seq: p as u64,
                };
                edits.push(Edit::Replace(p, TraceKind::Applied { index, term, entry }));
            }
            (Mutation::CommitGoesBack, TraceKind::CommitAdvanced { .. })
                if site.before.commit >= 1 =>
            {
                let kind = TraceKind::CommitAdvanced {
                    commit_index: site.before.commit - 1,
                };
                edits.push(Edit::Replace(p, kind));
            }
            (Mutation::ApplySkipped, TraceKind::Applied { .. }) => {
                // Provable when the node's next event applies the next index.
                if let Some(next) = next_of_node() {
                    if matches!(trace.events[next].event, TraceKind::Applied { .. }) {
                        edits.push(Edit::Remove(p));
                    }
                }
            }
            (Mutation::ApplyBeforeCommit, &TraceKind::CommitAdvanced { commit_index })
                if commit_index > site.before.commit =>
            {
                if let Some(next) = next_of_node() {
                    if matches!(trace.events[next].event, TraceKind::Applied { .. }) {
                        edits.push(Edit::Remove(p));
                    }
                }
            }
            _ => {}
        }
    });
    edits
}

/// How many appends each `(index, term)` got, across nodes.
fn appended_keys(trace: &Trace) -> BTreeMap<(u64, u64), usize> {
    let mut keys = BTreeMap::new();
    for event in &trace.events {
        if let TraceKind::LogAppended { index, term, .. } = event.event {
            *keys.entry((index, term)).or_insert(0) += 1;
        }
    }
    keys
}

/// How many times each index was applied, across nodes and runs.
fn applied_indexes(trace: &Trace) -> BTreeMap<u64, usize> {
    let mut applied = BTreeMap::new();
    for event in &trace.events {
        if let TraceKind::Applied { index, .. } = event.event {
            *applied.entry(index).or_insert(0) += 1;
        }
    }
    applied
}

fn violated(report: &SafetyReport) -> Vec<Invariant> {
    report.violated_invariants().collect()
}

#[test]
fn every_single_mutation_that_breaks_a_rule_is_caught() {
    let mut rng = Pcg64::seed_from_u64(0x5eed);
    let mut tried: BTreeMap<Mutation, usize> = BTreeMap::new();
    for seed in 0..TRACES / 3 {
        let trace = model_trace(seed);
        for mutation in Mutation::ALL {
            let mut edits = candidate_edits(&trace, mutation);
            edits.shuffle(&mut rng);
            for edit in edits.into_iter().take(3) {
                let mutated = apply_edit(&trace, edit);
                let report = check_safety(&mutated);
                assert!(
                    violated(&report).contains(&mutation.breaks()),
                    "seed {seed}, {mutation:?} should break {}: {report}\n{}",
                    mutation.breaks(),
                    describe(&mutated)
                );
                *tried.entry(mutation).or_insert(0) += 1;
            }
        }
    }
    for mutation in Mutation::ALL {
        assert!(
            tried.get(&mutation).copied().unwrap_or(0) >= 10,
            "{mutation:?} was hardly tried: {tried:?}"
        );
    }
}

// ---- Garbage -------------------------------------------------------------

fn small_or_huge(rng: &mut Pcg64) -> u64 {
    if rng.gen_bool(0.05) {
        rng.gen()
    } else {
        rng.gen_range(0..6)
    }
}

fn garbage_event(rng: &mut Pcg64) -> TraceEvent {
    let node = if rng.gen_bool(0.05) {
        None
    } else {
        Some(rng.gen_range(0..4))
    };
    let entry = if rng.gen_bool(0.5) {
        EntryId::Noop
    } else {
        EntryId::Command {
            client: 1,
            seq: rng.gen_range(0..3),
        }
    };
    let role = *[Role::Follower, Role::Candidate, Role::Leader]
        .choose(rng)
        .unwrap();
    let event = match rng.gen_range(0..11) {
        0 => TraceKind::RoleChanged {
            role,
            term: small_or_huge(rng),
        },
        1 => TraceKind::VoteGranted {
            term: small_or_huge(rng),
            candidate: rng.gen_range(0..4),
        },
        2 | 3 => TraceKind::LogAppended {
            index: small_or_huge(rng),
            term: small_or_huge(rng),
            entry,
        },
        4 => TraceKind::LogTruncated {
            from_index: small_or_huge(rng),
            removed: small_or_huge(rng),
        },
        5 => TraceKind::CommitAdvanced {
            commit_index: small_or_huge(rng),
        },
        6 => TraceKind::Applied {
            index: small_or_huge(rng),
            term: small_or_huge(rng),
            entry,
        },
        7 => TraceKind::Crashed,
        8 => TraceKind::Restarted {
            term: small_or_huge(rng),
            voted_for: Some(rng.gen_range(0..4)).filter(|_| rng.gen_bool(0.5)),
            last_log_index: small_or_huge(rng),
        },
        9 => TraceKind::Paused,
        _ => TraceKind::Nemesis {
            fault: "heal".into(),
        },
    };
    TraceEvent {
        time_ns: rng.gen_range(0..1_000),
        node,
        event,
    }
}

#[test]
fn garbage_traces_never_panic_and_reports_stay_consistent() {
    let mut rng = Pcg64::seed_from_u64(7);
    for _ in 0..300 {
        let length = rng.gen_range(0..200);
        let trace = Trace {
            events: (0..length).map(|_| garbage_event(&mut rng)).collect(),
        };
        let report = check_safety(&trace);
        assert_eq!(report.validity == Validity::Valid, report.counts.is_empty());
        assert_eq!(report.events_checked, trace.events.len());
        for violation in &report.violations {
            assert!(report.counts[&violation.invariant] >= 1);
            for (position, event) in &violation.events {
                assert_eq!(&trace.events[*position], event);
            }
        }
    }
}

#[test]
fn the_check_is_deterministic() {
    let trace = apply_edit(
        &model_trace(3),
        Edit::InsertBefore(10, 7, TraceKind::CommitAdvanced { commit_index: 0 }),
    );
    let first = serde_json::to_string(&check_safety(&trace)).unwrap();
    for _ in 0..3 {
        assert_eq!(serde_json::to_string(&check_safety(&trace)).unwrap(), first);
    }
}

// ---- Throughput ------------------------------------------------------------

/// Prints how fast the safety pass reads long model traces. Not a timed
/// assertion: run it in release and compare with the target (well under a
/// millisecond per 10k events).
#[test]
#[ignore = "a benchmark: run with --release -- --ignored --nocapture"]
fn print_safety_throughput() {
    use std::time::Instant;
    for (nodes, events) in [(3, 10_000), (5, 10_000), (5, 100_000)] {
        let traces: Vec<Trace> = (0..20)
            .map(|seed| Model::new(nodes, Pcg64::seed_from_u64(seed)).run(events))
            .collect();
        let total_events: usize = traces.iter().map(|t| t.events.len()).sum();
        let mut best_ns = u128::MAX;
        for _ in 0..5 {
            let started = Instant::now();
            for trace in &traces {
                assert!(check_safety(trace).is_valid());
            }
            best_ns = best_ns.min(started.elapsed().as_nanos());
        }
        let ns_per_event = best_ns as f64 / total_events as f64;
        println!(
            "{nodes} nodes, {events} events/trace: {ns_per_event:.1} ns/event, {:.1} µs per 10k events",
            ns_per_event * 10_000.0 / 1_000.0
        );
    }
}
