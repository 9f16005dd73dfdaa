//! `raftstorm bench`: the figures that matter, measured and printed.
//!
//! Performance targets live here, never in timed tests: a benchmark
//! prints medians and ratios that a human (or a nightly job) compares with
//! the targets, and it cannot flake a build.

use crate::campaign::{run_campaign, CampaignConfig, Silent};
use crate::cli::BenchArgs;
use crate::report::Shard;
use crate::system::SystemConfig;
use crate::trial::{TrialConfig, TrialSpec};
use crate::workload::KvWorkload;
use checker::invariants::Invariant;
use nemesis::seeds::{stream, trial_seed, Concern};
use nemesis::World;
use std::time::Instant;

/// Every check kind a trial runs, by its stable name: the safety
/// invariants, then linearizability, liveness and availability.
pub fn check_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Invariant::ALL.iter().map(|i| i.name()).collect();
    names.extend([
        "linearizability",
        "liveness",
        crate::trial::AVAILABILITY_CHECK,
    ]);
    names
}

/// The median of some measurements.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// What one single-threaded simulation run measured.
struct WorldRun {
    events: u64,
    simulated_ns: u64,
    wall_ns: u64,
}

/// Runs `trials` default trials' worlds (no checking) on this thread.
fn measure_world(config: TrialConfig, trials: u64, campaign_seed: u64) -> WorldRun {
    let mut run = WorldRun {
        events: 0,
        simulated_ns: 0,
        wall_ns: 0,
    };
    for index in 0..trials {
        let spec = TrialSpec::generate(config, trial_seed(campaign_seed, index));
        let workload = KvWorkload::new(config.workload, stream(spec.seed, Concern::Workload));
        let SystemConfig::RaftCore { bugs } = config.system else {
            unreachable!("the bench runs raft-core");
        };
        let world = World::<_, raft_core::Node>::new(
            config.world,
            bugs,
            spec.schedule,
            workload,
            spec.seed,
        );
        let started = Instant::now();
        let output = world.run();
        run.wall_ns += started.elapsed().as_nanos() as u64;
        run.events += output.stats.events;
        run.simulated_ns += output.stats.simulated_ns;
    }
    run
}

/// Average wall time, in microseconds, to check one default trial
/// (safety, linearizability, liveness) on this thread; the simulations
/// that feed it are not timed. Kept apart from [`measure_world`] so that
/// neither pollutes the other's caches.
fn measure_check_us(config: TrialConfig, trials: u64, campaign_seed: u64) -> f64 {
    let mut check_ns = 0u64;
    for index in 0..trials {
        let spec = TrialSpec::generate(config, trial_seed(campaign_seed, index));
        let output = spec.run();
        let started = Instant::now();
        std::hint::black_box(spec.check(&output));
        check_ns += started.elapsed().as_nanos() as u64;
    }
    check_ns as f64 / 1e3 / trials as f64
}

/// Resident memory of this process now and at its peak, in KiB (Linux;
/// `None` elsewhere).
fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn campaign_trials_per_sec(
    config: TrialConfig,
    trials: u64,
    threads: usize,
    seed: u64,
) -> Result<(f64, f64, f64), String> {
    let out_dir = std::env::temp_dir().join(format!("raftstorm-bench-{}", std::process::id()));
    let campaign = CampaignConfig {
        seed,
        trials: Some(trials),
        time_limit: None,
        threads,
        shard: Shard::WHOLE,
        trial: config,
        out_dir: out_dir.clone(),
        max_failures: crate::campaign::DEFAULT_MAX_FAILURES,
    };
    let report = run_campaign(&campaign, &crate::system::BuiltIn, &mut Silent)
        .map_err(|err| err.to_string())?;
    let _ = std::fs::remove_dir_all(&out_dir);
    if report.totals.invalid > 0 {
        return Err(format!(
            "the correct Raft failed {} benchmark trials; run `raftstorm campaign --seed {seed}` to see them",
            report.totals.invalid
        ));
    }
    Ok((
        report.trials_per_sec,
        report.events_per_sec,
        report.simulated_seconds_per_sec,
    ))
}

