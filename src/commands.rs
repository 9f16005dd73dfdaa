//! What each subcommand does, between parsed flags and an exit code.
//!
//! Exit codes are the CI gate: 0 nothing invalid, 1 at least one
//! violation, 3 nothing invalid but some verdict unknown, 2 a usage or
//! input error.

use crate::artifact::{self, fnv64, read_trial_file, ArtifactFiles, InputError};
use crate::bench;
use crate::campaign::{run_campaign, CampaignConfig};
use crate::cli::{
    default_threads, BenchArgs, CampaignArgs, CheckArgs, ExploreArgs, FormatChoice, MergeArgs,
    ReplayArgs,
};
use crate::explain;
use crate::progress::Progress;
use crate::report::{exit_code, CampaignReport, Shard};
use crate::trial::{TrialResult, TrialSpec};
use checker::linearizability::{self, Budget, ModelKind, ModelSpec, Options};
use checker::Validity;
use histories::format::{self, Format};
use histories::Value;
use std::fmt::Write as _;
use std::path::Path;

/// Exit code for usage and input errors.
pub const EXIT_USAGE: i32 = 2;

/// A failure to be reported to the user with exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl From<InputError> for UsageError {
    fn from(err: InputError) -> UsageError {
        UsageError(err.0)
    }
}

type CommandResult = Result<i32, UsageError>;

// ---- campaign ----------------------------------------------------------------

/// `raftstorm campaign`.
pub fn campaign(args: CampaignArgs) -> CommandResult {
    let trial = args.trial.config().map_err(UsageError)?;
    let trials = args.trials.or(if args.time_limit.is_none() {
        Some(1_000)
    } else {
        None
    });
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let config = CampaignConfig {
        seed: args.seed,
        trials,
        time_limit: args.time_limit,
        threads: args.threads.map_or_else(default_threads, |t| t as usize),
        shard,
        trial,
        out_dir: args.out.clone(),
    };
    let mut progress = Progress::new(args.quiet, trials.map(|t| shard.trials_of(t)));
    let outcome = run_campaign(&config, &crate::system::BuiltIn, &mut progress);
    progress.finish();
    let report = outcome.map_err(|err| {
        UsageError(format!(
            "cannot write a failure artifact under {}: {err}",
            args.out.display()
        ))
    })?;
    let report_path = args.out.join("report.json");
    artifact::write_atomically(&report_path, &artifact::to_pretty_json(&report))
        .map_err(|err| UsageError(format!("{}: cannot write: {err}", report_path.display())))?;
    if let Some(junit) = &args.junit {
        artifact::write_atomically(junit, report.junit_xml(&bench::check_names()).as_bytes())
            .map_err(|err| UsageError(format!("{}: cannot write: {err}", junit.display())))?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("a report serializes")
        );
    } else if !args.quiet {
        print!("{}", campaign_summary(&report, &report_path));
    }
    Ok(report.exit_code())
}

/// The human summary printed after a campaign.
pub fn campaign_summary(report: &CampaignReport, report_path: &Path) -> String {
    let totals = &report.totals;
    let mut text = String::new();
    let shards: Vec<String> = report.shards.iter().map(Shard::to_string).collect();
    let _ = writeln!(
        text,
        "raftstorm campaign seed {} (shard {}): {} trials in {:.1}s — {:.1} trials/s, {:.2}M events/s, {:.0}x real time",
        report.campaign_seed,
        shards.join(","),
        totals.trials,
        report.elapsed_sec,
        report.trials_per_sec,
        report.events_per_sec / 1e6,
        report.simulated_seconds_per_sec
    );
    let _ = writeln!(
        text,
        "  valid {}, invalid {}, unknown {}; {} client operations",
        totals.valid, totals.invalid, totals.unknown, totals.ops
    );
    if !report.failures_per_check.is_empty() {
        let per_check: Vec<String> = report
            .failures_per_check
            .iter()
            .map(|(check, count)| format!("{check} {count}"))
            .collect();
        let _ = writeln!(text, "  failures per check: {}", per_check.join(", "));
        let _ = writeln!(text, "  failures (replay each with its command):");
        for failure in &report.failures {
            let _ = writeln!(
                text,
                "    trial {} seed {} [{}]: {}",
                failure.index,
                failure.seed,
                failure.checks.join(", "),
                failure.replay
            );
        }
    }
    let _ = writeln!(
        text,
        "verdict: {}; report: {}",
        report.validity,
        report_path.display()
    );
    text
}

// ---- replay ------------------------------------------------------------------

