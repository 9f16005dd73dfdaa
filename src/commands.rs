//! What each subcommand does, between parsed flags and an exit code.
//!
//! Exit codes are the CI gate: 0 nothing invalid, 1 at least one
//! violation, 3 nothing invalid but some verdict unknown, 2 a usage or
//! input error.

use crate::artifact::{self, fnv64, read_trial_file, ArtifactFiles, InputError};
use crate::bench;
use crate::campaign::{run_campaign_with, CampaignConfig, Controls};
use crate::cli::{
    default_threads, BenchArgs, CampaignArgs, CheckArgs, ExploreArgs, FormatChoice, MergeArgs,
    ReplayArgs,
};
use crate::explain;
use crate::progress::Progress;
use crate::report::{exit_code, worse, CampaignReport, Shard, StopReason};
use crate::trial::{TrialResult, TrialSpec};
use checker::linearizability::{self, Budget, ModelKind, ModelSpec, Options};
use checker::Validity;
use histories::format::{self, Format};
use histories::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::AtomicBool;

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

// ---- mutants -----------------------------------------------------------------

/// `raftstorm mutants`: exit 0 only when every planted bug was caught in
/// every seed and the control had no false alarm over all its trials.
pub fn mutants(args: crate::cli::MutantsArgs) -> CommandResult {
    let only = args.trial.bugs.clone();
    let trial_args = crate::cli::TrialArgs {
        bugs: Vec::new(),
        ..args.trial.clone()
    };
    let trial = trial_args.config().map_err(UsageError)?;
    let config = crate::mutants::MutantsConfig {
        trial,
        only,
        first_seed: args.seed,
        seeds: args.seeds,
        budget_trials: args.budget_trials,
        budget_time: args.budget_seconds.map(std::time::Duration::from_secs),
        threads: args.threads.map_or_else(default_threads, |t| t as usize),
        out_dir: args.out.clone(),
        shrink: !args.no_shrink,
    };
    artifact::check_writable_dir(&config.out_dir).map_err(|err| {
        UsageError(format!(
            "--out {}: cannot write there: {err}",
            config.out_dir.display()
        ))
    })?;
    let quiet = args.quiet;
    let mut progress = |line: &str| {
        if !quiet {
            eprintln!("raftstorm: {line}");
        }
    };
    let report = crate::mutants::run_mutants(&config, &mut progress).map_err(UsageError)?;
    if args.json {
        let json = serde_json::to_string_pretty(&report).expect("a report serializes");
        println!("{json}");
    } else {
        print!("{}", crate::mutants_table::render(&report));
    }
    Ok(if report.passed { 0 } else { 1 })
}

// ---- campaign ----------------------------------------------------------------

/// The exit code of a campaign stopped by SIGINT or SIGTERM (128 + 2, as
/// shells report an interrupted command), unless it found a violation.
pub const EXIT_INTERRUPTED: i32 = 130;

/// `raftstorm campaign`.
pub fn campaign(args: CampaignArgs) -> CommandResult {
    let (config, resume) = match &args.resume {
        Some(directory) => resumed_campaign(directory, &args)?,
        None => (fresh_campaign(&args)?, None),
    };
    // Found now, not after the last trial: an --out that cannot hold the
    // artifacts and the report would throw the whole campaign away.
    artifact::check_writable_dir(&config.out_dir).map_err(|err| {
        UsageError(format!(
            "--out {}: cannot write there: {err}",
            config.out_dir.display()
        ))
    })?;
    let stop = interrupt_flag()?;
    let planned = config.trials.map(|t| config.shard.trials_of(t));
    let mut progress = Progress::new(args.quiet, planned);
    let controls = Controls {
        stop: Some(&stop),
        resume,
    };
    let outcome = run_campaign_with(&config, &crate::system::BuiltIn, &mut progress, controls);
    progress.finish();
    let mut report = outcome.map_err(|err| {
        UsageError(format!(
            "cannot write a failure artifact under {}: {err}",
            config.out_dir.display()
        ))
    })?;
    if !args.no_shrink && report.stopped_by != Some(StopReason::Interrupted) {
        shrink_failures(&mut report, &config, args.quiet)?;
    }
    Ok(finish_campaign(&report, &args, &config.out_dir))
}