/// Runs every benchmark and prints its figures. False when a checker
/// verdict on the conformance corpus was not the expected one.
pub fn run(args: &BenchArgs, threads: usize) -> Result<bool, String> {
    let config = TrialConfig {
        world: nemesis::WorldConfig::default(),
        ..TrialConfig::default()
    };
    sayln!("raftstorm bench — default trials: 5 nodes, 5 clients, swarm nemesis over all faults, 10 simulated seconds");

    // 1. The simulation alone, one core.
    let world_trials = (args.trials / 10).clamp(20, 500);
    let mut events_per_sec = Vec::new();
    let mut realtime = Vec::new();
    let mut simulate_us = Vec::new();
    let mut check_us = Vec::new();
    let mut events_per_trial = 0;
    for repeat in 0..args.repeat {
        let run = measure_world(config, world_trials, 1_000 + repeat);
        let wall_sec = run.wall_ns as f64 / 1e9;
        events_per_sec.push(run.events as f64 / wall_sec);
        realtime.push(run.simulated_ns as f64 / 1e9 / wall_sec);
        simulate_us.push(run.wall_ns as f64 / 1e3 / world_trials as f64);
        check_us.push(measure_check_us(config, world_trials, 1_000 + repeat));
        events_per_trial = run.events / world_trials;
    }
    sayln!(
        "world, 1 thread ({world_trials} trials x {}): median {:.2}M events/s, {:.0}x real time (simulated s per wall s), {events_per_trial} events per trial",
        args.repeat,
        median(events_per_sec) / 1e6,
        median(realtime)
    );

    sayln!(
        "one trial on 1 thread: median {:.0} us simulating, {:.0} us checking (safety, linearizability, liveness)",
        median(simulate_us),
        median(check_us)
    );
    // 2. Whole trials (simulate + check), every thread.
    let mut trials_per_sec = Vec::new();
    let mut campaign_events = Vec::new();
    for repeat in 0..args.repeat {
        let (trials, events, _) =
            campaign_trials_per_sec(config, args.trials, threads, 7 + repeat)?;
        trials_per_sec.push(trials);
        campaign_events.push(events);
    }
    sayln!(
        "campaign, {threads} threads ({} trials x {}): median {:.0} trials/s, {:.2}M events/s",
        args.trials,
        args.repeat,
        median(trials_per_sec),
        median(campaign_events) / 1e6
    );

    // 3. Memory stays flat: passing trials leave nothing behind.
    if let Some((before, _)) = memory_kib() {
        campaign_trials_per_sec(config, args.trials * 4, threads, 99)?;
        if let Some((after, peak)) = memory_kib() {
            sayln!(
                "memory: {:.1} MiB resident after {} trials, {:.1} MiB after {} more (peak {:.1} MiB)",
                before as f64 / 1024.0,
                args.trials * args.repeat,
                after as f64 / 1024.0,
                args.trials * 4,
                peak as f64 / 1024.0
            );
        }
    }

    // 4. The checker on the Porcupine conformance corpus.
    if !args.no_checker {
        return checker_bench(args);
    }
    Ok(true)
}

/// Times the linearizability checker on every file of the Porcupine
/// conformance corpus (parsing excluded, median of `--checker-runs` checks
/// per file, two threads as Porcupine's figures were taken) and prints the
/// table with ratios against the baseline: `--baseline FILE.tsv` when
/// given, Porcupine's published figures otherwise.
fn checker_bench(args: &BenchArgs) -> Result<bool, String> {
    let baseline =
        checker::bench::Baseline::load(args.baseline.as_deref()).map_err(|err| err.to_string())?;
    let dir = args
        .corpus
        .clone()
        .unwrap_or_else(checker::bench::default_corpus_dir);
    sayln!(
        "checker on the conformance corpus ({}), median of {} runs per file, {CHECKER_THREADS} threads:",
        dir.display(),
        args.checker_runs
    );
    let (timings, table) =
        checker::bench::run(&dir, args.checker_runs as usize, CHECKER_THREADS, &baseline)
            .map_err(|err| err.to_string())?;
    say!("{table}");
    let as_expected = checker::bench::all_as_expected(&timings);
    if !as_expected {
        eprintln!(
            "raftstorm bench: a conformance verdict differs from the manifest's (see the table)"
        );
    }
    Ok(as_expected)
}

/// Porcupine's published corpus figures were measured with two threads.
const CHECKER_THREADS: usize = 2;