/// `raftstorm replay`.
pub fn replay(args: ReplayArgs) -> CommandResult {
    let (spec, campaign, artifact_dir) = match (&args.trial_json, args.seed) {
        (Some(path), _) => {
            let file = read_trial_file(path)?;
            let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (file.trial, file.campaign, Some(directory))
        }
        (None, Some(seed)) => {
            let config = args.trial.config().map_err(UsageError)?;
            (TrialSpec::generate(config, seed), None, None)
        }
        (None, None) => return Err(UsageError("replay needs a trial.json or --seed".into())),
    };
    crate::system::SystemUnderTest::validate(&crate::system::BuiltIn, &spec).map_err(UsageError)?;
    let result = TrialResult::of(spec);
    let command = match &args.trial_json {
        Some(path) => format!("raftstorm replay {}", path.display()),
        None => format!("raftstorm replay --seed {} <same flags>", result.spec.seed),
    };
    let files = ArtifactFiles::render(&result, campaign, &command);
    let mut text = String::new();
    let mut identical = true;
    if let Some(directory) = artifact_dir {
        for (name, bytes) in [
            ("history.jsonl", &files.history),
            ("trace.jsonl", &files.trace),
        ] {
            let line = compare_with_artifact(&directory.join(name), bytes);
            identical &= !line.contains("DIFFERS");
            let _ = writeln!(text, "{line}");
        }
    }
    text += &replay_text(&result);
    print!("{text}");
    if let Some(out) = &args.out {
        artifact::write_replay(out, &files)
            .map_err(|err| UsageError(format!("{}: cannot write: {err}", out.display())))?;
        println!("replay written to {}", out.display());
    }
    if !identical {
        eprintln!("raftstorm: the replay does not reproduce the artifact byte for byte; this is a determinism bug in raftstorm");
        return Ok(1);
    }
    Ok(exit_code(result.verdict.validity))
}

fn compare_with_artifact(path: &Path, replayed: &[u8]) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    match std::fs::read(path) {
        Ok(original) if original == replayed => {
            format!(
                "{name}: identical to the artifact (fnv64 {:016x}, {} bytes)",
                fnv64(replayed),
                replayed.len()
            )
        }
        Ok(original) => format!(
            "{name}: DIFFERS from the artifact (artifact fnv64 {:016x}, replay fnv64 {:016x})",
            fnv64(&original),
            fnv64(replayed)
        ),
        Err(_) => format!(
            "{name}: no artifact copy to compare (replay fnv64 {:016x})",
            fnv64(replayed)
        ),
    }
}

/// What `replay` prints: the verdict, its explanation, a compact timeline.
fn replay_text(result: &TrialResult) -> String {
    let verdict = &result.verdict;
    let mut text = String::new();
    let stats = result.stats();
    let _ = writeln!(
        text,
        "trial seed {}: {} ({} events, {} client operations, {:.1} simulated seconds)",
        result.spec.seed,
        verdict.validity,
        stats.events,
        stats.ops_invoked,
        stats.simulated_ns as f64 / 1e9
    );
    for check in &verdict.failed_checks {
        let _ = writeln!(text, "  {}: {}", check.check, check.validity);
    }
    if verdict.safety.validity != Validity::Valid {
        let _ = writeln!(text, "\n{}", verdict.safety);
    }
    if verdict.linearizability.validity != Validity::Valid {
        let _ = writeln!(text, "\n{}", verdict.linearizability);
    }
    if verdict.liveness.validity != Validity::Valid {
        let _ = writeln!(text, "\n{}", verdict.liveness);
    }
    let _ = writeln!(
        text,
        "\ntimeline (faults, elections, and the operations around the failure):\n{}",
        explain::timeline(
            &result.output.history,
            &result.output.trace,
            explain::failure_focus(result)
        )
    );
    text
}

// ---- check -------------------------------------------------------------------

/// One file's verdict, for `check --json`.
#[derive(serde::Serialize)]
struct FileVerdict {
    file: String,
    format: String,
    validity: Validity,
    ops: usize,
    check_ms: f64,
    report: linearizability::Report,
}

/// `raftstorm check`.
pub fn check(args: CheckArgs) -> CommandResult {
    let mut verdicts = Vec::new();
    let mut input_errors = 0;
    let mut combined = Validity::Valid;
    for path in &args.files {
        match check_file(&args, path) {
            Ok(verdict) => {
                combined = combined.and(verdict.validity);
                if !args.json {
                    print!("{}", file_verdict_text(&verdict));
                }
                verdicts.push(verdict);
            }
            Err(err) => {
                input_errors += 1;
                eprintln!("raftstorm: {}", err.0);
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&verdicts).expect("verdicts serialize")
        );
    }
    if input_errors > 0 {
        return Ok(EXIT_USAGE);
    }
    Ok(exit_code(combined))
}

