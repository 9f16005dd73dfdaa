//! Property tests: whatever the input, every parser returns `Ok` or a
//! well-formed `Err`, and never panics. Inputs are seeded (rand_pcg), so a
//! failure reproduces; the case number is in the message.
//!
//! Two generators: arbitrary bytes biased towards the characters and words
//! the formats care about, and mutations ([`fuzz::mutate`]: truncations,
//! bit flips, inserted brackets, quotes and escapes, deleted or repeated
//! spans and lines, splices, edge numbers) of valid files of every format,
//! the shipped Jepsen and Porcupine files among them. Whatever parses must
//! also survive a write and re-read unchanged: a parser that accepts
//! something must accept it fully. No parser may hold more than
//! [`fuzz::allowed_bytes`] for an input at its peak.
//!
//! `RAFTSTORM_FUZZ_CASES=N` runs N cases per generator instead of 3000.

mod fuzz;

use histories::format::{self, Format, Parsed};
use histories::History;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// Cases per generator; each case goes through all four parsers and
/// detection.
fn case_count() -> usize {
    fuzz::cases(3000)
}

/// Fragments that steer random text towards the interesting corners of
/// every format's grammar.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "\\",
    ":",
    "#",
    "#_",
    "#{",
    "#tag",
    "##",
    ";",
    "\n",
    "\r\n",
    " ",
    "\t",
    ",",
    ":type",
    ":invoke",
    ":ok",
    ":info",
    ":process",
    ":nemesis",
    ":f",
    ":read",
    ":index",
    ":value",
    ":error",
    ":key",
    "nil",
    "true",
    "0",
    "1",
    "-",
    "+",
    "N",
    "1.5",
    "99999999999999999999",
    "\\u",
    "\\uD83D",
    "\\n",
    "\\q",
    "INFO  jepsen.util - ",
    "7\t:invoke\t",
    ":cas\t[1 2]",
    "{\"",
    "\"index\":",
    "\"type\":\"ok\"",
    "null",
    "é",
    "\u{feff}",
    "\u{0}",
];

