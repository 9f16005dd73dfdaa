//! The gate never lies: every way a run could check nothing, or less than
//! was asked, or be fed bad input, gets a non-zero exit code and a message
//! that says why. One table row per case: arguments, exit code, and a
//! fragment of what the binary prints (stdout and stderr together).

use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn raftstorm(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftstorm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Files the table's cases read, made once in a scratch directory.
fn fixtures() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raftstorm-gate-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("empty.jsonl"), "").unwrap();
    fs::write(dir.join("chatter.log"), "INFO  jepsen.core - setting up\n").unwrap();
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let output = raftstorm(&args);
        assert!(output.status.code().is_some(), "{}", printed(&output));
    };
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    for shard in ["0", "1"] {
        run(&[
            "campaign",
            "--trials",
            "8",
            "--shard",
            &format!("{shard}/4"),
            "--threads",
            "1",
            "--duration-ms",
            "2000",
            "--quiet",
            "--out",
            &path(&format!("shard-{shard}")),
        ]);
    }
    run(&[
        "replay",
        "--seed",
        "5",
        "--nodes",
        "5",
        "--out",
        &path("replayed"),
    ]);
    write_trial_variants(&dir);
    write_report_variants(&dir);
    dir
}

/// Edits of a good trial.json, each breaking one field.
fn write_trial_variants(dir: &Path) {
    let good: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("replayed/trial.json")).unwrap())
            .unwrap();
    let heal = json!({"at_ms": 6500, "fault": {"fault": "heal-all"}});
    let variants = [
        (
            "size-4",
            "/trial/config/world/cluster/cluster_size",
            json!(4),
            Some(json!([{"at_ms": 900, "fault": {"fault": "crash", "node": 4}}, heal])),
        ),
        (
            "node-42",
            "/trial/seed",
            json!(5),
            Some(json!([{"at_ms": 900, "fault": {"fault": "pause", "node": 42}}, heal])),
        ),
        (
            "partition-99",
            "/trial/seed",
            json!(5),
            Some(
                json!([{"at_ms": 900, "fault": {"fault": "partition", "shape": "halves",
                                               "minority": [1, 99]}}, heal]),
            ),
        ),
        (
            "endless",
            "/trial/config/world/timeline/end_ms",
            json!(u64::MAX),
            None,
        ),
        (
            "clients",
            "/trial/config/world/clients/count",
            json!(1_000_000),
            None,
        ),
    ];
    for (name, pointer, value, faults) in variants {
        let mut trial = good.clone();
        *trial.pointer_mut(pointer).unwrap() = value;
        if let Some(faults) = faults {
            *trial.pointer_mut("/trial/schedule/faults").unwrap() = faults;
        }
        fs::write(dir.join(format!("{name}.json")), trial.to_string()).unwrap();
    }
}

/// Edits of a good report.json, each breaking one field.
fn write_report_variants(dir: &Path) {
    let good: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("shard-0/report.json")).unwrap())
            .unwrap();
    let variants = [
        ("zero-shards", "/shards/0/count", json!(0)),
        ("claims-valid", "/totals/invalid", json!(1)),
        ("bad-config", "/config/world/cluster/cluster_size", json!(0)),
    ];
    for (name, pointer, value) in variants {
        let mut report = good.clone();
        *report.pointer_mut(pointer).unwrap() = value;
        if name == "claims-valid" {
            report["totals"]["valid"] = json!(report["totals"]["trials"].as_u64().unwrap() - 1);
        }
        fs::write(dir.join(format!("{name}.report.json")), report.to_string()).unwrap();
    }
}

