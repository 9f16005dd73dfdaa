//! Detection power, as a CI gate: with fixed campaign seeds and a small
//! budget, every planted bug of raft-core is caught in every seed, and the
//! correct build raises no false alarm. It iterates over `Bug::ALL`, so a
//! bug added to raft-core is gated from the day it lands.

use raft_core::Bug;
use raftstorm::config_swarm::ConfigSwarm;
use raftstorm::mutants::{run_mutants, MutantsConfig};
use raftstorm::system::SystemConfig;
use raftstorm::trial::TrialConfig;
use replica::PlantedBug;

/// Bugs the system argues unreachable (`PlantedBug::unreachable`; README,
/// "Detection power"): `commit-without-min` cannot happen against
/// raft-core's exact back-up of nextIndex (the argument is in its doc
/// comment; `commit-on-rejected-append` is its reachable variant). Every
/// other bug is gated; `raftstorm mutants` fails if an unreachable one is
/// ever caught.
fn unreachable() -> Vec<Bug> {
    Bug::ALL
        .iter()
        .copied()
        .filter(|bug| PlantedBug::unreachable(*bug).is_some())
        .collect()
}

/// Campaign seeds per bug, and the trials each may take.
const SEEDS: u64 = 3;
const BUDGET_TRIALS: u64 = 3_000;
/// The control's trials per seed (every one of them runs).
const CONTROL_TRIALS: u64 = 150;

fn config(only: Vec<String>, budget_trials: u64, name: &str) -> MutantsConfig {
    MutantsConfig {
        // The default campaign: every fault kind, swarm over kinds and
        // over the configuration.
        trial: TrialConfig {
            system: SystemConfig::default(),
            vary: ConfigSwarm::ALL,
            ..TrialConfig::default()
        },
        only,
        first_seed: 1,
        seeds: SEEDS,
        budget_trials,
        budget_time: None,
        threads: 2,
        out_dir: std::env::temp_dir()
            .join(format!("raftstorm-detection-{}-{name}", std::process::id())),
        shrink: false,
    }
}

#[test]
fn every_planted_bug_of_raft_core_is_caught_in_every_seed_and_the_control_is_clean() {
    let gated: Vec<String> = Bug::ALL
        .iter()
        .filter(|bug| PlantedBug::unreachable(**bug).is_none())
        .map(|bug| PlantedBug::name(*bug).to_string())
        .collect();
    assert!(gated.len() >= 10, "{gated:?}");
    let report = run_mutants(&config(gated.clone(), BUDGET_TRIALS, "bugs"), &mut |_| {})
        .expect("the mutants run");
    let names: Vec<&str> = report.mutants.iter().map(|row| row.bug.as_str()).collect();
    assert_eq!(names, gated, "every gated bug ran, in Bug::ALL order");
    let missed: Vec<String> = report
        .mutants
        .iter()
        .filter(|row| row.detected() < row.seeds.len())
        .map(|row| format!("{} ({}/{})", row.bug, row.detected(), row.seeds.len()))
        .collect();
    assert!(missed.is_empty(), "not caught in every seed: {missed:?}");
    for row in &report.mutants {
        assert!(
            !row.caught_by.is_empty(),
            "{}: which check caught it",
            row.bug
        );
    }
    // The control of this run had the bugs' budget; the gate's own
    // control below runs its trials in full.
    assert_eq!(report.control.false_alarms, 0, "{:?}", report.control);
}

#[test]
fn the_correct_build_raises_no_false_alarm_over_every_trial_asked_for() {
    // A bug that is certainly caught keeps the mutant part short.
    let only = vec!["apply-before-commit".to_string()];
    let report = run_mutants(&config(only, CONTROL_TRIALS, "control"), &mut |_| {})
        .expect("the mutants run");
    assert!(report.passed, "{report:?}");
    assert_eq!(report.control.false_alarms, 0);
    assert_eq!(report.control.trials, SEEDS * CONTROL_TRIALS);
}

#[test]
fn only_the_bug_argued_unreachable_is_left_ungated() {
    assert_eq!(unreachable(), [Bug::CommitWithoutMin]);
}

#[test]
fn a_bug_name_the_system_does_not_have_is_refused() {
    let error = run_mutants(&config(vec!["nope".into()], 1, "bad"), &mut |_| {})
        .expect_err("an unknown bug is bad input");
    assert!(error.contains("unknown raft-core bug 'nope'"), "{error}");
}
