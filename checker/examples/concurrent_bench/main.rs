//! Times the linearizability checker on highly concurrent single-key
//! histories, with order inference and with the search alone.
//!
//! ```text
//! cargo run --release -p checker --example concurrent_bench -- \
//!     [--clients 10,20,40,100] [--ops 1000,10000,100000] [--budget-ms 2000] [--no-search] [--cas]
//! ```
//!
//! Every row is one generated kv history (see `generate.rs`: get, put and
//! append on one key, unique values, seeded), valid or with one planted
//! anomaly, without and with timed-out operations (`--cas`: and 10% of
//! calls compare-and-sets, some rejected, as raftstorm's workloads do). Each history is checked
//! in a fresh process, so that the peak resident memory (`VmHWM` in
//! `/proc/self/status`) is that one check's: `hist MiB` is the peak after
//! generating the history, `peak MiB` after checking it. The search alone
//! runs under `--budget-ms` (and the default 512 MiB memo), so it ends:
//! `unknown` is its verdict when it runs out. Exits with 1 when a verdict
//! is not the expected one (valid, or invalid with an anomaly), or the
//! inference column is not decided.

mod generate;

use checker::linearizability::{check_operations, Budget, ModelKind, ModelSpec, Options};
use checker::Validity;
use generate::{Anomaly, Shape};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

struct Args {
    clients: Vec<usize>,
    ops: Vec<usize>,
    budget_ms: u64,
    search: bool,
    cas: bool,
}

fn list(text: &str) -> Result<Vec<usize>, String> {
    text.split(',')
        .map(|n| n.trim().parse().map_err(|_| format!("not a number: `{n}`")))
        .collect()
}

