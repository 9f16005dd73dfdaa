//! Files on disk: failure artifacts, `trial.json`, atomic writes.
//!
//! Nothing raftstorm writes is ever seen half-written: every file is
//! written under a temporary name and renamed into place, and a failure's
//! artifact directory is assembled under a temporary name and renamed as a
//! whole.

use crate::explain;
use crate::report::CampaignReport;
use crate::trial::{TrialConfig, TrialResult, TrialSpec, TrialVerdict};
use nemesis::{FieldError, MAX_TRIAL_MS};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The version of this tool, written into every artifact.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The layout version of `trial.json`.
pub const TRIAL_FORMAT: u32 = 1;

/// Where a trial came from in its campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRef {
    /// The campaign's seed.
    pub campaign_seed: u64,
    /// The trial's index in the campaign.
    pub index: u64,
}

/// The contents of `trial.json`: enough to replay the trial exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialFile {
    /// Always `raftstorm`.
    pub tool: String,
    /// The version that wrote it; replay refuses another version, whose
    /// simulation may differ.
    pub version: String,
    /// Layout version of this file.
    pub format: u32,
    /// The campaign and index, when it came from a campaign.
    pub campaign: Option<CampaignRef>,
    /// The trial.
    pub trial: TrialSpec,
}

impl TrialFile {
    /// The file for `spec` as this version writes it.
    pub fn new(spec: TrialSpec, campaign: Option<CampaignRef>) -> TrialFile {
        TrialFile {
            tool: "raftstorm".to_string(),
            version: TOOL_VERSION.to_string(),
            format: TRIAL_FORMAT,
            campaign,
            trial: spec,
        }
    }
}

/// Why a file could not be read as what it should be.
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Describes a serde_json error as `file:line:col: message`.
pub fn json_error(path: &Path, err: &serde_json::Error) -> InputError {
    InputError(format!(
        "{}:{}:{}: {}",
        path.display(),
        err.line(),
        err.column(),
        strip_position(&err.to_string())
    ))
}

/// serde_json appends " at line L column C"; the position is already in
/// front.
fn strip_position(message: &str) -> &str {
    message
        .find(" at line ")
        .map_or(message, |at| &message[..at])
}

/// The largest `trial.json` read (a configuration and a schedule: a few
/// kilobytes in practice). A bound, so that a path like `/dev/zero` is an
/// error and not an endless read.
pub const MAX_TRIAL_FILE_BYTES: u64 = 16 << 20;

/// The largest `report.json` read. A report lists every failing trial, so
/// a long campaign against a badly broken build writes large ones; it is
/// parsed as it streams in, so the bound is on time, not memory.
pub const MAX_REPORT_FILE_BYTES: u64 = 4 << 30;

/// A reader that fails, instead of going on, past `limit` bytes.
pub struct LimitedReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R> LimitedReader<R> {
    /// Wraps `inner`, allowing at most `limit` bytes.
    pub fn new(inner: R, limit: u64) -> LimitedReader<R> {
        LimitedReader {
            inner,
            remaining: limit,
            limit,
        }
    }
}

impl<R: io::Read> io::Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            // One more byte tells a file of exactly `limit` bytes from a
            // longer one.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            return Err(io::Error::other(format!(
                "the file is larger than the {} MiB this reader accepts",
                self.limit >> 20
            )));
        }
        let room = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..room])?;
        self.remaining -= read as u64;
        Ok(read)
    }
}

/// Opens `path` for reading through a [`LimitedReader`].
pub fn open_limited(path: &Path, limit: u64) -> Result<LimitedReader<fs::File>, InputError> {
    let file = fs::File::open(path)
        .map_err(|err| InputError(format!("{}: cannot read: {err}", path.display())))?;
    Ok(LimitedReader::new(file, limit))
}

/// Reads all of `path`, refusing more than `limit` bytes.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut open_limited(path, limit)?, &mut bytes)
        .map_err(|err| InputError(format!("{}: cannot read: {err}", path.display())))?;
    Ok(bytes)
}

/// Describes an error of `serde_json::from_reader`: positioned when it is
/// about the text, a read error otherwise.
pub fn json_read_error(path: &Path, err: &serde_json::Error) -> InputError {
    if err.is_io() {
        return InputError(format!("{}: cannot read: {err}", path.display()));
    }
    json_error(path, err)
}

