//! Every history of Porcupine's test data parses and pairs, with counts
//! checked against numbers taken independently of our code (with grep).

use histories::format::{self, Format, Parsed};
use histories::{Function, OpType, Outcome, Process, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/porcupine")
}

/// The files listed in MANIFEST.tsv (header skipped), with their model.
fn manifest() -> Vec<(PathBuf, String)> {
    let text = std::fs::read_to_string(testdata().join("MANIFEST.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            let file = fields.next().unwrap();
            let model = fields.next().unwrap();
            (testdata().join(file), model.to_string())
        })
        .collect()
}

fn format_for(model: &str) -> Format {
    match model {
        "etcd-register" => Format::PorcupineEtcd,
        "kv" => Format::PorcupineKv,
        other => panic!("unknown model {other} in the manifest"),
    }
}

fn read(relative: &str, format: Format) -> Parsed {
    format::read_path(&testdata().join(relative), Some(format)).unwrap()
}

#[test]
fn every_manifest_file_parses_detects_and_pairs() {
    let files = manifest();
    // README.md: 108 files, 102 Jepsen etcd logs and 6 kv logs.
    assert_eq!(files.len(), 108);
    let mut total_records = 0;
    for (path, model) in &files {
        let format = format_for(model);
        let parsed = format::read_path(path, None).unwrap_or_else(|err| panic!("{err}"));
        let explicit = format::read_path(path, Some(format)).unwrap();
        assert_eq!(
            parsed,
            explicit,
            "{}: detected a different format",
            path.display()
        );
        assert!(!parsed.history.is_empty(), "{}", path.display());
        assert_eq!(parsed.positions.len(), parsed.history.len());
        for (i, op) in parsed.history.ops.iter().enumerate() {
            assert_eq!(op.index, i as u64);
        }
        let operations = parsed.operations().unwrap_or_else(|err| panic!("{err}"));
        assert!(!operations.is_empty());
        total_records += parsed.history.len();
    }
    // `grep -c . testdata/porcupine/jepsen/*.log` sums to 17046 (every line
    // of these logs is an operation line), and
    // `cat testdata/porcupine/kv/*.txt | wc -l` gives 9148 (one map a line).
    assert_eq!(total_records, 17046 + 9148);
}

#[test]
fn etcd_000_counts_match_grep() {
    let parsed = read("jepsen/etcd_000.log", Format::PorcupineEtcd);
    // grep -cE '^INFO +jepsen\.util +- +[0-9]+[[:space:]]' etcd_000.log
    assert_eq!(parsed.history.len(), 170);
    let operations = parsed.operations().unwrap();
    // grep -cP '\s:invoke\s' etcd_000.log
    assert_eq!(operations.len(), 85);
    let count = |outcome| operations.iter().filter(|op| op.outcome == outcome).count();
    // grep -cP '\s:ok\s' → 49; grep -cP '\s:fail\s+:cas' → 20;
    // grep -cP '\s:info\s' → 16 (all `:timed-out`), no invoke left open.
    assert_eq!(
        (
            count(Outcome::Ok),
            count(Outcome::Fail),
            count(Outcome::Info)
        ),
        (49, 20, 16)
    );
    assert!(operations.iter().all(|op| op.key.is_none()));
    // The first lines: `0 :invoke :read nil`, ..., `2 :invoke :write 4`.
    assert_eq!(
        (operations[0].process, &operations[0].f),
        (0, &Function::Read)
    );
    assert_eq!(operations[2].input, Value::Int(4));
    // Line 19: `2 :invoke :cas [3 0]`, line 20: `2 :ok :cas [3 0]`.
    let cas = operations.iter().find(|op| op.f == Function::Cas).unwrap();
    assert_eq!(cas.input, Value::List(vec![Value::Int(3), Value::Int(0)]));
    assert_eq!(parsed.position(cas.invoke_index).unwrap().line, 19);
    assert_eq!(
        parsed.position(cas.complete_index.unwrap()).unwrap().line,
        20
    );
}

