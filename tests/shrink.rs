//! Shrinking a campaign's failure yields a trial that still fails the same
//! check on replay, a tenth of the size or less, the same at any thread
//! count.

use raft_core::{Bug, BugSet};
use raftstorm::shrink::{shrink, Budget, Shrunk};
use raftstorm::system::{BuiltIn, SystemConfig};
use raftstorm::trial::{TrialConfig, TrialResult, TrialSpec};

/// The first failing trial of a default campaign with `bug` planted.
fn first_failure(bug: Bug) -> TrialSpec {
    let config = TrialConfig {
        system: SystemConfig::RaftCore {
            bugs: BugSet::only(bug),
        },
        ..TrialConfig::default()
    };
    (0..400)
        .map(|index| TrialSpec::generate(config, nemesis::seeds::trial_seed(1, index)))
        .find(|spec| {
            !TrialResult::of(spec.clone())
                .verdict
                .failed_checks
                .is_empty()
        })
        .unwrap_or_else(|| panic!("{bug}: no failure in 400 trials"))
}

fn budget(threads: usize) -> Budget {
    Budget {
        max_candidates: 600,
        time_limit: None,
        threads,
    }
}

fn shrunk(bug: Bug, threads: usize) -> Shrunk {
    shrink(
        first_failure(bug),
        &BuiltIn,
        budget(threads),
        None,
        &mut |_| {},
    )
    .unwrap_or_else(|err| panic!("{bug}: {err}"))
}

#[test]
fn planted_bugs_shrink_to_a_tenth_and_still_fail_the_same_check() {
    // An election bug, a persistence bug, a read bug, a replication and
    // commit bug.
    let bugs = [
        Bug::VoteTwice,
        Bug::ForgetVoteOnRestart,
        Bug::ReadWithoutQuorum,
        Bug::TruncateWithoutConflict,
    ];
    for bug in bugs {
        let shrunk = shrunk(bug, 2);
        let (before, after) = (shrunk.before, shrunk.after);
        // A fault is a window (its start and its end); a targeted window
        // may need one plain fault to strike at (a crash for a voter to
        // be elected over), so a window and one more event is as small
        // as a schedule that still faults may get.
        assert!(
            after.faults <= (before.faults / 10).max(3),
            "{bug}: faults {before} -> {after}"
        );
        assert!(
            after.ops * 10 <= before.ops,
            "{bug}: ops {before} -> {after}"
        );
        assert!(
            after.simulated_ms <= before.simulated_ms && after.nodes <= before.nodes,
            "{bug}"
        );

        // The shrunk trial is data: through trial.json and back, it replays
        // to the same failure.
        let json = serde_json::to_string(&shrunk.result.spec).unwrap();
        let replayed = TrialResult::of(serde_json::from_str(&json).unwrap());
        assert!(
            replayed
                .verdict
                .failed_checks
                .iter()
                .any(|c| c.check == shrunk.check),
            "{bug}: the replay fails {}",
            shrunk.check
        );
        assert_eq!(
            replayed.output, shrunk.result.output,
            "{bug}: replay is exact"
        );
    }
}

#[test]
fn shrinking_is_the_same_at_any_thread_count() {
    let one = shrunk(Bug::ReadWithoutQuorum, 1);
    let three = shrunk(Bug::ReadWithoutQuorum, 3);
    assert_eq!(one.result.spec, three.result.spec);
    assert_eq!(one.check, three.check);
}

#[test]
fn a_passing_trial_or_a_check_it_does_not_fail_cannot_be_shrunk() {
    let passing = TrialSpec::generate(TrialConfig::default(), 1);
    let err = shrink(passing, &BuiltIn, budget(1), None, &mut |_| {})
        .err()
        .unwrap();
    assert!(err.contains("nothing to shrink"), "{err}");
    let failing = first_failure(Bug::VoteTwice);
    let err = shrink(
        failing,
        &BuiltIn,
        budget(1),
        Some("liveness-of-the-moon"),
        &mut |_| {},
    )
    .err()
    .unwrap();
    assert!(err.contains("does not fail liveness-of-the-moon"), "{err}");
}