/// Reads and validates a `trial.json`: its layout, then every field the
/// simulation would trust (see [`validate_trial`]).
pub fn read_trial_file(path: &Path) -> Result<TrialFile, InputError> {
    parse_trial_file(&read_limited(path, MAX_TRIAL_FILE_BYTES)?, path)
}

/// Parses and validates the bytes of a `trial.json`; `path` names it in
/// errors.
pub fn parse_trial_file(bytes: &[u8], path: &Path) -> Result<TrialFile, InputError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| json_error(path, &err))?;
    let tool = value.get("tool").and_then(|v| v.as_str());
    if tool != Some("raftstorm") {
        return Err(InputError(format!(
            "{}:1:1: expected a raftstorm trial.json (\"tool\": \"raftstorm\"), found {}",
            path.display(),
            tool.map_or("no tool field".to_string(), |t| format!(
                "\"tool\": \"{t}\""
            ))
        )));
    }
    let version = value
        .get("version")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown");
    if version != TOOL_VERSION {
        return Err(InputError(format!(
            "{}:1:1: this trial was written by raftstorm {version}, but this is raftstorm {TOOL_VERSION}; \
             simulations differ between versions, so replay it with raftstorm {version}",
            path.display()
        )));
    }
    let file: TrialFile = serde_json::from_slice(bytes).map_err(|err| json_error(path, &err))?;
    if file.format != TRIAL_FORMAT {
        return Err(InputError(format!(
            "{}: format: expected trial.json format {TRIAL_FORMAT}, found format {}",
            path.display(),
            file.format
        )));
    }
    validate_trial(&file.trial)
        .map_err(|err| InputError(format!("{}: {}", path.display(), err.under("trial"))))?;
    Ok(file)
}

/// Checks a trial as `trial.json` holds it: every option in range, the
/// configuration consistent, and every fault of the schedule possible in
/// this cluster. Paths are relative to the trial (`config.…`, `schedule.…`).
pub fn validate_trial(trial: &TrialSpec) -> Result<(), FieldError> {
    validate_config(&trial.config).map_err(|err| err.under("config"))?;
    let config = &trial.config.world;
    trial
        .schedule
        .validate(config.cluster.cluster_size, config.timeline.end_ms)
        .map_err(|err| err.under("schedule"))
}

/// Checks a trial configuration: each number within the bounds the
/// simulation's arithmetic and memory rely on (paths relative to the
/// configuration), then the relations between them
/// ([`TrialConfig::validate`]).
///
/// The bounds live here rather than beside each type because they are
/// about what a file may ask of this tool: a configuration built from
/// flags is already inside them (the flags' ranges are narrower).
pub fn validate_config(config: &TrialConfig) -> Result<(), FieldError> {
    for (path, value, min, max) in config_bounds(config) {
        if !(min..=max).contains(&value) {
            return Err(FieldError::new(
                path,
                format!("{value} is out of range: expected {min}..={max}"),
            ));
        }
    }
    config
        .validate()
        .map_err(|problem| FieldError::new("", problem))
}

/// Most clients a configuration may have (each is a process and a timer).
pub const MAX_CLIENTS: u64 = 1_024;
/// Most keys a workload may use (each key's name is made up front).
pub const MAX_KEYS: u64 = 100_000;
/// Most nodes a cluster may have: the network keeps reachability in 64-bit
/// masks.
pub const MAX_NODES: u64 = 64;

