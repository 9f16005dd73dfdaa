//! Campaigns from a user's own tests, through `raftstorm::harness`, with
//! raft-core standing in for "your Raft": it is driven exactly as a
//! foreign system is, through `replica::Replica`.

use raft_core::{Bug, BugSet, Node};
use raftstorm::harness::{Campaign, Failure};

fn campaign(name: &str) -> Campaign {
    let out = std::env::temp_dir().join(format!("raftstorm-harness-{}-{name}", std::process::id()));
    Campaign::new().trials(40).seed(3).threads(2).out_dir(out)
}

#[test]
fn a_correct_raft_passes_and_every_requested_trial_ran() {
    let report = campaign("clean").assert_clean::<Node>(BugSet::NONE);
    assert_eq!(report.totals.trials, 40);
    assert_eq!(report.totals.valid, 40);
}

#[test]
fn a_planted_bug_fails_with_its_seed_its_check_and_the_replay_command() {
    let campaign = campaign("bug").trials(200).nodes(3);
    let failure = campaign
        .run::<Node>(BugSet::only(Bug::VoteTwice))
        .expect_err("vote-twice must be caught");
    let Failure::Trial(trial) = &failure else {
        panic!("expected a failed trial, got {failure}");
    };
    let message = failure.to_string();
    assert!(
        message.contains(&format!("seed {}", trial.seed)),
        "{message}"
    );
    assert!(
        !trial.checks.is_empty() && !trial.reason.is_empty(),
        "{message}"
    );
    for check in &trial.checks {
        assert!(message.contains(check.as_str()), "{message}");
    }
    let replay = format!("RAFTSTORM_SEED={} cargo test ", trial.seed);
    assert!(message.contains(&replay), "{message}");
    assert!(trial.artifact.join("trial.json").is_file(), "{message}");

    // The replay runs that one trial and fails the same way.
    let again = campaign
        .run_seed::<Node>(BugSet::only(Bug::VoteTwice), trial.seed)
        .expect_err("the replay fails too");
    let Failure::Trial(replayed) = again else {
        panic!("expected a failed trial");
    };
    assert_eq!(
        (replayed.seed, &replayed.checks),
        (trial.seed, &trial.checks)
    );
}

#[test]
fn campaigns_that_would_test_nothing_or_cannot_run_are_refused() {
    let cases: [(&str, Campaign, &str); 3] = [
        ("no trials", campaign("zero").trials(0), "0 trials"),
        ("no clients", campaign("no-clients").clients(0), "client"),
        (
            "a read mode raft-core lacks",
            campaign("lease").read_mode(replica::ReadMode::Lease),
            "lease",
        ),
    ];
    for (case, campaign, expected) in cases {
        let failure = campaign.run::<Node>(BugSet::NONE).expect_err(case);
        assert!(
            matches!(failure, Failure::Invalid(_)) && failure.to_string().contains(expected),
            "{case}: {failure}"
        );
    }
}

/// The README's "Test your own Raft" example, as it is written there:
/// tikv/raft-rs through its adapter is exactly the kind of system a user
/// brings.
#[test]
fn the_readme_example_tests_raft_rs_from_a_users_test() {
    use raft_rs_adapter::{RaftRsNode, RaftRsOptions};

    raftstorm::harness::Campaign::new()
        .trials(20)
        .seed(7)
        .faults("partition,crash,drop")
        .assert_clean::<RaftRsNode>(RaftRsOptions::default());

    let buggy = RaftRsOptions {
        bugs: "read-without-read-state".parse().unwrap(),
        ..RaftRsOptions::default()
    };
    let failure = campaign("raft-rs-bug")
        .trials(300)
        .run::<RaftRsNode>(buggy)
        .expect_err("a read served without its ReadState is caught");
    let message = failure.to_string();
    assert!(message.contains("linearizability"), "{message}");
    assert!(message.contains("RAFTSTORM_SEED="), "{message}");
}
