//! The Porcupine conformance corpus, as a test and as a benchmark.
//!
//! `testdata/porcupine/MANIFEST.tsv` lists 108 histories with the model to
//! check each against and the verdict Porcupine's own test suite expects.
//! [`load_corpus`] reads and parses them all (parsing is kept out of any
//! timing), [`time_corpus`] checks each file several times and keeps the
//! median, and [`render`] prints the figures next to a baseline — by
//! default the published Porcupine figures ([`Baseline::porcupine_published`]),
//! or measured ones read from a TSV ([`Baseline::parse_tsv`]).

use crate::linearizability::{check_operations, ModelKind, ModelSpec, Options};
use crate::Validity;
use histories::format::{parse_and_pair, Format};
use histories::{Operation, Value};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why the corpus could not be loaded, or a baseline read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusError(pub String);

impl fmt::Display for CorpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CorpusError {}

/// One history of the corpus, parsed and paired.
#[derive(Clone, Debug)]
pub struct CorpusFile {
    /// Its path relative to the corpus directory, as the manifest names it
    /// (`jepsen/etcd_000.log`).
    pub file: String,
    /// The model to check it against, with its initial value.
    pub model: ModelSpec,
    /// The verdict the manifest expects.
    pub expected: Validity,
    /// Its operations.
    pub ops: Vec<Operation>,
}

impl CorpusFile {
    /// Which group of the corpus the file belongs to (`jepsen`, `kv`).
    pub fn group(&self) -> &str {
        self.file.split('/').next().unwrap_or_default()
    }
}

/// The corpus directory of this source tree (`testdata/porcupine`).
pub fn default_corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/porcupine")
}

/// Reads `MANIFEST.tsv` in `dir` and parses every file it lists.
///
/// The manifest has a header line, then `file<TAB>model<TAB>expected<TAB>note`
/// per line. `model` is `etcd-register` (keys start absent) or `kv` (keys
/// start as the empty string, as in Porcupine's kv test); `expected` is
/// `linearizable` or `not-linearizable`.
pub fn load_corpus(dir: &Path) -> Result<Vec<CorpusFile>, CorpusError> {
    let manifest_path = dir.join("MANIFEST.tsv");
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|err| CorpusError(format!("{}: {err}", manifest_path.display())))?;
    let mut files = Vec::new();
    for (line_index, line) in manifest.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let at = |col: usize| format!("{}:{}:{col}", manifest_path.display(), line_index + 1);
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, model, expected, ..] = fields[..] else {
            return Err(CorpusError(format!(
                "{}: expected file, model and expected verdict separated by tabs, found `{line}`",
                at(1)
            )));
        };
        let model_col = file.len() + 2;
        let model = corpus_model(model).ok_or_else(|| {
            CorpusError(format!(
                "{}: expected kv or etcd-register, found `{model}`",
                at(model_col)
            ))
        })?;
        let expected = match expected {
            "linearizable" => Validity::Valid,
            "not-linearizable" => Validity::Invalid,
            other => {
                return Err(CorpusError(format!(
                    "{}: expected linearizable or not-linearizable, found `{other}`",
                    at(model_col + fields[1].len() + 1)
                )))
            }
        };
        files.push(CorpusFile {
            ops: parse_file(dir, file)?,
            file: file.to_string(),
            model,
            expected,
        });
    }
    Ok(files)
}

/// The model of a manifest line, with the corpus' initial values.
fn corpus_model(name: &str) -> Option<ModelSpec> {
    let kind: ModelKind = name.parse().ok()?;
    match kind {
        ModelKind::Kv => Some(ModelSpec::new(kind).with_init(Value::str(""))),
        ModelKind::EtcdRegister => Some(ModelSpec::new(kind)),
        ModelKind::Register | ModelKind::CasRegister => None,
    }
}

