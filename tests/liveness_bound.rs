//! The post-heal election bound follows the trial's timing: a correct Raft
//! whose election takes longer than the configured 2 s because its
//! timeouts are twice the paper's is not a liveness failure. The fixture
//! is tikv/raft-rs 0.7 with check-quorum on and pre-vote off, which takes
//! 2,095 ms after the heal (see testdata/raftstorm/README.md).

use raftstorm::artifact::read_trial_file;
use raftstorm::trial::{TrialResult, TrialSpec};
use std::path::Path;

const NS_PER_MS: u64 = 1_000_000;

fn slow_election_trial() -> TrialSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/raftstorm/raft-rs-slow-election.trial.json");
    read_trial_file(&path).expect("the fixture reads").trial
}

/// The bound is the configured one or ET + 6 × (ET + 4L), whichever is
/// longer (L = 5 ms, the default longest one-way delay).
#[test]
fn the_election_bound_is_the_longer_of_the_configured_and_the_derived() {
    // (election timeout min, max ms; configured bound ms; bound ms)
    let cases = [
        (150, 300, 2_000, 2_220),
        (200, 400, 2_000, 2_920),
        (300, 600, 2_000, 4_320),
        (150, 300, 5_000, 5_000),
        (300, 600, 0, 4_320),
    ];
    for (min_ms, max_ms, configured_ms, bound_ms) in cases {
        let mut spec = slow_election_trial();
        let cluster = &mut spec.config.world.cluster;
        cluster.election_timeout_min_ms = min_ms;
        cluster.election_timeout_max_ms = max_ms;
        spec.config.checker.election_bound_ms = configured_ms;
        let params = spec.liveness_params();
        assert_eq!(
            params.election_bound_ns,
            bound_ms * NS_PER_MS,
            "timeouts {min_ms}-{max_ms} ms, configured {configured_ms} ms"
        );
    }
}

#[test]
fn a_slow_but_correct_election_after_the_heal_passes_liveness() {
    let spec = slow_election_trial();
    assert_eq!(spec.config.world.cluster.election_timeout_max_ms, 600);
    let heal_ns = spec.liveness_params().heal_time_ns;
    let result = TrialResult::of(spec);
    let liveness = &result.verdict.liveness;
    let leader = liveness.leader_after_heal.expect("a leader after the heal");
    assert!(
        leader.time_ns > heal_ns + 2_000 * NS_PER_MS,
        "the election must outlast the old fixed 2 s bound to test the rule: {leader}"
    );
    assert!(
        result.verdict.failed_checks.is_empty(),
        "{:?}",
        result.verdict.failed_checks
    );
}
