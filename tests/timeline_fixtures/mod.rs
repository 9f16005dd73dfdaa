//! Known failing histories drawn as `timeline.html`, shared by the
//! structure test and the browser test: a linearizability failure from the
//! Porcupine corpus, and a trial of a planted bug for each kind of check
//! (an invariant violation, a liveness failure, a stale read).

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One page to look at.
pub struct Page {
    /// A short name (also the screenshot's).
    pub name: &'static str,
    /// The page.
    pub html: PathBuf,
    /// The history it draws (for counting its operations).
    pub history: PathBuf,
    /// The check whose failure it shows.
    pub check: &'static str,
    /// True when it comes from a trial (node lanes, fault bands).
    pub trial: bool,
}

pub fn raftstorm(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_raftstorm"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A fresh scratch directory under target/.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("timeline-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `check --html` of Porcupine's c10-bad kv history.
pub fn porcupine_page(dir: &Path) -> Page {
    let history = PathBuf::from(format!(
        "{}/testdata/porcupine/kv/c10-bad.txt",
        env!("CARGO_MANIFEST_DIR")
    ));
    let html = dir.join("porcupine-c10-bad.html");
    let run = raftstorm(&[
        "check",
        "--model",
        "kv",
        "--format",
        "porcupine-kv",
        "--html",
        html.to_str().unwrap(),
        history.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    Page {
        name: "porcupine-linearizability",
        html,
        history,
        check: "linearizability",
        trial: false,
    }
}

/// The first failing trial of a campaign of `bug` whose failed checks
/// include `check` (and no other kind when `only`), drawn by the campaign.
/// Availability is off: a stalled cluster fails it beside liveness, and
/// these pages show one kind of failure each.
pub fn bug_page(
    dir: &Path,
    name: &'static str,
    bug: &str,
    check: &'static str,
    only: bool,
) -> Page {
    let out = dir.join(name);
    let run = raftstorm(&[
        "campaign",
        "--bug",
        bug,
        "--nodes",
        "5",
        "--read-mode",
        "read-index",
        "--trials",
        "60",
        "--threads",
        "2",
        "--quiet",
        "--no-availability",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let failure = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|failure| {
            let checks = failure["checks"].as_array().unwrap();
            checks.iter().any(|c| c == check) && (!only || checks.len() == 1)
        })
        .unwrap_or_else(|| panic!("{bug}: no trial failed {check} in 60"));
    let artifact = PathBuf::from(failure["artifact"].as_str().unwrap());
    Page {
        name,
        html: artifact.join("timeline.html"),
        history: artifact.join("history.jsonl"),
        check: match check {
            "linearizability" | "liveness" => check,
            _ => "invariant",
        },
        trial: true,
    }
}

/// The failing pages the tests look at.
pub fn known_failures(dir: &Path) -> Vec<Page> {
    vec![
        porcupine_page(dir),
        bug_page(
            dir,
            "vote-twice-invariant",
            "vote-twice",
            "elected-by-quorum",
            false,
        ),
        bug_page(
            dir,
            "liveness",
            "truncate-without-conflict",
            "liveness",
            true,
        ),
        bug_page(
            dir,
            "stale-read",
            "read-without-quorum",
            "linearizability",
            true,
        ),
    ]
}

/// The JSON `timeline.html` embeds.
pub fn embedded_data(html: &str) -> serde_json::Value {
    let open = "<script id=\"timeline-data\" type=\"application/json\">";
    let start = html.find(open).expect("the page embeds its data") + open.len();
    let end = start
        + html[start..]
            .find("</script>")
            .expect("the data script ends");
    serde_json::from_str(&html[start..end]).expect("the embedded data is JSON")
}

/// A linearizable kv history of `ops` operations for timing the page:
/// ten processes, each on its own key, writes and reads, with a partition
/// every second; records in time order.
pub fn big_history(path: &Path, ops: usize) {
    // (time, order, the record without its index)
    let mut records: Vec<(u64, usize, String)> = Vec::with_capacity(ops * 2 + ops / 2_000);
    let mut push = |time: u64, body: String| {
        let order = records.len();
        records.push((time, order, body));
    };
    let mut last = vec![String::from("null"); 10];
    for i in 0..ops {
        let (process, round) = (i % 10, (i / 10) as u64);
        let t0 = round * 2_000_000 + process as u64 * 150_000;
        let t1 = t0 + 200_000 + (i as u64 * 7_919) % 1_500_000;
        if process == 0 && round % 500 == 0 {
            let (f, value) = match round % 1_000 {
                0 => ("start-partition", "isolate n2"),
                _ => ("stop-partition", "heal partition"),
            };
            push(
                t0,
                format!(
                    "\"type\":\"info\",\"process\":\"nemesis\",\"f\":\"{f}\",\"value\":\"{value}\""
                ),
            );
        }
        let op = |kind: &str, f: &str, value: &str| {
            format!("\"type\":\"{kind}\",\"process\":{process},\"f\":\"{f}\",\"key\":\"k{process}\",\"value\":{value}")
        };
        if i % 3 == 0 {
            let value = format!("\"v{i}\"");
            push(t0, op("invoke", "put", &value));
            push(t1, op("ok", "put", &value));
            last[process] = value;
        } else {
            push(t0, op("invoke", "get", "null"));
            push(t1, op("ok", "get", &last[process]));
        }
    }
    records.sort();
    let mut text = String::with_capacity(records.len() * 110);
    for (index, (time, _, body)) in records.iter().enumerate() {
        text.push_str(&format!(
            "{{\"index\":{index},\"time_ns\":{time},{body}}}\n"
        ));
    }
    fs::write(path, text).unwrap();
}
