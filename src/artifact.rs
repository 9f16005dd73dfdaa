//! Files on disk: failure artifacts, `trial.json`, atomic writes.
//!
//! Nothing raftstorm writes is ever seen half-written: every file is
//! written under a temporary name and renamed into place, and a failure's
//! artifact directory is assembled under a temporary name and renamed as a
//! whole.

use crate::explain;
use crate::trial::{TrialResult, TrialSpec, TrialVerdict};
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

/// Reads and validates a `trial.json`.
pub fn read_trial_file(path: &Path) -> Result<TrialFile, InputError> {
    let text = fs::read_to_string(path)
        .map_err(|err| InputError(format!("{}: cannot read: {err}", path.display())))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| json_error(path, &err))?;
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
    let file: TrialFile = serde_json::from_str(&text).map_err(|err| json_error(path, &err))?;
    if file.format != TRIAL_FORMAT {
        return Err(InputError(format!(
            "{}:1:1: expected trial.json format {TRIAL_FORMAT}, found format {}",
            path.display(),
            file.format
        )));
    }
    file.trial.config.validate().map_err(|problem| {
        InputError(format!(
            "{}: invalid trial configuration: {problem}",
            path.display()
        ))
    })?;
    Ok(file)
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