/// Parses and pairs one corpus file, its format given by its directory.
fn parse_file(dir: &Path, file: &str) -> Result<Vec<Operation>, CorpusError> {
    let format = match file.split('/').next() {
        Some("jepsen") => Format::PorcupineEtcd,
        Some("kv") => Format::PorcupineKv,
        _ => {
            return Err(CorpusError(format!(
                "{file}: expected a file under jepsen/ or kv/"
            )))
        }
    };
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|err| CorpusError(format!("{}: {err}", path.display())))?;
    let (_, ops) = parse_and_pair(&text, &path.display().to_string(), format)
        .map_err(|err| CorpusError(err.to_string()))?;
    Ok(ops)
}

/// How long one file took to check.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// The file, as the manifest names it.
    pub file: String,
    /// The verdict the manifest expects.
    pub expected: Validity,
    /// The verdict the checker gave.
    pub validity: Validity,
    /// Median wall-clock time of one check, in nanoseconds.
    pub median_ns: u64,
    /// Memo entries of one check.
    pub memo_entries: u64,
}

/// Checks `file` `runs` times (at least once) on `threads` threads and
/// keeps the median time. Fails when the model cannot check the file.
pub fn time_file(file: &CorpusFile, runs: usize, threads: usize) -> Result<Timing, CorpusError> {
    let options = Options::new(file.model.clone()).with_threads(threads);
    let mut times_ns = Vec::with_capacity(runs.max(1));
    let mut validity = Validity::Valid;
    let mut memo_entries = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let report = check_operations(&file.ops, &options)
            .map_err(|err| CorpusError(format!("{}: {err}", file.file)))?;
        times_ns.push(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
        validity = report.validity;
        memo_entries = report.stats.memo_entries;
    }
    times_ns.sort_unstable();
    Ok(Timing {
        file: file.file.clone(),
        expected: file.expected,
        validity,
        median_ns: times_ns[times_ns.len() / 2],
        memo_entries,
    })
}

/// [`time_file`] for every file, in order.
pub fn time_corpus(
    files: &[CorpusFile],
    runs: usize,
    threads: usize,
) -> Result<Vec<Timing>, CorpusError> {
    files
        .iter()
        .map(|file| time_file(file, runs, threads))
        .collect()
}

/// Reference figures to compare against, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Baseline {
    /// Where the figures come from, for the printout.
    pub source: String,
    /// Per-file times, by manifest file name.
    pub files_ms: BTreeMap<String, f64>,
    /// Totals per corpus group (`jepsen`, `kv`), when known as a whole.
    pub totals_ms: BTreeMap<String, f64>,
}

impl Baseline {
    /// Porcupine (Go, 2 threads) on a machine like ours, as published: about
    /// 480 ms for the 102 etcd logs, 190 ms for the 6 kv files, and the two
    /// slowest files, etcd_002 (~170 ms) and c50-ok (~160 ms).
    pub fn porcupine_published() -> Baseline {
        Baseline {
            source: "Porcupine, published figures".to_string(),
            files_ms: BTreeMap::from([
                ("jepsen/etcd_002.log".to_string(), 170.0),
                ("kv/c50-ok.txt".to_string(), 160.0),
            ]),
            totals_ms: BTreeMap::from([("jepsen".to_string(), 480.0), ("kv".to_string(), 190.0)]),
        }
    }

    /// The baseline in the TSV file at `path`, or the published Porcupine
    /// figures when there is none.
    pub fn load(path: Option<&Path>) -> Result<Baseline, CorpusError> {
        let Some(path) = path else {
            return Ok(Baseline::porcupine_published());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|err| CorpusError(format!("{}: {err}", path.display())))?;
        Baseline::parse_tsv(&text, &path.display().to_string())
    }

