//! The raftstorm binary, run as users run it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn raftstorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftstorm"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .expect("exited normally, not by a signal")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raftstorm-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn report(dir: &Path) -> serde_json::Value {
    let text = fs::read_to_string(dir.join("report.json")).expect("report.json written");
    serde_json::from_str(&text).unwrap()
}

fn testdata(path: &str) -> String {
    format!("{}/testdata/porcupine/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_short_default_campaign_on_the_correct_raft_exits_0() {
    let out = scratch("default");
    let run = raftstorm(&[
        "campaign",
        "--trials",
        "24",
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&run), 0, "{}{}", stdout(&run), stderr(&run));
    let report = report(&out);
    assert_eq!(report["totals"]["trials"], 24);
    assert_eq!(report["totals"]["valid"], 24);
    assert!(report["trials_per_sec"].as_f64().unwrap() > 0.0);
    assert!(stdout(&run).contains("24 trials"));
    assert!(!out.join("failures").exists());
}

/// Runs a campaign with a planted bug and returns its out dir and report.
fn buggy_campaign(
    name: &str,
    system: &str,
    bug: &str,
    trials: &str,
) -> (PathBuf, serde_json::Value, Output) {
    let out = scratch(name);
    let run = raftstorm(&[
        "campaign",
        "--system",
        system,
        "--bug",
        bug,
        "--trials",
        trials,
        "--threads",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let report = report(&out);
    (out, report, run)
}

/// A planted bug of each system, and enough trials to catch it.
const CAUGHT_BUGS: [(&str, &str, &str); 2] = [
    ("raft-core", "no-session-dedup", "40"),
    ("raft-rs", "apply-unstable-entries", "6"),
];

#[test]
fn a_planted_bug_is_caught_and_its_artifact_replays_byte_for_byte() {
    for (system, bug, trials) in CAUGHT_BUGS {
        caught_and_replayed(system, bug, trials);
    }
}

fn caught_and_replayed(system: &str, bug: &str, trials: &str) {
    let (out, report, run) = buggy_campaign(&format!("bug-{system}"), system, bug, trials);
    assert_eq!(code(&run), 1, "{system}: {}", stderr(&run));
    assert_eq!(report["config"]["system"]["name"], system);
    let failure = &report["failures"][0];
    let seed = failure["seed"].as_u64().unwrap();
    let artifact = out.join("failures").join(seed.to_string());
    for file in [
        "trial.json",
        "history.jsonl",
        "trace.jsonl",
        "verdict.json",
        "report.txt",
        "timeline.html",
    ] {
        assert!(artifact.join(file).is_file(), "{file} missing");
    }
    assert!(
        out.join("index.html").is_file(),
        "the campaign page is written"
    );
    let verdict: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(artifact.join("verdict.json")).unwrap()).unwrap();
    assert_eq!(verdict["validity"], "invalid");

    let replay_out = out.join("replayed");
    let replay = raftstorm(&[
        "replay",
        artifact.join("trial.json").to_str().unwrap(),
        "--out",
        replay_out.to_str().unwrap(),
    ]);
    assert_eq!(code(&replay), 1, "{}{}", stdout(&replay), stderr(&replay));
    let text = stdout(&replay);
    assert!(
        text.contains("history.jsonl: identical to the artifact"),
        "{text}"
    );
    assert!(
        text.contains("trace.jsonl: identical to the artifact"),
        "{text}"
    );
    assert!(text.contains("timeline"), "{text}");
    for file in [
        "history.jsonl",
        "trace.jsonl",
        "verdict.json",
        "timeline.html",
    ] {
        assert_eq!(
            fs::read(artifact.join(file)).unwrap(),
            fs::read(replay_out.join(file)).unwrap(),
            "{file} differs"
        );
    }
}

#[test]
fn check_gives_the_manifest_verdicts_on_conformance_files() {
    let cases = [
        ("etcd-register", "jepsen/etcd_000.log", 1),
        ("etcd-register", "jepsen/etcd_002.log", 0),
        ("kv", "kv/c01-ok.txt", 0),
        ("kv", "kv/c01-bad.txt", 1),
    ];
    for (model, file, expected) in cases {
        let path = testdata(file);
        let run = raftstorm(&["check", "--model", model, &path]);
        assert_eq!(
            code(&run),
            expected,
            "{file}: {}{}",
            stdout(&run),
            stderr(&run)
        );
    }
    let json = raftstorm(&[
        "check",
        "--model",
        "etcd-register",
        "--json",
        &testdata("jepsen/etcd_000.log"),
    ]);
    let verdicts: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(verdicts[0]["validity"], "invalid");
}

fn campaign_json(args: &[&str]) -> serde_json::Value {
    let run = raftstorm(args);
    assert!(matches!(code(&run), 0 | 1), "{}", stderr(&run));
    serde_json::from_slice(&run.stdout).expect("--json prints the report")
}

#[test]
fn merged_shards_cover_exactly_the_unsharded_campaign() {
    let whole_dir = scratch("whole");
    let flags = [
        "--seed",
        "5",
        "--trials",
        "12",
        "--threads",
        "2",
        "--quiet",
        "--bug",
        "read-without-quorum",
    ];
    let mut whole_args = vec!["campaign", "--out", whole_dir.to_str().unwrap()];
    whole_args.extend(flags);
    let whole = campaign_json(&[whole_args.as_slice(), &["--json"]].concat());
    let mut shard_reports = Vec::new();
    for shard in ["0/3", "1/3", "2/3"] {
        let dir = scratch(&format!("shard{}", &shard[..1]));
        let mut args = vec!["campaign", "--shard", shard, "--out", dir.to_str().unwrap()];
        args.extend(flags);
        raftstorm(&args);
        shard_reports.push(dir.join("report.json").display().to_string());
    }
    let mut merge_args = vec!["merge"];
    merge_args.extend(shard_reports.iter().map(String::as_str));
    let merge = raftstorm(&merge_args);
    assert_eq!(
        code(&merge),
        whole["validity"]
            .as_str()
            .map_or(0, |v| if v == "invalid" { 1 } else { 0 })
    );
    let merged: serde_json::Value = serde_json::from_slice(&merge.stdout).unwrap();
    let indexes = |report: &serde_json::Value| {
        let mut all: Vec<u64> = report["trials"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|range| {
                let (first, step, count) = (
                    range["first"].as_u64().unwrap(),
                    range["step"].as_u64().unwrap(),
                    range["count"].as_u64().unwrap(),
                );
                (0..count).map(move |k| first + k * step)
            })
            .collect();
        all.sort_unstable();
        all
    };
    assert_eq!(indexes(&merged), (0..12).collect::<Vec<_>>());
    assert_eq!(indexes(&merged), indexes(&whole));
    let seeds = |report: &serde_json::Value| -> Vec<u64> {
        report["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["seed"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(seeds(&merged), seeds(&whole));
    assert_eq!(merged["totals"]["trials"], whole["totals"]["trials"]);
    assert_eq!(merged["failures_per_check"], whole["failures_per_check"]);
}

#[test]
fn one_thread_and_two_threads_give_identical_results() {
    for (system, bug) in [
        ("raft-core", "vote-twice"),
        ("raft-rs", "read-without-read-state"),
    ] {
        same_at_any_thread_count(system, bug);
    }
}

fn same_at_any_thread_count(system: &str, bug: &str) {
    let run = |threads: &str| {
        let dir = scratch(&format!("threads{threads}-{system}"));
        let report = campaign_json(&[
            "campaign",
            "--system",
            system,
            "--seed",
            "11",
            "--trials",
            "16",
            "--bug",
            bug,
            "--threads",
            threads,
            "--json",
            "--out",
            dir.to_str().unwrap(),
        ]);
        (dir, report)
    };
    let ((dir1, one), (dir2, two)) = (run("1"), run("2"));
    for field in ["totals", "failures_per_check", "validity", "trials"] {
        assert_eq!(one[field], two[field], "{field}");
    }
    let seeds: Vec<u64> = one["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds.len(), two["failures"].as_array().unwrap().len());
    for seed in seeds {
        for file in ["history.jsonl", "trace.jsonl", "verdict.json"] {
            let path = |dir: &Path| dir.join("failures").join(seed.to_string()).join(file);
            assert_eq!(
                fs::read(path(&dir1)).unwrap(),
                fs::read(path(&dir2)).unwrap(),
                "{seed}/{file}"
            );
        }
    }
}

#[test]
fn bad_input_gets_a_clear_message_and_exit_2() {
    let dir = scratch("bad");
    let malformed = dir.join("bad.edn");
    fs::write(&malformed, "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read :value [1 2}\n").unwrap();
    let old_trial = dir.join("trial.json");
    fs::write(
        &old_trial,
        r#"{"tool": "raftstorm", "version": "0.0.1", "format": 1}"#,
    )
    .unwrap();
    let broken_trial = dir.join("broken.json");
    fs::write(&broken_trial, "{\"tool\": \"raftstorm\",\n  \"version\": ").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["campaign", "--frobnicate"], "--frobnicate"),
        (vec!["campaign", "--shard", "3/3"], "malformed shard"),
        (
            vec!["campaign", "--bug", "vote-thrice"],
            "unknown raft-core bug 'vote-thrice'",
        ),
        (
            vec!["campaign", "--nemesis", "meteor"],
            "unknown fault kind 'meteor'",
        ),
        (
            vec!["check", "--model", "kv", "/nonexistent/history.jsonl"],
            "/nonexistent/history.jsonl",
        ),
        (
            vec!["check", "--model", "register", malformed.to_str().unwrap()],
            "bad.edn:2:",
        ),
        (
            vec!["check", "--model", "paxos", malformed.to_str().unwrap()],
            "paxos",
        ),
        (
            vec!["replay", old_trial.to_str().unwrap()],
            "written by raftstorm 0.0.1",
        ),
        (
            vec!["replay", broken_trial.to_str().unwrap()],
            "broken.json:2:",
        ),
        (vec!["replay", "/nonexistent/trial.json"], "cannot read"),
        (
            vec!["merge", broken_trial.to_str().unwrap()],
            "broken.json:2:",
        ),
    ];
    for (args, words) in cases {
        let run = raftstorm(&args);
        let message = stderr(&run);
        assert_eq!(code(&run), 2, "{args:?}: {message}");
        assert!(message.contains(words), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{args:?}: {message}");
    }
}

#[test]
fn bench_prints_every_figure_and_the_corpus_verdicts() {
    let run = raftstorm(&[
        "bench",
        "--trials",
        "20",
        "--repeat",
        "1",
        "--checker-runs",
        "1",
        "--corpus",
        &testdata(""),
    ]);
    assert_eq!(code(&run), 0, "{}{}", stdout(&run), stderr(&run));
    let text = stdout(&run);
    for figure in [
        "events/s",
        "x real time",
        "trials/s",
        "MiB resident",
        "102 etcd logs",
        "6 kv files",
        "speed-up",
        "verdicts: 108 of 108 as expected",
    ] {
        assert!(text.contains(figure), "no `{figure}` in:\n{text}");
    }
}

#[test]
fn a_campaign_whose_checker_runs_out_of_budget_exits_3() {
    let out = scratch("unknown");
    let run = raftstorm(&[
        "campaign",
        "--trials",
        "4",
        "--clients",
        "12",
        "--keys",
        "1",
        "--max-states",
        "50",
        "--search-only",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&run), 3, "{}{}", stdout(&run), stderr(&run));
    let report = report(&out);
    assert_eq!(report["totals"]["invalid"], 0);
    assert!(report["totals"]["unknown"].as_u64().unwrap() >= 1);
}