fn arbitrary_text(rng: &mut Pcg64) -> String {
    let mut bytes = Vec::new();
    for _ in 0..rng.gen_range(0..60) {
        if rng.gen_bool(0.4) {
            bytes.push(rng.gen::<u8>());
        } else {
            bytes.extend_from_slice(FRAGMENTS[rng.gen_range(0..FRAGMENTS.len())].as_bytes());
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Valid inputs of every format to mutate.
fn seeds() -> Vec<String> {
    let jsonl = [
        r#"{"index":0,"time_ns":5,"type":"invoke","process":1,"f":"cas","key":"k","value":[1,2]}"#,
        r#"{"index":1,"type":"info","process":"nemesis","f":"start","value":{"keyword":"all"}}"#,
        r#"{"index":2,"type":"fail","process":1,"f":"cas","key":"k","value":[1,2],"error":"x"}"#,
    ]
    .join("\n");
    let edn = "[{:index 0, :time 12, :type :invoke, :process 3, :f :cas, :key \"k\", :value [1 2]}\n\
               #jepsen.history.Op{:index 1 :type :info :process :nemesis :f :kill :value #{\"n1\"}}\n\
               {:index 2, :type :ok, :process 3, :f :cas, :value [1 2], :extra {:a 1.5 :b sym}}]"
        .to_string();
    let etcd = "INFO  jepsen.core - setup\n\
                INFO  jepsen.util - 3\t:invoke\t:cas\t[3 0]\n\
                INFO  jepsen.util - 4\t:invoke\t:read\tnil\n\
                INFO  jepsen.util - 3\t:fail\t:cas\t[3 0]\n\
                INFO  jepsen.util - 4 :fail :read :timed-out\n\
                INFO  jepsen.util - 4\t:invoke\t:write\t2\n"
        .to_string();
    let kv = "{:process 9, :type :invoke, :f :append, :key \"0\", :value \"x 9 0 y\"}\n\
              {:process 1, :type :invoke, :f :get, :key \"9\", :value nil}\n\
              {:process 1, :type :ok, :f :get, :key \"9\", :value \"x \\\"5\\\" \\u00e9\"}\n"
        .to_string();
    for (text, format) in [
        (&jsonl, Format::Jsonl),
        (&edn, Format::Edn),
        (&etcd, Format::PorcupineEtcd),
        (&kv, Format::PorcupineKv),
    ] {
        format::parse_and_pair(text, "seed", format).unwrap_or_else(|err| panic!("seed: {err}"));
    }
    let mut seeds = vec![jsonl, edn, etcd, kv];
    for (path, format) in SHIPPED {
        let text = std::fs::read_to_string(source_path(path)).unwrap();
        format::parse_and_pair(&text, path, *format).unwrap_or_else(|err| panic!("{err}"));
        seeds.push(text);
    }
    seeds
}

/// Real files of the source tree to mutate too, with their formats.
const SHIPPED: &[(&str, Format)] = &[
    ("testdata/jepsen/independent-cas-valid.edn", Format::Edn),
    ("examples/history.edn", Format::Edn),
    (
        "testdata/porcupine/jepsen/etcd_002.log",
        Format::PorcupineEtcd,
    ),
    ("testdata/porcupine/kv/c01-ok.txt", Format::PorcupineKv),
    ("testdata/raftstorm/one-key-12-clients.jsonl", Format::Jsonl),
];

fn source_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// The format each seed is in, by position in [`seeds`].
fn seed_format(index: usize) -> Format {
    const WRITTEN: [Format; 4] = [
        Format::Jsonl,
        Format::Edn,
        Format::PorcupineEtcd,
        Format::PorcupineKv,
    ];
    WRITTEN
        .get(index)
        .copied()
        .unwrap_or_else(|| SHIPPED[index - WRITTEN.len()].1)
}

/// [`fuzz::mutate`] over text, with the other seeds to splice from.
fn mutate(rng: &mut Pcg64, text: &str, seeds: &[Vec<u8>]) -> String {
    String::from_utf8_lossy(&fuzz::mutate(rng, text.as_bytes(), seeds)).into_owned()
}

/// Runs every parser on `text` and checks the shape of what comes back.
fn check_all_parsers(text: &str, case: usize) {
    let lines = text.split('\n').count() as u32;
    let detected = format::detect("input", text);
    for format in Format::ALL.into_iter().chain([detected]) {
        let context = || format!("case {case}, {format}, input {text:?}");
        let (result, peak) = fuzz::peak_during(|| format::parse_and_pair(text, "input", format));
        assert!(
            peak <= fuzz::allowed_bytes(text.len()),
            "{peak} bytes held for {} bytes of input ({})",
            text.len(),
            context()
        );
        match result {
            Ok((parsed, operations)) => {
                check_parsed(&parsed, format, &context);
                assert!(operations.len() <= parsed.history.len(), "{}", context());
            }
            Err(err) => {
                assert!(err.line >= 1 && err.line <= lines, "{err} ({})", context());
                assert!(err.col >= 1, "{err} ({})", context());
                assert!(!err.expected.is_empty(), "{}", context());
                assert!(
                    !err.found.is_empty() && !err.found.contains('\n'),
                    "{err} ({})",
                    context()
                );
                // Excerpts are short; pairing messages are a sentence.
                assert!(err.found.chars().count() <= 200, "{err} ({})", context());
            }
        }
    }
}

/// A parsed history is consistent, and survives a write and re-read in
/// both written formats.
fn check_parsed(parsed: &Parsed, format: Format, context: &dyn Fn() -> String) {
    assert_eq!(
        parsed.positions.len(),
        parsed.history.len(),
        "{}",
        context()
    );
    for (i, op) in parsed.history.ops.iter().enumerate() {
        assert_eq!(op.index, i as u64, "{}", context());
    }
    assert_eq!(
        rewrite(&parsed.history, Format::Jsonl),
        Some(parsed.history.clone()),
        "{}",
        context()
    );
    let edn = rewrite(&parsed.history, Format::Edn);
    // Keywords read from JSON may have names EDN cannot spell; everything
    // read from EDN or a log can be written back.
    if format != Format::Jsonl || edn.is_some() {
        assert_eq!(edn, Some(parsed.history.clone()), "{}", context());
    }
}

/// `history` written in `format` and read back, or `None` when the writer
/// refuses it.
fn rewrite(history: &History, format: Format) -> Option<History> {
    let mut out = Vec::new();
    let written = match format {
        Format::Jsonl => format::write_jsonl(history, &mut out),
        _ => format::write_edn(history, &mut out),
    };
    written.ok()?;
    let text = String::from_utf8(out).expect("writers write UTF-8");
    Some(
        format::parse(&text, "rewritten", format)
            .expect("written histories read back")
            .history,
    )
}

#[test]
fn arbitrary_text_never_panics() {
    let mut rng = Pcg64::seed_from_u64(0x5eed_0001);
    for case in 0..case_count() {
        let text = arbitrary_text(&mut rng);
        check_all_parsers(&text, case);
    }
}

#[test]
fn mutated_valid_inputs_never_panic() {
    let seeds = seeds();
    let raw: Vec<Vec<u8>> = seeds.iter().map(|s| s.clone().into_bytes()).collect();
    let mut rng = Pcg64::seed_from_u64(0x5eed_0002);
    let mut accepted = 0;
    let cases = case_count();
    for case in 0..cases {
        let seed = &seeds[case % seeds.len()];
        let text = mutate(&mut rng, seed, &raw);
        if format::parse(&text, "input", seed_format(case % seeds.len())).is_ok() {
            accepted += 1;
        }
        check_all_parsers(&text, case);
    }
    // The mutations must exercise both outcomes to mean anything.
    assert!(
        accepted > cases / 20 && accepted < cases * 19 / 20,
        "{accepted} of {cases} accepted"
    );
}

#[test]
fn arbitrary_bytes_from_files_never_panic() {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("never-panics.bin");
    let mut rng = Pcg64::seed_from_u64(0x5eed_0003);
    let seeds = seeds();
    let raw: Vec<Vec<u8>> = seeds.iter().map(|s| s.clone().into_bytes()).collect();
    for case in 0..case_count() / 10 {
        let mut bytes = mutate(&mut rng, &seeds[case % seeds.len()], &raw).into_bytes();
        // Break UTF-8 somewhere in most cases.
        if case % 4 != 0 && !bytes.is_empty() {
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.gen_range(0x80..=0xff);
        }
        std::fs::write(&path, &bytes).unwrap();
        for format in [
            None,
            Some(Format::Jsonl),
            Some(Format::Edn),
            Some(Format::PorcupineEtcd),
        ] {
            match format::read_path(&path, format) {
                Ok(parsed) => assert_eq!(parsed.positions.len(), parsed.history.len()),
                Err(format::ReadError::Parse(err)) => {
                    assert!(err.line >= 1 && err.col >= 1, "{err}")
                }
                Err(err) => panic!("case {case}: {err}"),
            }
        }
    }
}