#[test]
fn etcd_100_timeouts_become_info_and_move_their_process() {
    let parsed = read("jepsen/etcd_100.log", Format::PorcupineEtcd);
    // Line 88 is `3 :fail :read :timed-out`: indeterminate.
    let at_88 = parsed.positions.iter().position(|p| p.line == 88).unwrap();
    let timeout = &parsed.history.ops[at_88];
    assert_eq!(timeout.kind, OpType::Info);
    assert_eq!(timeout.error.as_deref(), Some("timed-out"));
    assert_eq!(timeout.value, Value::Nil);
    // Line 93: process 3 invokes again; it continues under a fresh number,
    // one past the largest in the log (20, by awk over the process column).
    let next = &parsed.history.ops[at_88 + 5];
    assert_eq!(parsed.positions[at_88 + 5].line, 93);
    assert_eq!(
        (next.kind, next.process),
        (OpType::Invoke, Process::Client(21))
    );

    let operations = parsed.operations().unwrap();
    // grep -cP '\s:invoke\s' → 77; ok 44, fail-cas 17, and 11 `:info` plus
    // 5 `:fail :read :timed-out` are info.
    assert_eq!(operations.len(), 77);
    let count = |outcome| operations.iter().filter(|op| op.outcome == outcome).count();
    assert_eq!(
        (
            count(Outcome::Ok),
            count(Outcome::Fail),
            count(Outcome::Info)
        ),
        (44, 17, 16)
    );
    // 15 distinct process numbers in the log, and 4 invokes that follow an
    // indeterminate result of their process (an awk pass over the log).
    let processes: BTreeSet<u64> = operations.iter().map(|op| op.process).collect();
    assert_eq!(processes.len(), 15 + 4);
    assert_eq!(
        processes.range(21..).copied().collect::<Vec<_>>(),
        [21, 22, 23, 24]
    );
}

#[test]
fn kv_counts_match_grep() {
    // (file, `grep -c . file`, `grep -c ':type :invoke' file`)
    for (file, records, invokes) in [("kv/c01-ok.txt", 116, 58), ("kv/c50-bad.txt", 4048, 2024)] {
        let parsed = read(file, Format::PorcupineKv);
        assert_eq!(parsed.history.len(), records, "{file}");
        let operations = parsed.operations().unwrap();
        assert_eq!(operations.len(), invokes, "{file}");
        assert!(operations.iter().all(|op| op.outcome == Outcome::Ok));
        // `grep -o ':key "[^"]*"' file | sort -u | wc -l` → 10 keys.
        let keys: BTreeSet<&Value> = operations.iter().filter_map(|op| op.key.as_ref()).collect();
        assert_eq!(keys.len(), 10, "{file}");
    }
    // c01-ok.txt line 1: `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`
    let parsed = read("kv/c01-ok.txt", Format::PorcupineKv);
    let first = &parsed.history.ops[0];
    assert_eq!(
        (first.f.clone(), first.key.clone()),
        (Function::Append, Some(Value::str("0")))
    );
    assert_eq!(first.value, Value::str("x 0 0 y"));
    assert_eq!(parsed.positions[1].line, 2);
}

#[test]
fn kv_files_read_the_same_as_plain_edn() {
    let path = testdata().join("kv/c10-ok.txt");
    let kv = format::read_path(&path, Some(Format::PorcupineKv)).unwrap();
    let edn = format::read_path(&path, Some(Format::Edn)).unwrap();
    assert_eq!((kv.history, kv.positions), (edn.history, edn.positions));
}

/// Prints how long each format takes on the largest files. Run with
/// `cargo test --release -p histories --test porcupine_data -- --ignored --nocapture`.
#[test]
#[ignore = "prints timings; run by hand"]
fn print_parse_timings() {
    for (file, format) in [
        ("kv/c50-bad.txt", Format::PorcupineKv),
        ("kv/c50-ok.txt", Format::PorcupineKv),
        ("jepsen/etcd_000.log", Format::PorcupineEtcd),
    ] {
        let text = std::fs::read_to_string(testdata().join(file)).unwrap();
        let history = format::parse(&text, file, format).unwrap().history;
        let mut jsonl = Vec::new();
        format::write_jsonl(&history, &mut jsonl).unwrap();
        let mut edn = Vec::new();
        format::write_edn(&history, &mut edn).unwrap();
        let inputs = [
            (format, text.as_str()),
            (Format::Jsonl, std::str::from_utf8(&jsonl).unwrap()),
            (Format::Edn, std::str::from_utf8(&edn).unwrap()),
        ];
        for (format, text) in inputs {
            let rounds = 20;
            let started = std::time::Instant::now();
            for _ in 0..rounds {
                let parsed = format::parse(text, file, format).unwrap();
                assert_eq!(parsed.history.len(), history.len());
            }
            let per_parse = started.elapsed() / rounds;
            let mb_per_s = text.len() as f64 / per_parse.as_secs_f64() / 1e6;
            println!(
                "{file:22} as {format:15} {:>8} bytes {:>6} records {per_parse:>10.2?} per parse ({mb_per_s:.0} MB/s)",
                text.len(),
                history.len()
            );
        }
    }
}
