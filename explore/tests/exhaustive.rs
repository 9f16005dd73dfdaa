//! Exhaustive exploration as a CI gate: a small scope of the correct
//! raft-core is explored to the last state with no violation, and planted
//! bugs are each caught with a shortest counterexample that the trace
//! checker confirms.
//!
//! Every run here is breadth-first on one thread, so each depth below is
//! the length of a shortest path to the violation within its scope.

use explore::run::Discovery;
use explore::{explore, ExploreModel, Outcome, RunConfig, Scope, Strategy};
use raft_core::{Bug, BugSet, Node};
use std::time::Duration;

fn scope(max_term: u64, requests: u32, max_log: u64, heartbeats: u32, crashes: u32) -> Scope {
    Scope {
        max_term,
        requests,
        max_log,
        heartbeats,
        crashes,
        ..Scope::default()
    }
}

fn two_nodes(scope: Scope) -> Scope {
    Scope { nodes: 2, ..scope }
}

fn run(scope: Scope, bugs: BugSet) -> Outcome {
    let model = ExploreModel::<Node>::new(scope, bugs).expect("a valid scope");
    let config = RunConfig {
        strategy: Strategy::Bfs,
        threads: 1,
        time_limit: Some(Duration::from_secs(120)),
        stop_at_violation: true,
        progress: false,
    };
    explore(model, &config)
}

fn reached(outcome: &Outcome) -> Vec<&'static str> {
    outcome
        .discoveries
        .iter()
        .filter(|d| !d.violation)
        .map(|d| d.property)
        .collect()
}

#[test]
fn the_correct_raft_holds_in_every_state_of_small_scopes() {
    // (scope, the sometimes properties it must reach), so that no scope is
    // vacuous. Three nodes in one term with a read; with a crash; two nodes
    // in two terms with a read and a write (every property). The default
    // scope of `raftstorm explore` (three nodes, two terms) takes longer
    // than a CI test should: see the README's figures.
    let all = vec![
        "a leader is elected",
        "an entry commits",
        "a leader is replaced",
        "a read is answered",
    ];
    let cases = [
        (scope(1, 1, 1, 1, 0), vec![all[0], all[1], all[3]]),
        (scope(1, 0, 1, 0, 1), vec![all[0], all[1]]),
        (two_nodes(scope(2, 2, 3, 1, 0)), all.clone()),
    ];
    for (scope, expected) in cases {
        let outcome = run(scope, BugSet::NONE);
        assert!(outcome.exhausted, "{scope}: not exhausted");
        let violations: Vec<&str> = outcome.violations().map(|d| d.property).collect();
        assert!(violations.is_empty(), "{scope}: violated {violations:?}");
        assert_eq!(reached(&outcome), expected, "{scope}");
        assert!(
            outcome.unique > 2_000,
            "{scope}: only {} states",
            outcome.unique
        );
    }
}

/// The violation found, after checking the trace checker agrees with it.
fn violation(outcome: &Outcome) -> &Discovery {
    let found = outcome.violations().next().expect("a violation");
    let confirmed: Vec<&str> = found
        .path
        .verdict
        .violated_invariants()
        .map(|i| i.name())
        .collect();
    assert!(
        confirmed.contains(&found.property),
        "the trace checker does not see {} in the path; it sees {confirmed:?}",
        found.property
    );
    found
}

#[test]
fn planted_bugs_are_caught_with_shortest_counterexamples() {
    // (bug, scope, property violated, shortest depth)
    let cases = [
        (Bug::VoteTwice, scope(1, 0, 1, 0, 0), "election-safety", 6),
        (
            Bug::VoteWithoutLogCheck,
            scope(2, 0, 1, 0, 0),
            "leader-completeness",
            9,
        ),
        (
            Bug::ForgetVoteOnRestart,
            scope(1, 0, 1, 0, 1),
            "election-safety",
            8,
        ),
    ];
    for (bug, scope, property, depth) in cases {
        let outcome = run(scope, BugSet::only(bug));
        let found = violation(&outcome);
        assert_eq!(
            (found.property, found.depth),
            (property, depth),
            "{bug} in {scope}"
        );
        assert_eq!(found.path.steps.len(), depth);
    }
}
