//! Each planted embedder bug is caught within a bounded number of seeds,
//! and by the checks its rule predicts.

mod common;

use common::{seed, TrialSetup};
use raft_rs_adapter::{Bug, BugSet, RaftRsOptions};
use replica::ReadMode;

/// Seeds tried per bug before giving up.
const MAX_SEEDS: u64 = 40;

/// The first seed index at which `bug` is caught, with the failed checks.
fn first_detection(bug: Bug, read_mode: ReadMode) -> Option<(u64, Vec<String>)> {
    let setup = TrialSetup {
        read_mode,
        options: RaftRsOptions {
            bugs: BugSet::only(bug),
            ..RaftRsOptions::default()
        },
    };
    (0..MAX_SEEDS).find_map(|index| {
        let failed = setup.failed_checks_of_seed(seed(index));
        (!failed.is_empty()).then_some((index, failed))
    })
}

#[test]
fn every_planted_bug_is_caught_by_the_checks_its_rule_predicts() {
    // (bug, read mode, checks of which at least one must fire)
    let cases: [(Bug, ReadMode, &[&str]); 4] = [
        (
            Bug::SendBeforePersist,
            ReadMode::ReadIndex,
            &[
                "panic",
                "log-matching",
                "single-vote",
                "monotonic-term",
                "election-safety",
                "leader-completeness",
                "state-machine-safety",
                "linearizability",
            ],
        ),
        (
            Bug::ForgetHardStateOnRestart,
            ReadMode::ReadIndex,
            &["monotonic-term", "single-vote", "election-safety"],
        ),
        (
            Bug::ApplyUnstableEntries,
            ReadMode::ReadIndex,
            &[
                "applied-within-commit",
                "state-machine-safety",
                "linearizability",
            ],
        ),
        (
            Bug::ReadWithoutReadState,
            ReadMode::ReadIndex,
            &["linearizability"],
        ),
    ];
    for (bug, read_mode, expected) in cases {
        let detection = first_detection(bug, read_mode);
        eprintln!("{bug}: first caught at seed index {detection:?}");
        let (_, failed) =
            detection.unwrap_or_else(|| panic!("{bug} not caught in {MAX_SEEDS} seeds"));
        assert!(
            failed
                .iter()
                .any(|check| expected.iter().any(|e| check.starts_with(e))),
            "{bug} caught by {failed:?}, expected one of {expected:?}"
        );
    }
}

/// How often each bug is caught, and by what (`cargo test -- --ignored
/// --nocapture` prints it; slow in debug builds).
#[test]
#[ignore]
fn detection_rates() {
    const SEEDS: u64 = 100;
    for bug in Bug::ALL {
        let setup = TrialSetup {
            read_mode: ReadMode::ReadIndex,
            options: RaftRsOptions {
                bugs: BugSet::only(bug),
                ..RaftRsOptions::default()
            },
        };
        let mut caught = 0;
        let mut by_check = std::collections::BTreeMap::<String, u32>::new();
        for index in 0..SEEDS {
            let failed = setup.failed_checks_of_seed(seed(index));
            caught += u32::from(!failed.is_empty());
            for check in failed {
                let check: String = check.chars().take(48).collect();
                *by_check.entry(check).or_default() += 1;
            }
        }
        eprintln!("{bug}: caught in {caught}/{SEEDS} seeds; by check {by_check:?}");
    }
}