/// The budget of each shrink a campaign runs: bounded by a count of
/// variants, so the same campaign shrinks to the same trials, with a
/// wall-clock guard.
const CAMPAIGN_SHRINK_VARIANTS: u64 = 600;
const CAMPAIGN_SHRINK_TIME: std::time::Duration = std::time::Duration::from_secs(30);

fn shrink_failures(
    report: &mut CampaignReport,
    config: &CampaignConfig,
    quiet: bool,
) -> Result<(), UsageError> {
    let budget = crate::shrink::Budget {
        max_candidates: CAMPAIGN_SHRINK_VARIANTS,
        time_limit: Some(CAMPAIGN_SHRINK_TIME),
        threads: config.threads,
    };
    let mut progress = |line: &str| {
        if !quiet {
            eprintln!("raftstorm: {line}");
        }
    };
    crate::shrink::shrink_first_failures(report, &crate::system::BuiltIn, budget, &mut progress)
        .map_err(|err| {
            UsageError(format!(
                "cannot write a shrunk trial under {}: {err}",
                config.out_dir.display()
            ))
        })
}

/// The campaign the flags describe.
fn fresh_campaign(args: &CampaignArgs) -> Result<CampaignConfig, UsageError> {
    let trial = args.trial.config().map_err(UsageError)?;
    let trials = args.trials.or(if args.time_limit.is_none() {
        Some(1_000)
    } else {
        None
    });
    Ok(CampaignConfig {
        seed: args.seed,
        trials,
        time_limit: args.time_limit,
        threads: args.threads.map_or_else(default_threads, |t| t as usize),
        shard: args.shard.unwrap_or(Shard::WHOLE),
        trial,
        out_dir: args.out.clone(),
        max_failures: args.max_failures,
    })
}

/// The campaign whose checkpoint is `directory/report.json`, to continue:
/// its seed, trials, shard, configuration and artifact cap come from the
/// checkpoint; threads and a time limit from the flags.
fn resumed_campaign(
    directory: &Path,
    args: &CampaignArgs,
) -> Result<(CampaignConfig, Option<CampaignReport>), UsageError> {
    let path = directory.join("report.json");
    let report = artifact::read_report_file(&path)?;
    if report.version != artifact::TOOL_VERSION {
        return Err(UsageError(format!(
            "{}: written by raftstorm {}, but this is raftstorm {}; resume it with that version",
            path.display(),
            report.version,
            artifact::TOOL_VERSION
        )));
    }
    let [shard] = report.shards[..] else {
        return Err(UsageError(format!(
            "{}: a merged report of {} shards; resume each shard's own --out",
            path.display(),
            report.shards.len()
        )));
    };
    let unfinished = report.in_progress || report.stopped_by.is_some();
    if !unfinished {
        return Err(UsageError(format!(
            "{}: this campaign is complete; there is nothing to resume",
            path.display()
        )));
    }
    let config = CampaignConfig {
        seed: report.campaign_seed,
        trials: report.trials_requested,
        time_limit: args.time_limit,
        threads: args.threads.map_or_else(default_threads, |t| t as usize),
        shard,
        trial: report.config,
        out_dir: directory.to_path_buf(),
        max_failures: report.max_failures,
    };
    let mut report = report;
    report.stopped_by = None;
    Ok((config, Some(report)))
}

/// SIGINT and SIGTERM set the flag the campaign polls; a second signal,
/// when the first has not yet stopped it, ends the process at once.
fn interrupt_flag() -> Result<std::sync::Arc<AtomicBool>, UsageError> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        flag::register_conditional_shutdown(signal, EXIT_INTERRUPTED, stop.clone())
            .and_then(|_| flag::register(signal, stop.clone()))
            .map_err(|err| UsageError(format!("cannot handle signal {signal}: {err}")))?;
    }
    Ok(stop)
}

