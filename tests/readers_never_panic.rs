//! The CLI's own readers over arbitrary and mutated input: `trial.json`
//! (replay) and `report.json` (merge). Whatever the bytes, they return a
//! value or an error that names the file, never panic, and hold no more
//! than a small multiple of the input. A trial.json that validates must
//! also run: validation is what stands between a file and the world's
//! indexes. Seeded, so a failure reproduces; `RAFTSTORM_FUZZ_CASES=N`
//! runs N cases per generator (default 1500).

#[path = "../histories/tests/fuzz/mod.rs"]
mod fuzz;

use checker::Validity;
use raftstorm::artifact::{self, TrialFile};
use raftstorm::report::{CampaignReport, FailureEntry, Shard};
use raftstorm::trial::{TrialConfig, TrialResult, TrialSpec};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use std::path::Path;

fn case_count() -> usize {
    fuzz::cases(1500)
}

/// Valid trial.json files: clusters of 1, 3, 5 and 9 nodes, each with the
/// schedule its seed draws.
fn trial_seeds() -> Vec<Vec<u8>> {
    [1u32, 3, 5, 9]
        .iter()
        .enumerate()
        .map(|(i, &nodes)| {
            let mut config = TrialConfig::default();
            config.world.cluster.cluster_size = nodes;
            let spec = TrialSpec::generate(config, 100 + i as u64);
            artifact::to_pretty_json(&TrialFile::new(spec, None))
        })
        .collect()
}

/// Valid report.json files: a whole campaign with a failure, and two
/// shards of another.
fn report_seeds() -> Vec<Vec<u8>> {
    let report = |shard: Shard, trials: u64, failed: &[u64]| {
        let mut report = CampaignReport::new(7, Some(12), TrialConfig::default(), shard);
        report.trials[0].count = trials;
        report.totals.trials = trials;
        report.totals.invalid = failed.len() as u64;
        report.totals.valid = trials - failed.len() as u64;
        for &index in failed {
            report.failures.push(FailureEntry {
                index,
                seed: index * 31,
                validity: Validity::Invalid,
                checks: vec!["linearizability".into()],
                artifact: format!("out/failures/{}", index * 31),
                replay: format!("raftstorm replay out/failures/{}/trial.json", index * 31),
                shrunk: Vec::new(),
                reason: None,
            });
            report
                .failures_per_check
                .insert("linearizability".into(), 1);
            report.validity = Validity::Invalid;
        }
        report.set_elapsed(1.5);
        artifact::to_pretty_json(&report)
    };
    vec![
        report(Shard::WHOLE, 12, &[3]),
        report(Shard { index: 0, count: 3 }, 4, &[]),
        report(Shard { index: 2, count: 3 }, 4, &[5]),
    ]
}

/// Arbitrary bytes, biased towards JSON's punctuation and this format's
/// words.
fn arbitrary_json(rng: &mut Pcg64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "null",
        "true",
        "0",
        "-1",
        "1e999",
        "\"tool\"",
        "\"raftstorm\"",
        "\"version\"",
        "\"0.1.0\"",
        "\"trial\"",
        "\"shards\"",
        "\"count\"",
        "\"faults\"",
        "\"node\"",
        "\\u0000",
        " ",
        "\n",
    ];
    let mut bytes = Vec::new();
    for _ in 0..rng.gen_range(0..80) {
        if rng.gen_bool(0.3) {
            bytes.push(rng.gen());
        } else {
            bytes.extend_from_slice(WORDS[rng.gen_range(0..WORDS.len())].as_bytes());
        }
    }
    bytes
}

/// Inputs for one reader: arbitrary bytes, then mutations of the seeds.
fn inputs(seed: u64, seeds: &[Vec<u8>]) -> impl Iterator<Item = (usize, Vec<u8>)> + '_ {
    let mut rng = Pcg64::seed_from_u64(seed);
    (0..2 * case_count()).map(move |case| {
        let bytes = match case % 2 {
            0 => arbitrary_json(&mut rng),
            _ => fuzz::mutate(&mut rng, &seeds[case % seeds.len()], seeds),
        };
        (case, bytes)
    })
}

/// An error names the file first, and is one line.
fn check_error(message: &str, case: usize, file: &str) {
    assert!(message.starts_with(file), "case {case}: {message}");
    assert!(!message.contains('\n'), "case {case}: {message}");
}

#[test]
fn trial_files_are_read_or_refused_never_panic_and_accepted_ones_run() {
    let seeds = trial_seeds();
    let (mut accepted, mut ran) = (0, 0);
    for (case, bytes) in inputs(0x7e1a_0001, &seeds) {
        let path = Path::new("trial.json");
        let (result, peak) = fuzz::peak_during(|| artifact::parse_trial_file(&bytes, path));
        assert!(
            peak <= fuzz::allowed_bytes(bytes.len()),
            "case {case}: {peak} bytes"
        );
        match result {
            Err(err) => check_error(&err.0, case, "trial.json"),
            Ok(file) => {
                accepted += 1;
                // Running is the proof that validation sufficed; keep the
                // runs short.
                let config = file.trial.config;
                if config.world.timeline.end_ms <= 12_000 && ran < 40 + case_count() / 40 {
                    ran += 1;
                    let _ = TrialResult::of(file.trial);
                }
            }
        }
    }
    eprintln!(
        "trial.json: {} cases, {accepted} accepted, {ran} run",
        2 * case_count()
    );
    assert!(accepted > 0 && ran > 0, "accepted {accepted}, ran {ran}");
}

#[test]
fn report_files_are_read_or_refused_and_accepted_ones_merge() {
    let seeds = report_seeds();
    let mut accepted = Vec::new();
    for (case, bytes) in inputs(0x7e1a_0002, &seeds) {
        let path = Path::new("report.json");
        let (result, peak) = fuzz::peak_during(|| artifact::read_report(&bytes[..], path));
        assert!(
            peak <= fuzz::allowed_bytes(bytes.len()),
            "case {case}: {peak} bytes"
        );
        match result {
            Err(err) => check_error(&err.0, case, "report.json"),
            Ok(report) => accepted.push(report),
        }
    }
    eprintln!(
        "report.json: {} cases, {} accepted",
        2 * case_count(),
        accepted.len()
    );
    assert!(accepted.len() > 10, "only {} accepted", accepted.len());
    // Whatever validated merges with anything else that did, or refuses
    // with a reason, and its summary, exit code and JUnit never panic.
    for pair in accepted.chunks(2) {
        let named = pair.iter().map(|r| ("r".to_string(), r.clone())).collect();
        if let Ok(merged) = CampaignReport::merge(named) {
            let _ = (
                merged.exit_code(),
                merged.shortfall(),
                merged.junit_xml(&["x"]),
            );
        }
    }
}
