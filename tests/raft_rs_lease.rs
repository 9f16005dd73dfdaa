//! tikv/raft-rs's lease reads serve a stale value after a partition, with
//! no clock skew at all: the shrunk trial in testdata keeps reproducing it
//! (see testdata/raftstorm/README.md for why). Read-index reads on the same
//! trial are linearizable.

use raftstorm::artifact::read_trial_file;
use raftstorm::trial::TrialResult;
use replica::ReadMode;
use std::path::Path;

fn shrunk_trial() -> raftstorm::trial::TrialSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/raftstorm/raft-rs-lease-stale-read.trial.json");
    read_trial_file(&path).expect("the fixture reads").trial
}

#[test]
fn raft_rs_lease_reads_go_stale_after_a_short_partition_without_clock_skew() {
    let spec = shrunk_trial();
    assert_eq!(spec.config.world.cluster.read_mode, ReadMode::Lease);
    let no_skew = spec.schedule.faults.iter().all(|f| {
        !matches!(
            f.fault,
            nemesis::Fault::Skew { .. } | nemesis::Fault::Pause { .. }
        )
    });
    assert!(no_skew, "the trial has no clock skew and no pause");
    let result = TrialResult::of(spec.clone());
    let failed: Vec<&str> = result
        .verdict
        .failed_checks
        .iter()
        .map(|c| c.check.as_str())
        .collect();
    assert_eq!(failed, ["linearizability"], "only the lease read is wrong");

    let mut read_index = spec;
    read_index.config.world.cluster.read_mode = ReadMode::ReadIndex;
    let result = TrialResult::of(read_index);
    assert!(
        result.verdict.failed_checks.is_empty(),
        "{:?}",
        result.verdict.failed_checks
    );
}