/// Every bounded number of a configuration: (path, value, min, max).
fn config_bounds(config: &TrialConfig) -> [(&'static str, u64, u64, u64); 26] {
    let (world, ms, us) = (&config.world, MAX_TRIAL_MS, MAX_TRIAL_MS * 1_000);
    let (cluster, clients, timeline) = (&world.cluster, &world.clients, &world.timeline);
    let mix = &config.workload.mix;
    let weight = 1_000_000;
    [
        (
            "world.cluster.cluster_size",
            cluster.cluster_size.into(),
            1,
            MAX_NODES,
        ),
        (
            "world.cluster.election_timeout_min_ms",
            cluster.election_timeout_min_ms,
            1,
            ms,
        ),
        (
            "world.cluster.election_timeout_max_ms",
            cluster.election_timeout_max_ms,
            1,
            ms,
        ),
        (
            "world.cluster.heartbeat_interval_ms",
            cluster.heartbeat_interval_ms,
            1,
            ms,
        ),
        (
            "world.cluster.max_entries_per_append",
            cluster.max_entries_per_append as u64,
            1,
            u64::MAX,
        ),
        (
            "world.network.latency_min_us",
            world.network.latency_min_us,
            0,
            us,
        ),
        (
            "world.network.latency_max_us",
            world.network.latency_max_us,
            0,
            us,
        ),
        ("world.clients.count", clients.count.into(), 0, MAX_CLIENTS),
        (
            "world.clients.attempt_timeout_ms",
            clients.attempt_timeout_ms,
            1,
            ms,
        ),
        ("world.clients.op_timeout_ms", clients.op_timeout_ms, 1, ms),
        ("world.clients.think_max_ms", clients.think_max_ms, 0, ms),
        (
            "world.clients.retry_backoff_ms",
            clients.retry_backoff_ms,
            0,
            ms,
        ),
        (
            "world.timeline.faults.start_ms",
            timeline.faults.start_ms,
            0,
            ms,
        ),
        (
            "world.timeline.faults.heal_at_ms",
            timeline.faults.heal_at_ms,
            0,
            ms,
        ),
        (
            "world.timeline.clients_stop_ms",
            timeline.clients_stop_ms,
            0,
            ms,
        ),
        ("world.timeline.end_ms", timeline.end_ms, 1, ms),
        ("nemesis.interval_ms", config.nemesis.interval_ms, 1, ms),
        ("nemesis.duration_ms", config.nemesis.duration_ms, 1, ms),
        (
            "workload.key_count",
            config.workload.key_count.into(),
            1,
            MAX_KEYS,
        ),
        ("workload.mix.get", mix.get.into(), 0, weight),
        ("workload.mix.put", mix.put.into(), 0, weight),
        ("workload.mix.append", mix.append.into(), 0, weight),
        ("workload.mix.cas", mix.cas.into(), 0, weight),
        ("checker.max_states", config.checker.max_states, 1, u64::MAX),
        (
            "checker.election_bound_ms",
            config.checker.election_bound_ms,
            0,
            ms,
        ),
        ("checker.settle_ms", config.checker.settle_ms, 0, ms),
    ]
}

/// Reads a `report.json` (a shard's, to merge) as it streams in, bounded
/// by [`MAX_REPORT_FILE_BYTES`], and validates it.
pub fn read_report_file(path: &Path) -> Result<CampaignReport, InputError> {
    let reader = open_limited(path, MAX_REPORT_FILE_BYTES)?;
    read_report(io::BufReader::new(reader), path)
}

/// Parses and validates a `report.json` from `reader`; `path` names it in
/// errors.
pub fn read_report(reader: impl io::Read, path: &Path) -> Result<CampaignReport, InputError> {
    let report: CampaignReport =
        serde_json::from_reader(reader).map_err(|err| json_read_error(path, &err))?;
    report
        .validate()
        .map_err(|err| InputError(format!("{}: {err}", path.display())))?;
    Ok(report)
}

/// Serializes items as JSON Lines.
pub fn to_jsonl<T: Serialize>(items: &[T]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(items.len() * 96);
    for item in items {
        serde_json::to_writer(&mut bytes, item).expect("in-memory serialization cannot fail");
        bytes.push(b'\n');
    }
    bytes
}

/// Serializes a value as pretty JSON with a final newline.
pub fn to_pretty_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("in-memory serialization cannot fail");
    bytes.push(b'\n');
    bytes
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed, then renamed over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let directory = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(directory)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = directory.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)
}

/// Makes sure `directory` exists and a file can be created in it, by
/// creating and removing one: what a campaign checks before its first
/// trial rather than after its last.
pub fn check_writable_dir(directory: &Path) -> io::Result<()> {
    fs::create_dir_all(directory)?;
    let probe = directory.join(format!(".raftstorm-probe-{}", std::process::id()));
    fs::File::create(&probe)?;
    fs::remove_file(&probe)
}

/// The files of one failure artifact, rendered.
pub struct ArtifactFiles {
    /// `trial.json`.
    pub trial: Vec<u8>,
    /// `history.jsonl`.
    pub history: Vec<u8>,
    /// `trace.jsonl`.
    pub trace: Vec<u8>,
    /// `verdict.json`.
    pub verdict: Vec<u8>,
    /// `report.txt`.
    pub report: Vec<u8>,
    /// `timeline.html`: the failure drawn (see [`crate::timeline`]).
    pub timeline: Vec<u8>,
}

