//! Trials per second of the default raft-rs trial: 5 nodes, 5 clients,
//! 10 simulated seconds, every fault kind (swarm), ReadIndex reads —
//! simulated only, on one thread. Run with
//! `cargo run --release -p raft-rs-adapter --example throughput [trials]`.

use nemesis::seeds::{stream, trial_seed, Concern};
use nemesis::{FaultSchedule, NemesisConfig, Workload, World, WorldConfig};
use raft_rs_adapter::{RaftRsNode, RaftRsOptions};
use rand::Rng;
use rand_pcg::Pcg32;
use replica::KvOp;
use std::time::Instant;

/// Gets, puts and appends on three keys.
struct RandomKv(Pcg32, u64);

impl Workload for RandomKv {
    fn next_op(&mut self, process: u64) -> Option<KvOp> {
        self.1 += 1;
        let key = format!("k{}", self.0.gen_range(0..3));
        let value = format!("{process}.{};", self.1);
        Some(match self.0.gen_range(0..3) {
            0 => KvOp::Get { key },
            1 => KvOp::Put { key, value },
            _ => KvOp::Append { key, value },
        })
    }
}

fn main() {
    let trials: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let config = WorldConfig::default();
    let started = Instant::now();
    let mut events = 0;
    for index in 0..trials {
        let seed = trial_seed(1, index);
        let schedule = FaultSchedule::generate(
            &NemesisConfig::default(),
            config.cluster.cluster_size,
            config.timeline.faults,
            &mut stream(seed, Concern::Schedule),
        );
        let workload = RandomKv(stream(seed, Concern::Workload), 0);
        let world: World<_, RaftRsNode> =
            World::new(config, RaftRsOptions::default(), schedule, workload, seed);
        events += world.run().stats.events;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{trials} trials in {secs:.2} s: {:.1} trials/s, {:.0} events/s",
        trials as f64 / secs,
        events as f64 / secs
    );
}
