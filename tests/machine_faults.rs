//! Faults of the machine a campaign runs on: Ctrl-C, SIGTERM and SIGKILL
//! mid-run lose nothing already announced, leave every file whole, and
//! `campaign --resume` ends with the report an uninterrupted run writes.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A small, quick campaign with failures (so artifacts are written while
/// it runs): 2-second trials of a planted bug.
const CAMPAIGN: &[&str] = &[
    "campaign",
    "--trials",
    "6000",
    "--seed",
    "4",
    "--bug",
    "vote-twice",
    "--duration-ms",
    "2000",
    "--threads",
    "2",
    "--quiet",
];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raftstorm-faults-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn raftstorm(args: &[&str], out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_raftstorm"));
    command
        .args(args)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The report with the fields that differ between runs (wall-clock rates,
/// the output folder) taken out.
fn comparable(out: &Path) -> Value {
    let text = fs::read_to_string(out.join("report.json")).expect("report.json exists");
    let text = text.replace(out.to_str().unwrap(), "OUT");
    let mut report: Value = serde_json::from_str(&text).expect("report.json parses");
    for field in [
        "elapsed_sec",
        "trials_per_sec",
        "events_per_sec",
        "simulated_seconds_per_sec",
    ] {
        report.as_object_mut().unwrap().remove(field);
    }
    report
}

/// Waits until the running campaign has checkpointed some trials.
fn wait_for_progress(child: &mut Child, out: &Path) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let trials = fs::read_to_string(out.join("report.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|report| report["totals"]["trials"].as_u64());
        if trials.is_some_and(|trials| trials >= 50) {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the campaign ended too soon"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no checkpoint within a minute");
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every JSON file parses, every failure the report announces has its
/// whole artifact, and nothing half-made is left.
fn assert_whole(out: &Path) {
    let report: Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    for failure in report["failures"].as_array().unwrap() {
        let artifact = PathBuf::from(failure["artifact"].as_str().unwrap());
        for file in [
            "trial.json",
            "history.jsonl",
            "trace.jsonl",
            "verdict.json",
            "report.txt",
        ] {
            assert!(
                artifact.join(file).is_file(),
                "{} lacks {file}",
                artifact.display()
            );
        }
    }
    for entry in fs::read_dir(out.join("failures")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // a staging folder of the killed run: the next run clears it
        }
        for file in ["trial.json", "verdict.json"] {
            let text = fs::read_to_string(entry.path().join(file)).unwrap();
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|err| panic!("{}/{file} is torn: {err}", entry.path().display()));
        }
    }
}

fn no_staging_left(out: &Path) {
    for directory in [out.to_path_buf(), out.join("failures")] {
        for entry in fs::read_dir(directory).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.contains(".tmp-"), "left behind: {name}");
        }
    }
}

#[test]
fn a_stopped_campaign_resumes_to_the_report_of_an_uninterrupted_one() {
    let whole = scratch("whole");
    let status = raftstorm(CAMPAIGN, &whole).status().unwrap();
    assert_eq!(status.code(), Some(1), "the planted bug is caught");
    let expected = comparable(&whole);

    // (signal, exit code of the stopped run)
    let cases: [(&str, Option<i32>); 3] = [("INT", Some(1)), ("TERM", Some(1)), ("KILL", None)];
    for (name, code) in cases {
        let out = scratch(name);
        let mut child = raftstorm(CAMPAIGN, &out).spawn().unwrap();
        wait_for_progress(&mut child, &out);
        signal(&child, name);
        let stopped = child.wait().unwrap();
        assert_eq!(stopped.code(), code, "SIG{name}: exit code");
        assert_whole(&out);
        let checkpoint = comparable(&out);
        let trials = checkpoint["totals"]["trials"].as_u64().unwrap();
        assert!(
            trials < 6000,
            "SIG{name} stopped the campaign early ({trials} trials)"
        );
        if name != "KILL" {
            assert_eq!(checkpoint["stopped_by"], "interrupted", "SIG{name}");
        }

        let resumed = Command::new(env!("CARGO_BIN_EXE_raftstorm"))
            .args(["campaign", "--quiet", "--resume"])
            .arg(&out)
            .status()
            .unwrap();
        assert_eq!(
            resumed.code(),
            Some(1),
            "SIG{name}: the resumed run finds the bug"
        );
        assert_eq!(comparable(&out), expected, "SIG{name}: resumed report");
        assert_whole(&out);
        no_staging_left(&out);
    }
}

#[test]
fn an_interrupted_clean_campaign_exits_130_and_a_complete_one_cannot_resume() {
    let out = scratch("clean");
    let args = [
        "campaign",
        "--trials",
        "100000",
        "--duration-ms",
        "2000",
        "--quiet",
    ];
    let mut child = raftstorm(&args, &out).spawn().unwrap();
    wait_for_progress(&mut child, &out);
    signal(&child, "INT");
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let report = comparable(&out);
    assert_eq!(report["stopped_by"], "interrupted");

    let done = scratch("done");
    let quick = [
        "campaign",
        "--trials",
        "20",
        "--duration-ms",
        "2000",
        "--quiet",
    ];
    assert_eq!(raftstorm(&quick, &done).status().unwrap().code(), Some(0));
    let again = Command::new(env!("CARGO_BIN_EXE_raftstorm"))
        .args(["campaign", "--resume"])
        .arg(&done)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to resume"));
}