fn check_file(args: &CheckArgs, path: &Path) -> Result<FileVerdict, UsageError> {
    let format = match args.format {
        FormatChoice::Fixed(format) => Some(format),
        FormatChoice::Auto => None,
    };
    let parsed = format::read_path(path, format).map_err(|err| UsageError(err.to_string()))?;
    let operations = parsed
        .operations()
        .map_err(|err| UsageError(err.to_string()))?;
    let detected = match format {
        Some(format) => format,
        None => {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            format::detect(&path.display().to_string(), &text)
        }
    };
    let init = args
        .init
        .clone()
        .unwrap_or_else(|| default_init(args.model, detected));
    let options = Options::new(ModelSpec::new(args.model).with_init(init))
        .with_budget(Budget {
            max_time: args.time_limit,
            ..Budget::default()
        })
        .with_threads(default_threads());
    let report = linearizability::check_operations(&operations, &options)
        .map_err(|err| UsageError(format!("{}: {err}", path.display())))?;
    Ok(FileVerdict {
        file: path.display().to_string(),
        format: detected.name().to_string(),
        validity: report.validity,
        ops: operations.len(),
        check_ms: report.stats.elapsed_ns as f64 / 1e6,
        report,
    })
}

/// The initial value a model starts from when `--init` is not given:
/// absent, except Porcupine's kv files, whose keys start as "".
fn default_init(model: ModelKind, format: Format) -> Value {
    match (model, format) {
        (ModelKind::Kv, Format::PorcupineKv) => Value::str(""),
        _ => Value::Nil,
    }
}

fn file_verdict_text(verdict: &FileVerdict) -> String {
    let word = match verdict.validity {
        Validity::Valid => "linearizable",
        Validity::Invalid => "NOT linearizable",
        Validity::Unknown => "unknown",
    };
    let mut text = format!(
        "{}: {word} ({}, {}, {} ops, {:.1} ms)\n",
        verdict.file, verdict.report.model, verdict.format, verdict.ops, verdict.check_ms
    );
    if verdict.validity != Validity::Valid {
        for line in verdict.report.to_string().lines() {
            let _ = writeln!(text, "  {line}");
        }
    }
    text
}

// ---- merge -------------------------------------------------------------------

/// `raftstorm merge`.
pub fn merge(args: MergeArgs) -> CommandResult {
    let mut reports = Vec::new();
    for path in &args.reports {
        let text = std::fs::read_to_string(path)
            .map_err(|err| UsageError(format!("{}: cannot read: {err}", path.display())))?;
        let report: CampaignReport = serde_json::from_str(&text)
            .map_err(|err| UsageError(artifact::json_error(path, &err).0))?;
        reports.push((path.display().to_string(), report));
    }
    let merged = CampaignReport::merge(reports).map_err(UsageError)?;
    let json = artifact::to_pretty_json(&merged);
    match &args.out {
        Some(out) => {
            artifact::write_atomically(out, &json)
                .map_err(|err| UsageError(format!("{}: cannot write: {err}", out.display())))?;
            print!("{}", campaign_summary(&merged, out));
        }
        None => print!("{}", String::from_utf8_lossy(&json)),
    }
    Ok(merged.exit_code())
}

// ---- bench -------------------------------------------------------------------

/// `raftstorm bench`.
pub fn bench(args: BenchArgs) -> CommandResult {
    let threads = args.threads.map_or_else(default_threads, |t| t as usize);
    let verdicts_as_expected = bench::run(&args, threads).map_err(UsageError)?;
    Ok(if verdicts_as_expected { 0 } else { 1 })
}

// ---- explore -----------------------------------------------------------------

/// `raftstorm explore`: exhausts a small scope of raft-core with stateright
/// and prints the figures, each property's fate and every counterexample.
pub fn explore(args: ExploreArgs) -> CommandResult {
    let bugs: raft_core::BugSet = args.bugs.iter().copied().collect();
    let scope = args.scope();
    let model = explore::ExploreModel::<raft_core::Node>::new(scope, bugs).map_err(UsageError)?;
    let config = args.run_config();
    let outcome = explore::explore(model, &config);
    let header = explore::report::Header {
        system: "raft-core",
        bugs: bugs.iter().map(|bug| bug.name().to_string()).collect(),
        scope,
        config,
    };
    let text = explore::report::render(&header, &outcome);
    print!("{text}");
    if let Some(path) = &args.out {
        std::fs::write(path, &text)
            .map_err(|err| UsageError(format!("cannot write {}: {err}", path.display())))?;
        println!("report written to {}", path.display());
    }
    Ok(explore::report::exit_code(&outcome))
}