/// (arguments, exit code, fragment). `{dir}` is the fixtures directory;
/// paths without it are relative to the source tree.
const CASES: &[(&str, i32, &str)] = &[
    // Silent passes that are no longer passes.
    ("merge {dir}/shard-0/report.json {dir}/shard-1/report.json", 4,
     "2 of 4 shards merged, missing 2/4, 3/4; 4 of 8 requested trials ran"),
    ("merge {dir}/shard-0/report.json {dir}/shard-1/report.json --out {dir}/m.json", 4,
     "INCOMPLETE: 2 of 4 shards merged"),
    ("campaign --trials 0 --out {dir}/o", 2, "--trials"),
    ("campaign --clients 0 --out {dir}/o", 2, "--clients"),
    ("check --model kv {dir}/empty.jsonl", 2, "no operations to check: the file is empty"),
    ("check --model kv /dev/null", 2, "/dev/null: no operations to check: the file is empty"),
    ("check --model cas-register --format porcupine-etcd examples/history.edn", 2,
     "examples/history.edn:1:1: no operations to check: nothing in the file is a porcupine-etcd record, so the format does not match"),
    ("check --model kv {dir}/chatter.log", 2, "format does not match"),
    ("campaign --nodes 10 --out {dir}/o", 2, "10 is not in 1..=9"),
    ("campaign --nodes 0 --out {dir}/o", 2, "0 is not in 1..=9"),
    ("campaign --nodes 4 --trials 2 --duration-ms 2000 --threads 1 --out {dir}/n4", 0,
     "verdict: valid"),
    ("campaign --nodes 1 --trials 2 --duration-ms 2000 --threads 1 --out {dir}/n1", 0,
     "verdict: valid"),
    ("campaign --trials 1000000 --time-limit 300ms --threads 1 --out {dir}/cut", 4,
     "INCOMPLETE: stopped by the time limit"),
    ("campaign --trials 1000000 --time-limit 300ms --threads 1 --quiet --out {dir}/cut", 4,
     "incomplete: stopped by the time limit"),
    // Independent histories.
    ("check --model cas-register testdata/jepsen/independent-cas-valid.edn", 1,
     "pass --independent for a verdict per key"),
    ("check --model cas-register --independent testdata/jepsen/independent-cas-valid.edn", 0,
     "key 1: linearizable (5 ops)"),
    ("check --model cas-register --independent testdata/jepsen/independent-cas-stale-read-on-key-1.edn",
     1, "key 1: NOT linearizable (5 ops)\n  key 2: linearizable (6 ops)\n  failures: [1]"),
    ("check --model cas-register --independent --json testdata/jepsen/independent-cas-stale-read-on-key-1.edn",
     1, "\"failures\": [\n      \"1\"\n    ]"),
    ("check --model kv --independent testdata/raftstorm/one-key-12-clients.jsonl", 0,
     "--independent, but no value is a [k v] tuple"),
    // Bad trial.json: the field's JSON path and what was expected.
    ("replay {dir}/size-4.json", 2,
     "size-4.json: trial.schedule.faults[0].fault.node: node 4 is not in a 4-node cluster"),
    ("replay {dir}/node-42.json", 2,
     "node-42.json: trial.schedule.faults[0].fault.node: node 42 is not in a 5-node cluster"),
    ("replay {dir}/partition-99.json", 2,
     "trial.schedule.faults[0].fault.minority[1]: node 99 is not in a 5-node cluster"),
    ("replay {dir}/endless.json", 2,
     "trial.config.world.timeline.end_ms: 18446744073709551615 is out of range: expected 1..=3600000"),
    ("replay {dir}/clients.json", 2,
     "trial.config.world.clients.count: 1000000 is out of range: expected 0..=1024"),
    // Bad report.json.
    ("merge {dir}/zero-shards.report.json", 2, "zero-shards.report.json: shards[0].count"),
    ("merge {dir}/claims-valid.report.json", 2,
     "validity: valid disagrees with the totals, which say invalid"),
    ("merge {dir}/bad-config.report.json", 2, "bad-config.report.json: config.world.cluster.cluster_size: 0 is out of range: expected 1..=64"),
    // Endless input.
    ("check --model kv /dev/zero", 2,
     "/dev/zero:1:1: expected a line of at most 16 MiB, found no line break in its first 16 MiB"),
    ("replay /dev/zero", 2, "/dev/zero: cannot read: the file is larger than the 16 MiB"),
    ("merge /dev/zero", 2, "/dev/zero:1:1: expected value"),
    ("campaign --duration-ms 99999999999 --out {dir}/o", 2, "is not in 2000..=3600000"),
    // Outputs that cannot be written.
    ("campaign --trials 1000000 --out /proc/raftstorm-cannot/out", 2,
     "--out /proc/raftstorm-cannot/out: cannot write there"),
    ("campaign --bug apply-before-commit --trials 2 --duration-ms 2000 --threads 1 --quiet --out {dir}/bug --junit /proc/raftstorm-cannot/junit.xml",
     1, "/proc/raftstorm-cannot/junit.xml: cannot write"),
    ("campaign --trials 2 --duration-ms 2000 --threads 1 --quiet --out {dir}/ok --junit /proc/raftstorm-cannot/junit.xml",
     2, "/proc/raftstorm-cannot/junit.xml: cannot write"),
];

#[test]
fn every_silent_pass_and_bad_input_gets_its_exit_code_and_message() {
    let dir = fixtures();
    let mut failures = Vec::new();
    for &(line, expected_code, fragment) in CASES {
        let args: Vec<String> = line
            .split(' ')
            .map(|arg| arg.replace("{dir}", dir.to_str().unwrap()))
            .collect();
        let output = raftstorm(&args);
        let text = printed(&output);
        let fragment = fragment.replace("{dir}", dir.to_str().unwrap());
        if output.status.code() != Some(expected_code) || !text.contains(&fragment) {
            failures.push(format!(
                "raftstorm {line}\n  expected exit {expected_code} and {fragment:?}\n  got {:?}:\n{text}",
                output.status.code()
            ));
        }
    }
    let _ = fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The README's `raftstorm check` lines run as written, from the source
/// tree, and give a verdict (not a usage error).
#[test]
fn the_readmes_check_lines_run_as_written() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let lines: Vec<&str> = readme
        .lines()
        .filter(|line| line.starts_with("raftstorm check "))
        .collect();
    assert!(
        lines.contains(&"raftstorm check --model cas-register examples/history.edn"),
        "{lines:?}"
    );
    let pages = std::env::temp_dir().join(format!("raftstorm-readme-{}", std::process::id()));
    fs::create_dir_all(&pages).unwrap();
    for line in lines {
        let mut args: Vec<String> = line.split_whitespace().skip(1).map(String::from).collect();
        // A page the line writes goes to a scratch folder, not the source tree.
        if let Some(at) = args.iter().position(|arg| arg == "--html") {
            args[at + 1] = pages.join(&args[at + 1]).to_str().unwrap().to_string();
        }
        let output = raftstorm(&args);
        let code = output.status.code();
        let invalid = line.contains("etcd_000") || line.contains("-bad");
        let expected = if invalid { 1 } else { 0 };
        assert_eq!(code, Some(expected), "{line}\n{}", printed(&output));
    }
}