impl ArtifactFiles {
    /// Renders the artifact of a checked trial.
    pub fn render(
        result: &TrialResult,
        campaign: Option<CampaignRef>,
        replay_command: &str,
    ) -> ArtifactFiles {
        ArtifactFiles {
            trial: to_pretty_json(&TrialFile::new(result.spec.clone(), campaign)),
            history: to_jsonl(&result.output.history.ops),
            trace: to_jsonl(&result.output.trace.events),
            verdict: to_pretty_json(&result.verdict),
            report: explain::report_text(result, replay_command).into_bytes(),
            timeline: crate::timeline::trial_page(result).into_bytes(),
        }
    }

    /// The artifact of a trial that panicked: its trial file (to replay
    /// it), and the panic's message in place of a verdict.
    pub fn render_panic(
        spec: &TrialSpec,
        campaign: Option<CampaignRef>,
        message: &str,
        replay_command: &str,
    ) -> ArtifactFiles {
        let verdict = serde_json::json!({
            "validity": "invalid",
            "failed_checks": [{ "check": crate::trial::PANIC_CHECK, "validity": "invalid" }],
            "panic": message,
        });
        let report = format!(
            "raftstorm trial {}: invalid\nreplay: {replay_command}\n\n\
             The trial panicked (in the system under test, the world or the checker), so it \
             has no history or trace; replay it to see where:\n\n{message}\n",
            spec.seed
        );
        ArtifactFiles {
            trial: to_pretty_json(&TrialFile::new(spec.clone(), campaign)),
            history: Vec::new(),
            trace: Vec::new(),
            verdict: to_pretty_json(&verdict),
            timeline: panic_page(spec.seed, message).into_bytes(),
            report: report.into_bytes(),
        }
    }

    fn named(&self) -> [(&'static str, &[u8]); 6] {
        [
            ("trial.json", &self.trial),
            ("history.jsonl", &self.history),
            ("trace.jsonl", &self.trace),
            ("verdict.json", &self.verdict),
            ("report.txt", &self.report),
            ("timeline.html", &self.timeline),
        ]
    }

    /// Writes the files into `directory` as a whole: assembled under a
    /// temporary name next to it, then renamed into place (replacing an
    /// earlier artifact of the same trial, which is identical in content).
    pub fn write_to(&self, directory: &Path) -> io::Result<()> {
        let parent = directory.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(parent)?;
        let name = directory
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("artifact");
        let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        for (file, bytes) in self.named() {
            let mut handle = fs::File::create(staging.join(file))?;
            handle.write_all(bytes)?;
            handle.sync_all()?;
        }
        if directory.exists() {
            fs::remove_dir_all(directory)?;
        }
        fs::rename(&staging, directory)
    }
}

/// The page a panicked trial gets in place of a timeline: there is no
/// history to draw, only the message.
fn panic_page(seed: u64, message: &str) -> String {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!doctype html><meta charset=\"utf-8\"><title>raftstorm trial {seed}: panic</title>\n\
         <h1>raftstorm trial {seed} panicked</h1><p>It has no history or trace to draw; \
         replay it (see report.txt) to see where.</p><pre>{escaped}</pre>\n"
    )
}

/// The directory of the failure artifact of trial `seed` under `out`.
pub fn failure_dir(out: &Path, seed: u64) -> PathBuf {
    out.join("failures").join(seed.to_string())
}

/// Writes the verdict files of a replay into `out` (trial, history,
/// trace, verdict, report, timeline), like a failure artifact.
pub fn write_replay(out: &Path, files: &ArtifactFiles) -> io::Result<()> {
    files.write_to(out)
}

/// FNV-1a, 64 bits: a fingerprint to compare files byte for byte in a
/// message ("history identical: fnv64 …"), not a cryptographic hash.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Whether a verdict is worth an artifact.
pub fn is_failure(verdict: &TrialVerdict) -> bool {
    verdict.validity != checker::Validity::Valid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv64_matches_its_reference_values() {
        assert_eq!(fnv64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv64(b"ab"), fnv64(b"ba"));
    }

    #[test]
    fn atomic_writes_leave_no_temporary_files() {
        let dir = std::env::temp_dir().join(format!("raftstorm-atomic-{}", std::process::id()));
        let path = dir.join("report.json");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