    /// Reads `file<TAB>ms` lines (blank lines and `#` comments skipped, a
    /// first line `file<TAB>ms` taken as a header). Totals are the sums of
    /// each group's files. `source` names the text in errors.
    pub fn parse_tsv(text: &str, source: &str) -> Result<Baseline, CorpusError> {
        let mut files_ms = BTreeMap::new();
        for (line_index, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty()
                || trimmed.starts_with('#')
                || (line_index == 0 && trimmed.starts_with("file"))
            {
                continue;
            }
            let at = format!("{source}:{}", line_index + 1);
            let Some((file, ms)) = trimmed.split_once('\t') else {
                return Err(CorpusError(format!(
                    "{at}:1: expected file<TAB>ms, found `{trimmed}`"
                )));
            };
            let ms: f64 = ms
                .trim()
                .parse()
                .ok()
                .filter(|ms: &f64| ms.is_finite() && *ms >= 0.0)
                .ok_or_else(|| {
                    CorpusError(format!(
                        "{at}:{}: expected a time in milliseconds, found `{}`",
                        file.len() + 2,
                        ms.trim()
                    ))
                })?;
            files_ms.insert(file.trim().to_string(), ms);
        }
        let mut totals_ms: BTreeMap<String, f64> = BTreeMap::new();
        for (file, ms) in &files_ms {
            let group = file.split('/').next().unwrap_or_default().to_string();
            *totals_ms.entry(group).or_default() += ms;
        }
        Ok(Baseline {
            source: source.to_string(),
            files_ms,
            totals_ms,
        })
    }
}

/// Times every file of the corpus in `dir` (`runs` checks each, median
/// kept, on `threads` threads) and renders the table against `baseline`:
/// what `raftstorm bench` and the `conformance_bench` example print.
/// Returns the timings too, so the caller can tell whether every verdict
/// was as expected ([`all_as_expected`]).
pub fn run(
    dir: &Path,
    runs: usize,
    threads: usize,
    baseline: &Baseline,
) -> Result<(Vec<Timing>, String), CorpusError> {
    let files = load_corpus(dir)?;
    let timings = time_corpus(&files, runs, threads)?;
    let text = render(&timings, baseline);
    Ok((timings, text))
}

/// True when every file got the verdict the manifest expects.
pub fn all_as_expected(timings: &[Timing]) -> bool {
    timings
        .iter()
        .all(|timing| timing.validity == timing.expected)
}

