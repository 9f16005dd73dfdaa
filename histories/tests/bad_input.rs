//! Bad input: every error names the exact line and column, what was
//! expected and what was found. Columns below were counted independently
//! (the 1-based index of the offending token in the line, by Python's
//! `str.find`).

use histories::format::{self, Format, ReadError};
use std::path::PathBuf;

/// One bad input: the text, where the error must be, a phrase the
/// "expected" part must contain, and the exact "found" part.
struct Case {
    name: &'static str,
    format: Format,
    text: String,
    line: u32,
    col: u32,
    expected: &'static str,
    found: &'static str,
}

fn case(
    name: &'static str,
    format: Format,
    lines: &[&str],
    (line, col): (u32, u32),
    expected: &'static str,
    found: &'static str,
) -> Case {
    Case {
        name,
        format,
        text: lines.join("\n"),
        line,
        col,
        expected,
        found,
    }
}

/// Checks each case through `parse_and_pair`, so that both parse and
/// pairing errors are covered by one path.
fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let file = format!("{}.txt", case.name);
        let err = match format::parse_and_pair(&case.text, &file, case.format) {
            Ok(_) => {
                failures.push(format!("{}: parsed without error", case.name));
                continue;
            }
            Err(err) => err,
        };
        let good = err.file == file
            && (err.line, err.col) == (case.line, case.col)
            && err.expected.contains(case.expected)
            && err.found == case.found;
        if !good {
            failures.push(format!(
                "{}: got `{err}`, wanted {}:{} expected …{}…, found {}",
                case.name, case.line, case.col, case.expected, case.found
            ));
        }
        // The display is the compiler-style one-liner.
        assert_eq!(
            err.to_string(),
            format!(
                "{file}:{}:{}: expected {}, found {}",
                err.line, err.col, err.expected, err.found
            )
        );
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

const JSON_INVOKE: &str = r#"{"index":0,"type":"invoke","process":1,"f":"read","value":null}"#;

