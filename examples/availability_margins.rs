//! How close correct systems come to the availability bounds.
//!
//! `cargo run --release --example availability_margins -- raft-core 20000 [seed]`
//! runs that many default campaign trials (every fault kind, swarm) and
//! prints the availability failures and, over every trial, the slowest
//! election in a clean majority, the slowest commit (in thousandths of
//! its bound) and the slowest quiet-period operation, each against its
//! bound. The README's false-alarm figures come from here.

use nemesis::seeds::trial_seed;
use raftstorm::cli::TrialArgs;
use raftstorm::trial::{TrialResult, TrialSpec};
use std::sync::atomic::{AtomicU64, Ordering};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let system = args.first().map_or("raft-core", String::as_str).to_string();
    let trials: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let seed: u64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1);
    use clap::Parser;
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        trial: TrialArgs,
    }
    let flags = Flags::parse_from(["margins", "--system", &system]);
    let config = flags.trial.config().expect("a valid default configuration");
    let next = AtomicU64::new(0);
    let maxima: [AtomicU64; 5] = Default::default();
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= trials {
                    return;
                }
                let spec = TrialSpec::generate(config, trial_seed(seed, index));
                let result = TrialResult::of(spec);
                let Some(report) = result.verdict.availability.as_ref() else {
                    continue;
                };
                let m = report.measured;
                let values = [
                    m.slowest_election_ns,
                    m.slowest_commit_permille,
                    m.slowest_quiet_op_ns,
                    u64::from(m.spans_judged),
                    m.quiet_ops,
                ];
                for (slot, (max, value)) in maxima.iter().zip(values).enumerate() {
                    if slot < 3 {
                        max.fetch_max(value, Ordering::Relaxed);
                    } else {
                        max.fetch_add(value, Ordering::Relaxed);
                    }
                }
                if !report.problems.is_empty() {
                    let reason = raftstorm::explain::one_line_reason(&result.verdict);
                    failures.lock().unwrap().push((result.spec.seed, reason));
                }
            });
        }
    });
    let params = TrialSpec::generate(config, 0).availability_params();
    let max = |i: usize| maxima[i].load(Ordering::Relaxed);
    println!("{system}: {trials} trials from campaign seed {seed}");
    println!(
        "slowest election in a clean majority: {:.1} ms (bound {:.1} ms)",
        max(0) as f64 / 1e6,
        params.bounds.election_ns as f64 / 1e6
    );
    println!("slowest commit: {} permille of its bound", max(1));
    println!(
        "slowest quiet-period op: {:.1} ms (bound {:.1} ms)",
        max(2) as f64 / 1e6,
        params.bounds.quiet_op_ns as f64 / 1e6
    );
    println!(
        "judged: {} clean majorities, {} quiet-period operations",
        max(3),
        max(4)
    );
    let failures = failures.into_inner().unwrap();
    println!("availability failures: {}", failures.len());
    for (seed, reason) in failures.iter().take(20) {
        println!("  seed {seed}: {}", reason.as_deref().unwrap_or("?"));
    }
}