/// What the corpus groups are called in the printout.
fn group_title(group: &str, count: usize) -> String {
    match group {
        "jepsen" => format!("{count} etcd logs"),
        "kv" => format!("{count} kv files"),
        other => format!("{count} {other} files"),
    }
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// A ratio `baseline / ours`, as `12.3x`, or `-` without a baseline.
fn speedup(baseline_ms: Option<f64>, ours_ms: f64) -> String {
    match baseline_ms {
        Some(base) if ours_ms > 0.0 => format!("{:.1}x", base / ours_ms),
        _ => "-".to_string(),
    }
}

/// The figures as a table: one line per file, then totals per group and the
/// slowest files, with ratios to `baseline` where it has a figure.
pub fn render(timings: &[Timing], baseline: &Baseline) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "baseline: {}", baseline.source);
    let _ = writeln!(
        out,
        "{:<24} {:<8} {:<8} {:>10} {:>12} {:>12} {:>9}",
        "file", "expected", "got", "memo", "median ms", "baseline ms", "speed-up"
    );
    for timing in timings {
        let base = baseline.files_ms.get(&timing.file).copied();
        let _ = writeln!(
            out,
            "{:<24} {:<8} {:<8} {:>10} {:>12.3} {:>12} {:>9}{}",
            timing.file,
            timing.expected.to_string(),
            timing.validity.to_string(),
            timing.memo_entries,
            ms(timing.median_ns),
            base.map_or("-".to_string(), |b| format!("{b:.3}")),
            speedup(base, ms(timing.median_ns)),
            if timing.validity == timing.expected {
                ""
            } else {
                "  WRONG VERDICT"
            }
        );
    }
    let mut groups: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for timing in timings {
        let group = groups
            .entry(timing.file.split('/').next().unwrap_or_default())
            .or_default();
        group.0 += 1;
        group.1 += timing.median_ns;
    }
    let _ = writeln!(out, "\ntotals (sum of per-file medians):");
    for (group, (count, total_ns)) in &groups {
        let base = baseline.totals_ms.get(*group).copied();
        let _ = writeln!(
            out,
            "  {:<16} {:>10.3} ms   baseline {:>10}   speed-up {}",
            group_title(group, *count),
            ms(*total_ns),
            base.map_or("-".to_string(), |b| format!("{b:.3} ms")),
            speedup(base, ms(*total_ns))
        );
    }
    let mut slowest: Vec<&Timing> = timings.iter().collect();
    slowest.sort_by_key(|timing| std::cmp::Reverse(timing.median_ns));
    let _ = writeln!(out, "\nslowest files:");
    for timing in slowest.iter().take(5) {
        let base = baseline.files_ms.get(&timing.file).copied();
        let _ = writeln!(
            out,
            "  {:<24} {:>10.3} ms   speed-up {}",
            timing.file,
            ms(timing.median_ns),
            speedup(base, ms(timing.median_ns))
        );
    }
    let wrong = timings.iter().filter(|t| t.validity != t.expected).count();
    let _ = writeln!(
        out,
        "\nverdicts: {} of {} as expected",
        timings.len() - wrong,
        timings.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_tsv_gives_files_and_group_totals() {
        let text = "file\tms\n# measured here\njepsen/etcd_000.log\t1.5\njepsen/etcd_001.log\t2.5\n\nkv/c01-ok.txt\t0.25\n";
        let baseline = Baseline::parse_tsv(text, "base.tsv").unwrap();
        assert_eq!(baseline.files_ms.len(), 3);
        assert_eq!(baseline.totals_ms["jepsen"], 4.0);
        assert_eq!(baseline.totals_ms["kv"], 0.25);
    }

    #[test]
    fn without_a_file_the_baseline_is_the_published_one() {
        let baseline = Baseline::load(None).unwrap();
        assert_eq!(baseline, Baseline::porcupine_published());
        assert_eq!(baseline.totals_ms["jepsen"], 480.0);
        assert_eq!(baseline.files_ms["kv/c50-ok.txt"], 160.0);
        let err = Baseline::load(Some(Path::new("/nonexistent/base.tsv"))).unwrap_err();
        assert!(err.0.starts_with("/nonexistent/base.tsv: "), "{err}");
    }

    #[test]
    fn baseline_tsv_errors_say_where() {
        let err =
            Baseline::parse_tsv("file\tms\njepsen/etcd_000.log 1.5\n", "base.tsv").unwrap_err();
        assert_eq!(
            err.0,
            "base.tsv:2:1: expected file<TAB>ms, found `jepsen/etcd_000.log 1.5`"
        );
        let err = Baseline::parse_tsv("kv/c01-ok.txt\tfast\n", "base.tsv").unwrap_err();
        assert_eq!(
            err.0,
            "base.tsv:1:15: expected a time in milliseconds, found `fast`"
        );
    }

    #[test]
    fn render_prints_ratios_against_the_baseline() {
        let timings = vec![
            Timing {
                file: "jepsen/etcd_002.log".into(),
                expected: Validity::Valid,
                validity: Validity::Valid,
                median_ns: 17_000_000,
                memo_entries: 10,
            },
            Timing {
                file: "kv/c01-ok.txt".into(),
                expected: Validity::Valid,
                validity: Validity::Invalid,
                median_ns: 1_000_000,
                memo_entries: 3,
            },
        ];
        let text = render(&timings, &Baseline::porcupine_published());
        assert!(text.contains("10.0x"), "{text}");
        assert!(text.contains("1 etcd logs"), "{text}");
        assert!(text.contains("speed-up 28.2x"), "480 / 17: {text}");
        assert!(text.contains("WRONG VERDICT"), "{text}");
        assert!(text.contains("verdicts: 1 of 2 as expected"), "{text}");
    }
}