#[test]
fn jsonl_errors() {
    use Format::Jsonl as J;
    let first = JSON_INVOKE;
    check(&[
        case(
            "truncated",
            J,
            &[
                first,
                r#"{"index":1,"type":"ok","process":1,"f":"read","value":nu"#,
            ],
            (2, 57),
            "the rest of a value",
            "end of line",
        ),
        case(
            "process-string",
            J,
            &[
                first,
                r#"{"index":1,"type":"ok","process":"x","f":"read","value":1}"#,
            ],
            (2, 34),
            "a process number or \"nemesis\"",
            "`\"x\"`",
        ),
        case(
            "type-bogus",
            J,
            &[
                first,
                r#"{"index":1,"type":"bogus","process":1,"f":"read","value":1}"#,
            ],
            (2, 19),
            "one of `invoke`, `ok`, `fail`, `info`",
            "`\"bogus\"`",
        ),
        case(
            "unbalanced",
            J,
            &[
                first,
                r#"{"index":1,"type":"ok","process":1,"f":"read","value":[1,2}"#,
            ],
            (2, 59),
            "`,` or `]`",
            "`}`",
        ),
        case(
            "unterminated-string",
            J,
            &[
                first,
                r#"{"index":1,"type":"ok","process":1,"f":"read","value":"abc"#,
            ],
            (2, 59),
            "the rest of a string",
            "end of line",
        ),
        case(
            "bad-escape",
            J,
            &[
                first,
                r#"{"index":1,"type":"ok","process":1,"f":"read","value":"a\qb"}"#,
            ],
            (2, 57),
            "an escape",
            "`\\q`",
        ),
        case(
            "index-gap",
            J,
            &[
                first,
                r#"{"index":5,"type":"ok","process":1,"f":"read","value":1}"#,
            ],
            (2, 2),
            "`\"index\": 1`",
            "`\"index\": 5`",
        ),
        case(
            "not-an-object",
            J,
            &[first, "", "  [1]"],
            (3, 3),
            "a JSON object",
            "`[1]`",
        ),
        case(
            "float",
            J,
            &[
                first,
                r#"{"index":1,"type":"ok","process":1,"f":"read","value":1.5}"#,
            ],
            (2, 55),
            "an integer",
            "`1.5`",
        ),
        case(
            "missing-field",
            J,
            &[first, r#"{"index":1,"type":"ok","f":"read","value":1}"#],
            (2, 44),
            "the field `process`",
            "the end of the object",
        ),
        case(
            "ok-without-invoke",
            J,
            &[
                first,
                r#"{"index":1,"type":"ok","process":2,"f":"read","value":1}"#,
            ],
            (2, 1),
            "a completion that matches an open invoke",
            "ok from process 2, which has no open invoke",
        ),
        case(
            "busy-process",
            J,
            &[
                first,
                "",
                r#"  {"index":1,"type":"invoke","process":1,"f":"read","value":null}"#,
            ],
            (3, 3),
            "an invoke from a process with no open operation",
            "process 1 invokes again while its invoke at line 1 is still open",
        ),
    ]);
}

const EDN_INVOKE: &str = "{:index 0, :type :invoke, :process 1, :f :read, :value nil}";

#[test]
fn edn_errors() {
    use Format::Edn as E;
    let first = EDN_INVOKE;
    check(&[
        case(
            "truncated",
            E,
            &[first, "{:index 1, :type :ok, :process 1, :f :read, :value"],
            (2, 51),
            "a value for the key `:value`",
            "end of input",
        ),
        case(
            "truncated-then-more",
            E,
            &[
                first,
                "{:index 1, :type :ok, :process 1",
                "{:index 2, :type :ok}",
            ],
            (3, 1),
            "`}` to close the map opened at 2:1",
            "`{`",
        ),
        case(
            "process-string",
            E,
            &[
                first,
                "{:index 1, :type :ok, :process \"x\", :f :read, :value 1}",
            ],
            (2, 32),
            "a process number or `:nemesis`",
            "`\"x\"`",
        ),
        case(
            "type-bogus",
            E,
            &[
                first,
                "{:index 1, :type :bogus, :process 1, :f :read, :value 1}",
            ],
            (2, 18),
            "`:invoke`, `:ok`, `:fail` or `:info`",
            "`:bogus`",
        ),
        case(
            "unbalanced",
            E,
            &[
                first,
                "{:index 1, :type :ok, :process 1, :f :read, :value [1 2}",
            ],
            (2, 56),
            "`]` to close the vector opened at 2:52",
            "`}`",
        ),
        case(
            "unclosed-history",
            E,
            &[&format!("[{first}"), ""],
            (2, 1),
            "`]` to close the history opened at 1:1",
            "end of input",
        ),
        case(
            "unterminated-string",
            E,
            &[
                first,
                "{:index 1, :type :ok, :process 1, :f :read, :value \"abc}",
            ],
            (2, 57),
            "`\"` to close the string opened at 2:52",
            "end of input",
        ),
        case(
            "bad-escape",
            E,
            &[
                first,
                r#"{:index 1, :type :ok, :process 1, :f :read, :value "a\qb"}"#,
            ],
            (2, 54),
            "an escape",
            "`\\q`",
        ),
        case(
            "float",
            E,
            &[
                first,
                "{:index 1, :type :ok, :process 1, :f :read, :value 1.5}",
            ],
            (2, 52),
            "an integer (floats are not supported)",
            "`1.5`",
        ),
        case(
            "index-gap",
            E,
            &[
                first,
                "{:index 5, :type :ok, :process 1, :f :read, :value 1}",
            ],
            (2, 9),
            "`:index 1`",
            "`5`",
        ),
        case(
            "missing-process",
            E,
            &[first, "  {:index 1, :type :ok, :f :read}"],
            (2, 3),
            "the key `:process`",
            "a map without it",
        ),
        case(
            "duplicate-key",
            E,
            &[
                first,
                "{:index 1, :type :ok, :process 1, :type :ok, :f :read, :value 1}",
            ],
            (2, 35),
            "each key once",
            "a second `:type`",
        ),
        case(
            "not-a-map",
            E,
            &[first, "nil"],
            (2, 1),
            "a map (one history record)",
            "`nil`",
        ),
        case(
            "ok-without-invoke",
            E,
            &[first, "{:type :ok, :process 2, :f :read, :value 1}"],
            (2, 1),
            "a completion that matches an open invoke",
            "ok from process 2, which has no open invoke",
        ),
        case(
            "busy-process",
            E,
            &[
                "[",
                first,
                " {:type :invoke, :process 1, :f :write, :value 2}]",
            ],
            (3, 2),
            "an invoke from a process with no open operation",
            "process 1 invokes again while its invoke at line 2 is still open",
        ),
    ]);
}

#[test]
fn porcupine_kv_errors() {
    use Format::PorcupineKv as K;
    let first = "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}";
    check(&[
        case(
            "wrong-function",
            K,
            &[
                first,
                "{:process 1, :type :invoke, :f :read, :key \"1\", :value nil}",
            ],
            (2, 32),
            "`:get`, `:put` or `:append`",
            "`:read`",
        ),
        case(
            "missing-key",
            K,
            &[first, "{:process 1, :type :invoke, :f :get, :value nil}"],
            (2, 1),
            "the key `:key`",
            "a map without it",
        ),
        case(
            "unbalanced",
            K,
            &[
                first,
                "{:process 1, :type :invoke, :f :get, :key \"1\", :value nil",
            ],
            (2, 58),
            "`}` to close the map opened at 2:1",
            "end of input",
        ),
    ]);
}

#[test]
fn porcupine_etcd_errors() {
    use Format::PorcupineEtcd as X;
    let first = "INFO  jepsen.util - 1\t:invoke\t:read\tnil";
    let chatter = "INFO  jepsen.core - Run complete";
    check(&[
        case(
            "truncated",
            X,
            &[first, "INFO  jepsen.util - 1\t:ok", chatter],
            (2, 26),
            "`:read`, `:write` or `:cas`",
            "end of line",
        ),
        case(
            "type-bogus",
            X,
            &[first, "INFO  jepsen.util - 1\t:bogus\t:read\tnil"],
            (2, 23),
            "`:invoke`, `:ok`, `:fail` or `:info`",
            "`:bogus`",
        ),
        case(
            "unbalanced",
            X,
            &[first, "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0", chatter],
            (2, 40),
            "`]` to close the vector opened at 2:36",
            "end of line",
        ),
        case(
            "write-string",
            X,
            &[first, "INFO  jepsen.util - 2\t:invoke\t:write\t\"x\""],
            (2, 38),
            "an integer (the value written)",
            "`\"x\"`",
        ),
        case(
            "ok-with-error",
            X,
            &["INFO  jepsen.util - 1\t:ok\t:read\t:timed-out"],
            (1, 33),
            "an error keyword may only end a `:fail` or `:info`",
            "`:timed-out`",
        ),
        case(
            "trailing",
            X,
            &[first, "INFO  jepsen.util - 1\t:ok\t:read\tnil extra"],
            (2, 37),
            "end of line after the value",
            "`extra`",
        ),
        case(
            "unknown-function",
            X,
            &["INFO  jepsen.util - 2\t:invoke\t:append\t1"],
            (1, 31),
            "`:read`, `:write` or `:cas`",
            "`:append`",
        ),
        case(
            "process-overflow",
            X,
            &["INFO  jepsen.util - 99999999999999999999\t:invoke\t:read\tnil"],
            (1, 21),
            "a process number that fits in 64 bits",
            "`99999999999999999999`",
        ),
        case(
            "ok-without-invoke",
            X,
            &[chatter, first, "INFO  jepsen.util - 3  :ok  :read  1"],
            (3, 1),
            "a completion that matches an open invoke",
            "ok from process 3, which has no open invoke",
        ),
    ]);
}

/// A file of its own under cargo's scratch directory for integration
/// tests.
fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("histories-bad-input");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn non_utf8_bytes_are_an_error_at_the_first_bad_byte() {
    let mut bytes = format!("{EDN_INVOKE}\n{{:type :ok, :value \"é").into_bytes();
    bytes.extend_from_slice(&[0xff, b'"', b'}']);
    let path = scratch_file("latin1.edn", &bytes);
    let Err(ReadError::Parse(err)) = format::read_path(&path, None) else {
        panic!("non-UTF-8 input was accepted");
    };
    // Line 2: `{:type :ok, :value "é` is 21 characters; the bad byte is the
    // 22nd.
    assert_eq!((err.line, err.col), (2, 22));
    assert_eq!(err.expected, "UTF-8 text");
    assert_eq!(err.found, "the byte 0xff");
    assert_eq!(err.file, path.display().to_string());
}

#[test]
fn an_empty_file_is_an_empty_history() {
    for (name, bytes) in [
        ("empty.jsonl", &b""[..]),
        ("blank.edn", b"\n \n; nothing\n"),
        ("bom.log", b"\xef\xbb\xbf"),
    ] {
        let path = scratch_file(name, bytes);
        let parsed = format::read_path(&path, None).unwrap();
        assert!(parsed.history.is_empty(), "{name}");
        assert_eq!(parsed.operations().unwrap(), []);
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-history.jsonl");
    let err = format::read_path(&path, None).unwrap_err();
    let ReadError::Io {
        path: reported,
        source,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(reported, &path);
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().starts_with(&path.display().to_string()));
}

#[test]
fn long_tokens_are_cut_in_messages() {
    let long = "x".repeat(1000);
    let text = format!("{{:type :{long}}}");
    let err = format::parse(&text, "long.edn", Format::Edn).unwrap_err();
    assert_eq!(err.found, format!("`:{}…`", "x".repeat(23)));
}

/// Files that never end a line, or break UTF-8 past the first read chunk,
/// stop at the right place: (name, bytes, line, col, expected, found).
#[test]
fn files_are_bounded_and_checked_as_they_stream_in() {
    let long = format::MAX_LINE_BYTES + 1;
    let mut endless_line = b"{\"index\":0}\n\n".to_vec();
    endless_line.resize(endless_line.len() + long, b'x');
    let mut nuls = vec![0u8; long];
    nuls.insert(0, b'\n');
    // 'é' straddles the first 64 KiB chunk; the bad byte is on line 3.
    let mut late = vec![b' '; (1 << 16) - 1];
    late.extend_from_slice("é\n\n\u{e9}\u{e9}".as_bytes());
    late.push(0xff);
    type Case = (&'static str, Vec<u8>, u32, u32, &'static str, &'static str);
    let cases: [Case; 3] = [
        (
            "endless-line",
            endless_line,
            3,
            1,
            "a line of at most 16 MiB",
            "no line break in its first 16 MiB",
        ),
        (
            "nuls",
            nuls,
            2,
            1,
            "a line of at most 16 MiB",
            "no line break in its first 16 MiB",
        ),
        ("late-bad-byte", late, 3, 3, "UTF-8 text", "the byte 0xff"),
    ];
    for (name, bytes, line, col, expected, found) in cases {
        let path = scratch_file(name, &bytes);
        match format::read_path(&path, Some(Format::Jsonl)) {
            Err(ReadError::Parse(err)) => {
                assert_eq!((err.line, err.col), (line, col), "{name}: {err}");
                assert_eq!(
                    (err.expected.as_str(), err.found.as_str()),
                    (expected, found),
                    "{name}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
        let _ = std::fs::remove_file(path);
    }
}