/// Writes the report and JUnit, prints the summary, and says the exit
/// code: a file that cannot be written is reported but never hides a
/// worse verdict (a violation still exits 1).
fn finish_campaign(report: &CampaignReport, args: &CampaignArgs, out_dir: &Path) -> i32 {
    let report_path = out_dir.join("report.json");
    let mut code = match report.stopped_by {
        Some(StopReason::Interrupted) if report.validity != checker::Validity::Invalid => {
            EXIT_INTERRUPTED
        }
        _ => report.exit_code(),
    };
    let mut write = |path: &Path, bytes: &[u8]| {
        if let Err(err) = artifact::write_atomically(path, bytes) {
            eprintln!("raftstorm: {}: cannot write: {err}", path.display());
            code = worse(code, EXIT_USAGE);
        }
    };
    write(&report_path, &artifact::to_pretty_json(report));
    let index = crate::campaign_page::campaign_page(report, out_dir);
    write(&out_dir.join("index.html"), index.as_bytes());
    if let Some(junit) = &args.junit {
        write(junit, report.junit_xml(&bench::check_names()).as_bytes());
    }
    if args.json {
        sayln!(
            "{}",
            serde_json::to_string_pretty(report).expect("a report serializes")
        );
    } else if !args.quiet {
        say!("{}", campaign_summary(report, &report_path));
    }
    if let Some(shortfall) = report.shortfall().filter(|_| args.quiet || args.json) {
        eprintln!("raftstorm: incomplete: {shortfall}");
    }
    code
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
            for shrunk in &failure.shrunk {
                let _ = writeln!(
                    text,
                    "      {} shrunk to {}: {}",
                    shrunk.check, shrunk.after, shrunk.replay
                );
            }
        }
    }
    if let Some(shortfall) = report.shortfall() {
        let _ = writeln!(text, "  INCOMPLETE: {shortfall}");
    }
    let incomplete = match report.shortfall() {
        Some(_) => " (incomplete)",
        None => "",
    };
    let _ = writeln!(
        text,
        "verdict: {}{incomplete}; report: {}",
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
    say!("{text}");
    if let Some(out) = &args.out {
        artifact::write_replay(out, &files)
            .map_err(|err| UsageError(format!("{}: cannot write: {err}", out.display())))?;
        sayln!("replay written to {}", out.display());
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
    if let Some(availability) = verdict
        .availability
        .as_ref()
        .filter(|report| report.validity != Validity::Valid)
    {
        let _ = writeln!(text, "\n{availability}");
    }
    let _ = writeln!(
        text,
        "\ntimeline (faults, elections, and the operations around the failure):\n{}",
        explain::trial_timeline(result)
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
    /// Whether `[k v]` values were split into keys (`--independent`).
    independent: bool,
    /// Each key's verdict, as Jepsen's independent checker gives them
    /// (`:results`), by the key's EDN form; empty for a single register.
    results: BTreeMap<String, KeyVerdict>,
    /// The keys that are not valid (Jepsen's `:failures`).
    failures: Vec<String>,
    report: linearizability::Report,
}

/// One key's verdict in [`FileVerdict::results`].
#[derive(serde::Serialize)]
struct KeyVerdict {
    validity: Validity,
    ops: usize,
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
                    say!("{}", file_verdict_text(&verdict));
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
        sayln!(
            "{}",
            serde_json::to_string_pretty(&verdicts).expect("verdicts serialize")
        );
    }
    if input_errors > 0 {
        return Ok(worse(exit_code(combined), EXIT_USAGE));
    }
    Ok(exit_code(combined))
}

fn check_file(args: &CheckArgs, path: &Path) -> Result<FileVerdict, UsageError> {
    let format = match args.format {
        FormatChoice::Fixed(format) => Some(format),
        FormatChoice::Auto => None,
    };
    let mut parsed = format::read_path(path, format).map_err(|err| UsageError(err.to_string()))?;
    if args.independent {
        if format::split_independent(&mut parsed.history) == 0 {
            eprintln!(
                "raftstorm: warning: {}: --independent, but no value is a [k v] tuple",
                path.display()
            );
        }
    } else if looks_independent(&parsed.history) {
        eprintln!(
            "raftstorm: warning: {}: every client value is a [k v] tuple, as jepsen.independent \
             writes them; they are checked as values of one register (pass --independent for a \
             verdict per key)",
            path.display()
        );
    }
    let operations = parsed
        .operations()
        .map_err(|err| UsageError(err.to_string()))?;
    if operations.is_empty() {
        return Err(UsageError(no_operations(path, &parsed)));
    }
    let init = args
        .init
        .clone()
        .unwrap_or_else(|| default_init(args.model, parsed.format));
    let options = Options::new(ModelSpec::new(args.model).with_init(init))
        .with_budget(Budget {
            max_time: args.time_limit,
            ..Budget::default()
        })
        .with_threads(default_threads());
    let report = linearizability::check_operations(&operations, &options)
        .map_err(|err| UsageError(format!("{}: {err}", path.display())))?;
    let keyed = report.keys.iter().filter(|key| key.key.is_some());
    let results: BTreeMap<String, KeyVerdict> = keyed
        .map(|key| {
            let verdict = KeyVerdict {
                validity: key.validity,
                ops: key.ops,
            };
            (linearizability::key_label(key.key.as_ref()), verdict)
        })
        .collect();
    let failures = report
        .failed_keys()
        .filter(|key| key.key.is_some())
        .map(|key| linearizability::key_label(key.key.as_ref()))
        .collect();
    if let Some(html) = &args.html {
        let page = crate::timeline::check_page(path, &parsed.history, &operations, &report);
        let target = html_target(html, path, args.files.len());
        artifact::write_atomically(&target, page.as_bytes())
            .map_err(|err| UsageError(format!("{}: cannot write: {err}", target.display())))?;
    }
    Ok(FileVerdict {
        file: path.display().to_string(),
        format: parsed.format.name().to_string(),
        validity: report.validity,
        ops: operations.len(),
        check_ms: report.stats.elapsed_ns as f64 / 1e6,
        independent: args.independent,
        results,
        failures,
        report,
    })
}

/// Why a file with nothing to check is an error, not a pass: an empty
/// file checked nothing, and a non-empty one that yields nothing was not
/// in the format it was read as.
fn no_operations(path: &Path, parsed: &format::Parsed) -> String {
    let file = path.display();
    let name = parsed.format.name();
    let records = parsed.history.len();
    if records > 0 {
        return format!(
            "{file}: no client operations to check: its {records} {name} records are all the nemesis's"
        );
    }
    match std::fs::metadata(path).map(|meta| meta.len()) {
        Ok(0) => format!("{file}: no operations to check: the file is empty"),
        _ => format!(
            "{file}:1:1: no operations to check: nothing in the file is a {name} record, so the format \
             does not match; name the right one with --format (jsonl, edn, porcupine-etcd, porcupine-kv)"
        ),
    }
}

/// True when every completed or invoked client value (info completions
/// aside, which often carry none) is a two-element list and some of them
/// are reads or writes: the shape of a jepsen.independent history. A plain
/// cas register's cas values are pairs too, but its reads and writes are
/// not.
fn looks_independent(history: &histories::History) -> bool {
    use histories::{Function, OpType};
    let mut values = history
        .client_ops()
        .filter(|op| op.kind != OpType::Info && op.key.is_none())
        .peekable();
    if values.peek().is_none() {
        return false;
    }
    let mut plain_function = false;
    for op in values {
        if op.value.as_pair().is_none() {
            return false;
        }
        plain_function |= matches!(op.f, Function::Read | Function::Write);
    }
    plain_function
}

/// Where `check --html` writes the page of `history`: the given file for
/// one history, `DIR/<file name>.html` for several.
fn html_target(html: &Path, history: &Path, files: usize) -> std::path::PathBuf {
    if files == 1 {
        return html.to_path_buf();
    }
    let name = history
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("history");
    html.join(format!("{name}.html"))
}

/// The initial value a model starts from when `--init` is not given:
/// absent, except Porcupine's kv files, whose keys start as "".
fn default_init(model: ModelKind, format: Format) -> Value {
    match (model, format) {
        (ModelKind::Kv, Format::PorcupineKv) => Value::str(""),
        _ => Value::Nil,
    }
}

/// How `check` words a verdict.
fn verdict_word(validity: Validity) -> &'static str {
    match validity {
        Validity::Valid => "linearizable",
        Validity::Invalid => "NOT linearizable",
        Validity::Unknown => "unknown",
    }
}

