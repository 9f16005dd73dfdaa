//! Simulation speed on one core: simulated events per second and simulated
//! seconds per wall-clock second, for a 5-node cluster with 5 clients under
//! the full swarm nemesis (no checking; `raftstorm bench` measures whole
//! trials).
//!
//! `cargo run --release -p nemesis --example world_bench [trials] [repeats]`

#[path = "../tests/common/mod.rs"]
mod common;

use nemesis::seeds::{stream, trial_seed, Concern};
use nemesis::{FaultSchedule, NemesisConfig, World, WorldConfig};
use std::time::Instant;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("numbers"));
    let trials = args.next().unwrap_or(300);
    let repeats = args.next().unwrap_or(5);
    let config = WorldConfig::default();
    let mut rates = Vec::new();
    let mut speedups = Vec::new();
    let mut events_per_trial = 0;
    for repeat in 0..repeats {
        let (mut events, mut simulated_ns, mut wall_ns) = (0u64, 0u64, 0u64);
        for index in 0..trials {
            let seed = trial_seed(repeat, index);
            let schedule = FaultSchedule::generate(
                &NemesisConfig::default(),
                config.cluster.cluster_size,
                config.timeline.faults,
                &mut stream(seed, Concern::Schedule),
            );
            let world = World::<_, raft_core::Node>::new(
                config,
                raft_core::BugSet::NONE,
                schedule,
                common::RandomKv::new(seed),
                seed,
            );
            let started = Instant::now();
            let output = world.run();
            wall_ns += started.elapsed().as_nanos() as u64;
            events += output.stats.events;
            simulated_ns += output.stats.simulated_ns;
        }
        rates.push(events as f64 / (wall_ns as f64 / 1e9));
        speedups.push(simulated_ns as f64 / wall_ns as f64);
        events_per_trial = events / trials;
    }
    rates.sort_by(f64::total_cmp);
    speedups.sort_by(f64::total_cmp);
    let median = |v: &[f64]| v[v.len() / 2];
    println!(
        "5 nodes, 5 clients, swarm nemesis, {trials} trials x {repeats}: median {:.2}M events/s, {:.0}x real time, {events_per_trial} events per trial",
        median(&rates) / 1e6,
        median(&speedups)
    );
}
