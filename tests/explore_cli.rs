//! `raftstorm explore` run as users run it: the exit code CI gates on (0
//! exhausted and clean, 1 a violation, 2 bad flags, 3 inconclusive), the
//! report on stdout and the counterexample artifact `--out` writes.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

fn raftstorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftstorm"))
        .arg("explore")
        .args(["--threads", "1", "--quiet"])
        .args(args)
        .output()
        .expect("the binary runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raftstorm-explore-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn correct_scopes_exhaust_with_exit_0_and_say_so() {
    // Small scopes in which every `sometimes` property is reached, so that
    // exit 0 means something: two nodes with a read and a heartbeat, and
    // three nodes with a timeout budget (a targeted scope).
    let cases: [&[&str]; 2] = [
        &[
            "--nodes",
            "2",
            "--max-log",
            "2",
            "--requests",
            "1",
            "--heartbeats",
            "1",
        ],
        &["--max-term", "2", "--timeouts", "2,1,0"],
    ];
    for args in cases {
        let output = raftstorm(args);
        let stdout = text(&output.stdout);
        assert_eq!(
            code(&output),
            0,
            "{args:?}:\n{stdout}{}",
            text(&output.stderr)
        );
        assert!(stdout.contains("; scope exhausted"), "{args:?}:\n{stdout}");
        assert!(stdout.contains("(exit 0)"), "{args:?}:\n{stdout}");
        assert!(!stdout.contains("VIOLATED"), "{args:?}:\n{stdout}");
    }
}

#[test]
fn a_planted_bug_exits_1_and_writes_a_readable_counterexample() {
    let out = scratch_file("vote-twice.txt");
    let output = raftstorm(&[
        "--bug",
        "vote-twice",
        "--max-term",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    let artifact = fs::read_to_string(&out).expect("--out wrote the report");
    assert!(
        text(&output.stdout).contains(&artifact),
        "stdout carries the report"
    );
    // The path, one action a line in trace notation, with what each node
    // reported, and the trace checker's independent verdict.
    let expected = [
        "planted bugs: vote-twice",
        "election-safety        VIOLATED (shortest counterexample found: 6 steps)",
        "counterexample to election-safety (6 steps):",
        "   1. n0 election timeout",
        "        n0 candidate in term 1",
        "deliver n1→n0 RequestVote(term 1, last 0/0)",
        "n0 votes for n1 in term 1",
        "deliver n0→n1 RequestVoteResponse(term 1, granted)",
        "n1 leader in term 1",
        "trace checker agrees: election-safety",
        "verdict: VIOLATION of election-safety (exit 1)",
    ];
    for line in expected {
        assert!(artifact.contains(line), "missing {line:?} in:\n{artifact}");
    }
    let steps = artifact
        .lines()
        .filter(|line| {
            line.trim_start()
                .split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(steps, 6, "{artifact}");
}

#[test]
fn bad_flags_exit_2_with_a_clear_error() {
    // (flags, what the error must say)
    let cases: [(&[&str], &str); 6] = [
        (&["--network", "fifo"], "unknown network 'fifo'"),
        (&["--max-term", "0"], "--max-term must be 1..=16"),
        (&["--bug", "no-such-bug"], "no-such-bug"),
        (
            &["--timeouts", "1,2"],
            "--timeouts 1,2 names 2 nodes, the cluster has 3",
        ),
        (&["--timeouts", "1,x,0"], "'x' is not a count"),
        (&["--dfs", "--simulation"], "cannot be used with"),
    ];
    for (args, message) in cases {
        let output = raftstorm(args);
        let stderr = text(&output.stderr);
        assert_eq!(code(&output), 2, "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: explored anyway");
    }
}
