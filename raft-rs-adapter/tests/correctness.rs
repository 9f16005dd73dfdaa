//! A correct raft-rs cluster passes every check under every fault kind,
//! in each read mode.

mod common;

use common::{seed, TrialSetup};
use nemesis::{Fault, FaultKind};
use raft_rs_adapter::RaftRsOptions;
use replica::ReadMode;

const SEEDS: u64 = 100;

/// Runs `SEEDS` trials; returns the failing ones with their checks.
fn failures(setup: TrialSetup) -> Vec<(u64, Vec<String>, bool)> {
    (0..SEEDS)
        .filter_map(|index| {
            let seed = seed(index);
            let output = setup.run(seed);
            let failed = setup.failed_checks(&output);
            // Clock hazards: a skewed timer, or a process frozen past its
            // lease (a paused leader wakes believing little time passed).
            let kinds = setup.schedule(seed).kinds;
            let skewed = [FaultKind::Skew, FaultKind::Pause, FaultKind::PauseLeader]
                .into_iter()
                .any(|kind| kinds.contains(kind));
            (!failed.is_empty()).then_some((seed, failed, skewed))
        })
        .collect()
}

#[test]
fn read_index_reads_pass_every_check() {
    let setup = TrialSetup {
        read_mode: ReadMode::ReadIndex,
        options: RaftRsOptions::default(),
    };
    assert_eq!(failures(setup), []);
}

#[test]
fn read_index_reads_with_pre_vote_and_check_quorum_pass_every_check() {
    let setup = TrialSetup {
        read_mode: ReadMode::ReadIndex,
        options: RaftRsOptions {
            pre_vote: true,
            check_quorum: true,
            ..RaftRsOptions::default()
        },
    };
    assert_eq!(failures(setup), []);
}

#[test]
fn log_reads_pass_every_check() {
    let setup = TrialSetup {
        read_mode: ReadMode::Log,
        options: RaftRsOptions {
            pre_vote: true,
            ..RaftRsOptions::default()
        },
    };
    assert_eq!(failures(setup), []);
}

/// Lease reads trust clocks: under the `skew` fault, or a pause that
/// freezes a leader past its lease, a leader's lease can outlive its
/// leadership, so a stale read is raft-rs working as designed
/// (its docs: LeaseBased "is not safe" when clocks drift). Safety of the
/// log and liveness must hold regardless; a linearizability failure is
/// allowed only in a trial whose faults include skew or a pause, and is
/// printed.
#[test]
fn lease_reads_keep_the_log_safe_and_are_stale_only_under_skew() {
    let setup = TrialSetup {
        read_mode: ReadMode::Lease,
        options: RaftRsOptions {
            pre_vote: true,
            check_quorum: true,
            ..RaftRsOptions::default()
        },
    };
    for (seed, failed, skewed) in failures(setup) {
        eprintln!("lease: seed {seed} failed {failed:?} (schedule has skew or a pause: {skewed})");
        let only_stale_reads = failed
            .iter()
            .all(|check| check.starts_with("linearizability"));
        assert!(only_stale_reads && skewed, "seed {seed}: {failed:?}");
    }
    let _ = Fault::HealAll; // the fault vocabulary the schedules draw from
}
