//! `timeline.html` of known failures, read back from the JSON it embeds:
//! every operation once, the failing operation marked, node lanes and fault
//! bands where a trial has them, the proof of each kind of failure, and the
//! same bytes for the same trial.

mod timeline_fixtures;

use histories::format::{self, Format};
use std::collections::BTreeSet;
use std::fs;
use timeline_fixtures::*;

/// The operations of the page's history, by invoke record.
fn history_invokes(page: &Page) -> BTreeSet<u64> {
    let format = if page.trial {
        Format::Jsonl
    } else {
        Format::PorcupineKv
    };
    let parsed = format::read_path(&page.history, Some(format)).unwrap();
    parsed
        .operations()
        .unwrap()
        .iter()
        .map(|op| op.invoke_index)
        .collect()
}

#[test]
fn known_failures_are_drawn_with_their_proof() {
    let dir = scratch("structure");
    for page in known_failures(&dir) {
        let name = page.name;
        let html = fs::read_to_string(&page.html).unwrap();
        for external in ["http://", "https://", "<link", " src="] {
            assert!(
                !html.contains(external),
                "{name}: self-contained, yet {external}"
            );
        }
        let data = embedded_data(&html);
        let ops = data["ops"].as_array().unwrap();
        let drawn: Vec<u64> = ops.iter().map(|op| op["inv"].as_u64().unwrap()).collect();
        let unique: BTreeSet<u64> = drawn.iter().copied().collect();
        assert_eq!(
            unique.len(),
            drawn.len(),
            "{name}: an operation drawn twice"
        );
        assert_eq!(
            unique,
            history_invokes(&page),
            "{name}: every operation, once"
        );
        for (position, op) in ops.iter().enumerate() {
            assert_eq!(op["id"].as_u64(), Some(position as u64), "{name}");
        }
        let failure = data["failures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == page.check)
            .unwrap_or_else(|| panic!("{name}: no {} failure drawn", page.check));
        assert!(
            failure["window"].is_array(),
            "{name}: a window around the failure"
        );
        assert!(
            !failure["explanation"].as_str().unwrap().is_empty(),
            "{name}"
        );
        assert_proof(name, failure, ops);
        let nodes = data["nodes"].as_array().unwrap();
        let bands = data["bands"].as_array().unwrap();
        if page.trial {
            assert_eq!(nodes.len(), 5, "{name}: a lane per node");
            assert!(nodes
                .iter()
                .all(|lane| !lane["segments"].as_array().unwrap().is_empty()));
            assert!(
                !bands.is_empty(),
                "{name}: the trial's faults (the final heal at least)"
            );
            assert!(
                bands.iter().all(|b| b["t0"].as_u64() <= b["t1"].as_u64()),
                "{name}"
            );
        } else {
            assert!(nodes.is_empty(), "{name}: no trace, no node lanes");
        }
    }
}

/// What each kind of failure must show.
fn assert_proof(name: &str, failure: &serde_json::Value, ops: &[serde_json::Value]) {
    let marked: Vec<usize> = failure["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_u64().unwrap() as usize)
        .collect();
    match failure["check"].as_str().unwrap() {
        "linearizability" => {
            assert_eq!(marked.len(), 1, "{name}: the failing operation is marked");
            let text = ops[marked[0]]["text"].as_str().unwrap();
            assert!(
                failure["summary"].as_str().unwrap().contains(text),
                "{name}: {text}"
            );
            let path = failure["path"].as_array().unwrap();
            assert!(
                !path.is_empty(),
                "{name}: the linearizable prefix as a path"
            );
            let times: Vec<u64> = path.iter().map(|p| p[1].as_u64().unwrap()).collect();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "{name}: the path goes forward"
            );
            assert!(!failure["states"].as_array().unwrap().is_empty(), "{name}");
        }
        "liveness" => {
            assert!(
                !marked.is_empty(),
                "{name}: the stalled operations are marked"
            );
            let window = failure["window"].as_array().unwrap();
            let (start, end) = (window[0].as_u64().unwrap(), window[1].as_u64().unwrap());
            for &id in &marked {
                let op = &ops[id];
                assert_eq!(op["outcome"], "info", "{name}");
                assert!(
                    start <= op["t0"].as_u64().unwrap(),
                    "{name}: window holds the stall"
                );
                assert!(op["t1"].as_u64().is_none_or(|t1| t1 <= end), "{name}");
            }
            assert!(
                !failure["context"].as_array().unwrap().is_empty(),
                "{name}: who led"
            );
        }
        _ => {
            let events = failure["events"].as_array().unwrap();
            assert!(!events.is_empty(), "{name}: the proving events");
            assert!(!failure["nodes"].as_array().unwrap().is_empty(), "{name}");
            assert!(failure["term"].is_u64(), "{name}: the term");
            assert!(
                events.iter().all(|e| e["node"].is_u64()),
                "{name}: on node lanes"
            );
        }
    }
}

#[test]
fn a_stale_read_names_the_node_that_served_it() {
    let dir = scratch("served");
    let page = bug_page(
        &dir,
        "stale-read",
        "read-without-quorum",
        "linearizability",
        true,
    );
    let data = embedded_data(&fs::read_to_string(&page.html).unwrap());
    let failure = &data["failures"][0];
    let failing = &data["ops"][failure["ops"][0].as_u64().unwrap() as usize];
    assert_eq!(failing["f"], "get");
    assert!(failing["node"].is_u64(), "the stale read's node: {failing}");
    let report = fs::read_to_string(page.html.with_file_name("report.txt")).unwrap();
    let answered = format!("was answered by n{}", failing["node"]);
    assert!(report.contains(&answered), "{report}");
}

#[test]
fn the_same_trial_gives_the_same_page() {
    let dir = scratch("determinism");
    let page = bug_page(&dir, "vote-twice", "vote-twice", "single-vote", false);
    let replayed = dir.join("replayed");
    let trial = page.html.with_file_name("trial.json");
    raftstorm(&[
        "replay",
        trial.to_str().unwrap(),
        "--out",
        replayed.to_str().unwrap(),
    ]);
    assert_eq!(
        fs::read(&page.html).unwrap(),
        fs::read(replayed.join("timeline.html")).unwrap()
    );
}

#[test]
fn check_draws_one_page_per_history_into_a_directory() {
    let dir = scratch("several");
    let corpus = format!("{}/testdata/porcupine/jepsen", env!("CARGO_MANIFEST_DIR"));
    let files = [
        format!("{corpus}/etcd_000.log"),
        format!("{corpus}/etcd_001.log"),
    ];
    let out = dir.join("pages");
    let run = raftstorm(&[
        "check",
        "--model",
        "etcd-register",
        "--html",
        out.to_str().unwrap(),
        &files[0],
        &files[1],
    ]);
    assert!(run.status.code().is_some_and(|c| c <= 1), "{run:?}");
    for name in ["etcd_000.log.html", "etcd_001.log.html"] {
        let data = embedded_data(&fs::read_to_string(out.join(name)).unwrap());
        assert_eq!(
            data["unit"], "record",
            "Porcupine's etcd logs have no times"
        );
        assert!(!data["ops"].as_array().unwrap().is_empty());
    }
}
