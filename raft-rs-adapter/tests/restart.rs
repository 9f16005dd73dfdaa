//! A crashed node reboots from exactly what its disk holds.

mod common;

use common::{seed, TrialSetup};
use nemesis::Fault;
use raft::eraftpb::Entry;
use raft_rs_adapter::codec::decode_command;
use raft_rs_adapter::{RaftRsNode, RaftRsOptions};
use replica::{KvStore, ReadMode, Replica};

/// The store a node rebuilds by applying the committed prefix of `log`.
fn replay(log: &[Entry], commit: u64) -> KvStore {
    let mut store = KvStore::default();
    for entry in log
        .iter()
        .filter(|entry| entry.index <= commit && !entry.data.is_empty())
    {
        store.apply(&decode_command(&entry.data).unwrap(), true);
    }
    store
}

#[test]
fn a_restarted_node_rebuilds_from_exactly_what_was_persisted() {
    let setup = TrialSetup {
        read_mode: ReadMode::ReadIndex,
        options: RaftRsOptions::default(),
    };
    for (crash_at_ms, node) in [(2_000, 0), (3_100, 3), (4_500, 1)] {
        let mut world = setup.world(seed(0));
        // A quiet schedule would be simpler, but faults make logs diverge.
        world.run_until(crash_at_ms);
        world.inject(&Fault::Crash { node });
        let hard_state = world.disk(node).hard_state();
        let log = world.disk(node).entries();
        assert!(
            hard_state.commit > 0 && !log.is_empty(),
            "the cluster did some work"
        );
        world.run_until(crash_at_ms + 300);
        assert_eq!(
            world.disk(node).entries(),
            log,
            "a crashed node's disk stays put"
        );
        world.inject(&Fault::Restart { node });
        let restarted: &RaftRsNode = world.node(node).expect("restarted");
        let status = restarted.status();
        assert_eq!(status.term, hard_state.term);
        assert_eq!(
            status.voted_for,
            raft_rs_adapter::ids::node_id(hard_state.vote)
        );
        assert_eq!(status.last_log_index, log.last().unwrap().index);
        let raft = &restarted.raw_node().raft;
        assert_eq!(raft.raft_log.committed, hard_state.commit);
        assert_eq!(
            restarted.applied_index(),
            hard_state.commit,
            "re-applied the committed prefix"
        );
        assert_eq!(restarted.store(), &replay(&log, hard_state.commit));
    }
}