fn parse_args(words: &[String]) -> Result<Args, String> {
    let mut args = Args {
        clients: vec![10, 20, 40, 100],
        ops: vec![1_000, 10_000, 100_000],
        budget_ms: 2_000,
        search: true,
        cas: false,
    };
    let mut words = words.iter();
    while let Some(flag) = words.next() {
        let mut value = || words.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--clients" => args.clients = list(value()?)?,
            "--ops" => args.ops = list(value()?)?,
            "--budget-ms" => args.budget_ms = list(value()?)?[0] as u64,
            "--no-search" => args.search = false,
            "--cas" => args.cas = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// One check, as a child process reports it.
struct Measure {
    verdict: String,
    ms: f64,
    hist_mib: f64,
    peak_mib: f64,
}

/// The peak resident memory so far, in MiB.
fn vm_hwm_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

/// The child: generate one history, check it, print the measures.
fn child(words: &[String]) -> Result<(), String> {
    let [clients, ops, info, anomaly, infer, budget_ms] = words else {
        return Err("--one needs six values".to_string());
    };
    let shape = Shape {
        clients: clients.parse().map_err(|_| "clients")?,
        ops: ops.parse().map_err(|_| "ops")?,
        info: info.starts_with("info"),
        cas: info.ends_with("+cas"),
        seed: 14,
    };
    let mut calls = generate::simulate(shape);
    if let Some(anomaly) = Anomaly::parse(anomaly) {
        if !generate::plant(&mut calls, anomaly, shape.seed) {
            println!("not-planted 0 0 0");
            return Ok(());
        }
    }
    let history = generate::history(&calls);
    drop(calls);
    let operations = history.operations().map_err(|e| e.to_string())?;
    let budget = Budget {
        max_time: Some(Duration::from_millis(
            budget_ms.parse().map_err(|_| "budget")?,
        )),
        ..Budget::default()
    };
    let options = Options::new(ModelSpec::new(ModelKind::Kv))
        .with_budget(budget)
        .with_order_inference(infer == "infer");
    let hist_mib = vm_hwm_mib();
    let started = Instant::now();
    let report = check_operations(&operations, &options).map_err(|e| e.to_string())?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let peak_mib = vm_hwm_mib();
    if std::env::var_os("CONCURRENT_BENCH_SHOW").is_some() {
        eprintln!("{report}");
    }
    println!("{} {ms:.1} {hist_mib:.1} {peak_mib:.1}", report.validity);
    Ok(())
}

/// Runs one check in a fresh process.
fn measure(row: &[String]) -> Result<Measure, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = Command::new(exe)
        .arg("--one")
        .args(row)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [verdict, ms, hist, peak] = fields.as_slice() else {
        return Err(format!(
            "child failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        ));
    };
    let number = |text: &str| text.parse::<f64>().unwrap_or(f64::NAN);
    Ok(Measure {
        verdict: verdict.to_string(),
        ms: number(ms),
        hist_mib: number(hist),
        peak_mib: number(peak),
    })
}

/// Prints the table; true when every inferred verdict was the expected one.
fn bench(args: &Args) -> Result<bool, String> {
    println!(
        "| clients | ops | info | history | verdict | ms | hist MiB | peak MiB | search alone ({} ms budget) | search ms | search peak MiB |",
        args.budget_ms
    );
    println!("|---:|---:|---|---|---|---:|---:|---:|---|---:|---:|");
    let mut as_expected = true;
    let mut turns = [0usize; 2];
    for &ops in &args.ops {
        for &clients in &args.clients {
            let variants = match args.cas {
                true => ["no-info+cas", "info+cas"],
                false => ["no-info", "info"],
            };
            for info in variants {
                let row = |history: &str, mode: &str| {
                    let budget = args.budget_ms.to_string();
                    [clients, ops]
                        .map(|n| n.to_string())
                        .into_iter()
                        .chain([info, history, mode].map(str::to_string))
                        .chain([budget])
                        .collect::<Vec<String>>()
                };
                let valid = measure(&row("valid", "infer"))?;
                // The next anomaly in turn that this history has room for
                // (only histories with timeouts can have an info write
                // observed early, so they take turns of their own).
                let (turn, anomalies) = match info.starts_with("info") {
                    true => (&mut turns[1], &Anomaly::ALL[..]),
                    false => (&mut turns[0], &Anomaly::ALL[..4]),
                };
                let mut planted = None;
                for _ in 0..anomalies.len() {
                    let anomaly = anomalies[(*turn + anomalies.len() - 1) % anomalies.len()].name();
                    *turn += 1;
                    let measured = measure(&row(anomaly, "infer"))?;
                    if measured.verdict != "not-planted" {
                        planted = Some((anomaly, measured));
                        break;
                    }
                }
                let rows = std::iter::once(("valid", valid)).chain(planted);
                for (history, inferred) in rows {
                    let expected = match history {
                        "valid" => Validity::Valid,
                        _ => Validity::Invalid,
                    };
                    as_expected &= inferred.verdict == expected.to_string();
                    let search = match args.search {
                        true => Some(measure(&row(history, "search"))?),
                        false => None,
                    };
                    print_row(clients, ops, info, history, &inferred, search.as_ref());
                }
            }
        }
    }
    Ok(as_expected)
}

fn print_row(
    clients: usize,
    ops: usize,
    info: &str,
    history: &str,
    m: &Measure,
    s: Option<&Measure>,
) {
    let search = s.map_or("| - | - | - |".to_string(), |s| {
        format!("| {} | {:.1} | {:.1} |", s.verdict, s.ms, s.peak_mib)
    });
    println!(
        "| {clients} | {ops} | {} | {history} | {} | {:.1} | {:.1} | {:.1} {search}",
        match info {
            "info" => "5%",
            "info+cas" => "5%, 10% cas",
            "no-info+cas" => "none, 10% cas",
            _ => "none",
        },
        m.verdict,
        m.ms,
        m.hist_mib,
        m.peak_mib
    );
}

fn main() -> ExitCode {
    let words: Vec<String> = std::env::args().skip(1).collect();
    if words.first().map(String::as_str) == Some("--one") {
        return match child(&words[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("concurrent_bench: {message}");
                ExitCode::from(2)
            }
        };
    }
    match parse_args(&words).and_then(|args| bench(&args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("concurrent_bench: {message}");
            ExitCode::from(2)
        }
    }
}