fn file_verdict_text(verdict: &FileVerdict) -> String {
    let word = verdict_word(verdict.validity);
    let mut text = format!(
        "{}: {word} ({}, {}, {} ops, {:.1} ms)\n",
        verdict.file, verdict.report.model, verdict.format, verdict.ops, verdict.check_ms
    );
    if verdict.independent {
        for (key, result) in &verdict.results {
            let word = verdict_word(result.validity);
            let _ = writeln!(text, "  key {key}: {word} ({} ops)", result.ops);
        }
        if !verdict.failures.is_empty() {
            let _ = writeln!(text, "  failures: [{}]", verdict.failures.join(" "));
        }
    }
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
        reports.push((
            path.display().to_string(),
            artifact::read_report_file(path)?,
        ));
    }
    let merged = CampaignReport::merge(reports).map_err(UsageError)?;
    if let Some(shortfall) = merged.shortfall().filter(|_| args.out.is_none()) {
        eprintln!("raftstorm: incomplete: {shortfall}");
    }
    let json = artifact::to_pretty_json(&merged);
    match &args.out {
        Some(out) => {
            artifact::write_atomically(out, &json)
                .map_err(|err| UsageError(format!("{}: cannot write: {err}", out.display())))?;
            say!("{}", campaign_summary(&merged, out));
        }
        None => say!("{}", String::from_utf8_lossy(&json)),
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

// ---- shrink ------------------------------------------------------------------

/// `raftstorm shrink`.
pub fn shrink(args: crate::cli::ShrinkArgs) -> CommandResult {
    let file = read_trial_file(&args.trial_json)?;
    let system = crate::system::BuiltIn;
    crate::system::SystemUnderTest::validate(&system, &file.trial).map_err(UsageError)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let parent = args.trial_json.parent().unwrap_or(Path::new("."));
        parent.join("shrunk")
    });
    artifact::check_writable_dir(&out).map_err(|err| {
        UsageError(format!(
            "--out {}: cannot write there: {err}",
            out.display()
        ))
    })?;
    let budget = crate::shrink::Budget {
        max_candidates: args.max_candidates,
        time_limit: Some(args.time_limit),
        threads: args.threads.map_or_else(default_threads, |t| t as usize),
    };
    let tty = std::io::stderr().is_terminal();
    let mut progress = |step: &str| {
        if tty {
            eprintln!("  {step}");
        }
    };
    let target = args.check.as_deref();
    let shrunk = crate::shrink::shrink(file.trial, &system, budget, target, &mut progress)
        .map_err(|err| UsageError(format!("{}: {err}", args.trial_json.display())))?;
    let replay = format!("raftstorm replay {}", out.join("trial.json").display());
    let files = crate::shrink::artifact(&shrunk, file.campaign, &replay);
    files
        .write_to(&out)
        .map_err(|err| UsageError(format!("{}: cannot write: {err}", out.display())))?;
    say!("{}", crate::shrink::summary(&shrunk));
    sayln!("shrunk artifact: {}\nreplay: {replay}", out.display());
    Ok(exit_code(shrunk.result.verdict.validity))
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
    say!("{text}");
    if let Some(path) = &args.out {
        std::fs::write(path, &text)
            .map_err(|err| UsageError(format!("cannot write {}: {err}", path.display())))?;
        sayln!("report written to {}", path.display());
    }
    Ok(explore::report::exit_code(&outcome))
}
