//! A seed determines a trial byte for byte — twice in a row, on several
//! threads at once, and whatever each thread's `rand::thread_rng` (from
//! which raft-rs draws its election timeouts) did before.

mod common;

use common::{seed, TrialSetup};
use raft_rs_adapter::RaftRsOptions;
use rand::Rng;
use replica::ReadMode;

/// History and trace of a trial, as JSON bytes.
fn trial_bytes(setup: TrialSetup, seed: u64) -> Vec<u8> {
    let output = setup.run(seed);
    let mut bytes = serde_json::to_vec(&output.history).unwrap();
    bytes.extend(serde_json::to_vec(&output.trace).unwrap());
    bytes
}

fn setups() -> [TrialSetup; 2] {
    [
        TrialSetup {
            read_mode: ReadMode::ReadIndex,
            options: RaftRsOptions::default(),
        },
        TrialSetup {
            read_mode: ReadMode::Lease,
            options: RaftRsOptions {
                pre_vote: true,
                check_quorum: true,
                ..RaftRsOptions::default()
            },
        },
    ]
}

#[test]
fn the_same_seed_gives_identical_bytes_twice() {
    for setup in setups() {
        for index in 0..3 {
            let seed = seed(index);
            assert_eq!(
                trial_bytes(setup, seed),
                trial_bytes(setup, seed),
                "{setup:?} seed {seed}"
            );
        }
    }
}

#[test]
fn threads_with_differently_used_thread_rngs_agree() {
    for setup in setups() {
        let seed = seed(7);
        let reference = trial_bytes(setup, seed);
        let runs: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4u32)
                .map(|thread| {
                    scope.spawn(move || {
                        let mut rng = rand::thread_rng();
                        let burned: u64 =
                            (0..thread * 1_000 + 17).map(|_| rng.gen::<u64>() & 1).sum();
                        assert!(burned <= u64::from(thread) * 1_000 + 17);
                        trial_bytes(setup, seed)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (thread, run) in runs.iter().enumerate() {
            assert!(
                run == &reference,
                "{setup:?}: thread {thread} diverged from the reference run"
            );
        }
    }
}

#[test]
fn different_seeds_give_different_trials() {
    let setup = setups()[0];
    assert_ne!(trial_bytes(setup, seed(1)), trial_bytes(setup, seed(2)));
}
