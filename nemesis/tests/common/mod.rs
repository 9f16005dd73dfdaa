//! A small seeded key-value workload for world tests.

#![allow(dead_code)]

use nemesis::seeds::{stream, Concern};
use nemesis::*;
use raft_core::{BugSet, KvOp, Node};
use rand::Rng;
use rand_pcg::Pcg32;

/// Gets, puts and appends on three keys, with unique values.
pub struct RandomKv {
    rng: Pcg32,
    issued: u64,
}

impl RandomKv {
    pub fn new(seed: u64) -> RandomKv {
        RandomKv {
            rng: stream(seed, Concern::Workload),
            issued: 0,
        }
    }
}

impl Workload for RandomKv {
    fn next_op(&mut self, process: u64) -> Option<KvOp> {
        self.issued += 1;
        let key = format!("k{}", self.rng.gen_range(0..3));
        let value = format!("{process}.{};", self.issued);
        Some(match self.rng.gen_range(0..3) {
            0 => KvOp::Get { key },
            1 => KvOp::Put { key, value },
            _ => KvOp::Append { key, value },
        })
    }
}

/// A schedule of exactly these faults, healed at the default heal time.
pub fn schedule_of(faults: &[(u64, Fault)]) -> FaultSchedule {
    let window = Timeline::default().faults;
    let mut schedule = FaultSchedule::quiet(window);
    schedule.faults = faults
        .iter()
        .map(|(at_ms, fault)| ScheduledFault {
            at_ms: *at_ms,
            fault: fault.clone(),
        })
        .chain(schedule.faults)
        .collect();
    schedule.faults.sort_by_key(|f| f.at_ms);
    schedule
}

/// A five-node world with clients, running the given faults.
pub fn world_with(faults: &[(u64, Fault)], seed: u64) -> World<RandomKv, Node> {
    World::new(
        WorldConfig::default(),
        BugSet::NONE,
        schedule_of(faults),
        RandomKv::new(seed),
        seed,
    )
}

/// A five-node world without clients.
pub fn quiet_world(faults: &[(u64, Fault)], seed: u64) -> World<NoClients, Node> {
    World::new(
        WorldConfig::default(),
        BugSet::NONE,
        schedule_of(faults),
        NoClients,
        seed,
    )
}

/// The live nodes that believe they lead, with their terms.
pub fn leaders<W: Workload>(world: &World<W, Node>) -> Vec<(u32, u64)> {
    (0..world.config().cluster.cluster_size)
        .filter_map(|id| {
            let node = world.node(id)?;
            (node.role() == raft_core::Role::Leader).then(|| (id, node.current_term()))
        })
        .collect()
}
