//! History files: reading them with precise errors, and writing them.
//!
//! | [`Format`]         | files                          | read | write |
//! |--------------------|--------------------------------|------|-------|
//! | `jsonl`            | raftstorm's own, one `Op` per line | yes | [`write_jsonl`] |
//! | `edn`              | Jepsen's `history.edn`         | yes  | [`write_edn`] |
//! | `porcupine-etcd`   | Porcupine's `jepsen/etcd_NNN.log` console logs | yes | no |
//! | `porcupine-kv`     | Porcupine's `kv/cNN-{ok,bad}.txt` | yes | no |
//!
//! Each format's module ([`jsonl`], [`edn`], [`porcupine_etcd`]) documents
//! its shapes and what they mean; [`independent`] splits Jepsen's
//! multi-key tuples on request. The conventions they share:
//!
//! - **Errors** say where and what: `file:line:col: expected …, found …`,
//!   lines and columns from 1, columns in characters. "Found" quotes a short
//!   excerpt in backticks (cut at 24 characters) or says `end of input` /
//!   `end of line`. Parsing never panics, whatever the bytes.
//! - **Positions**: [`Parsed::positions`]`[i]` is where record `i` starts,
//!   so later stages (pairing, checkers) can point into the file too;
//!   [`Parsed::operations`] does that for pairing errors.
//! - **Indexes** are dense: record `i` has `index == i`. Formats that carry
//!   an index must agree with the record's position.
//! - **An empty file** (or one of blank lines and comments) is an empty
//!   history, not an error: a trial that recorded nothing is a fact.
//! - A leading UTF-8 byte-order mark is ignored.
//! - **`nil`** is kept as [`crate::Value::Nil`]. Whether an `ok` read of
//!   nil means "absent" (Porcupine's etcd logs) or "unknown" (Knossos) is
//!   the model's business, not the format's.

pub mod edn;
mod edn_syntax;
pub mod independent;
pub mod jsonl;
pub mod porcupine_etcd;
mod position;

pub use edn::write_edn;
pub use independent::split_independent;
pub use jsonl::write_jsonl;
pub use porcupine_etcd::PROCESS_REUSED;
pub use position::{ParseError, Position};

use crate::history::{History, Operation, PairError};
use crate::op::{Op, OpType};
use position::{lines, Fault, Locator};
use std::fmt::{self, Write as _};
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// JSON Lines, one [`Op`] per line: raftstorm's native format.
    /// See [`jsonl`].
    Jsonl,
    /// Jepsen's EDN (`history.edn`).
    /// See [`edn`].
    Edn,
    /// Porcupine's Jepsen etcd console logs (single register).
    /// See [`porcupine_etcd`].
    PorcupineEtcd,
    /// Porcupine's kv histories (EDN, string registers by key).
    /// See [`edn`].
    PorcupineKv,
}

impl Format {
    /// Every format, in the order of their names in messages.
    pub const ALL: [Format; 4] = [
        Format::Jsonl,
        Format::Edn,
        Format::PorcupineEtcd,
        Format::PorcupineKv,
    ];

    /// The name used on the command line: `jsonl`, `edn`, `porcupine-etcd`,
    /// `porcupine-kv`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Edn => "edn",
            Format::PorcupineEtcd => "porcupine-etcd",
            Format::PorcupineKv => "porcupine-kv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A format name that [`Format::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFormat {
    /// The name given.
    pub name: String,
}

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected one of jsonl, edn, porcupine-etcd, porcupine-kv, found `{}`",
            self.name
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Format, UnknownFormat> {
        Format::ALL
            .into_iter()
            .find(|format| format.name() == name)
            .ok_or_else(|| UnknownFormat {
                name: name.to_string(),
            })
    }
}

/// A parsed history, with where each record came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The file name the caller gave, for messages.
    pub file: String,
    /// The format it was read in (given, or detected).
    pub format: Format,
    /// The records, `history.ops[i].index == i`.
    pub history: History,
    /// `positions[i]` is where record `i` starts in the file. (A record the
    /// reader made up — see [`PROCESS_REUSED`] — has the position of the
    /// record that caused it.)
    pub positions: Vec<Position>,
}

impl Parsed {
    /// Where record `op_index` starts in the file.
    pub fn position(&self, op_index: u64) -> Option<Position> {
        usize::try_from(op_index)
            .ok()
            .and_then(|i| self.positions.get(i).copied())
    }

    /// Pairs the records into operations ([`History::operations`]); a
    /// record that breaks the pairing rules is reported at its place in the
    /// file, with record numbers in the message turned into line numbers.
    pub fn operations(&self) -> Result<Vec<Operation>, ParseError> {
        self.history
            .operations()
            .map_err(|err| self.pair_error(&err))
    }

    fn pair_error(&self, err: &PairError) -> ParseError {
        let position = self.position(err.op_index).unwrap_or_default();
        let is_invoke = usize::try_from(err.op_index)
            .ok()
            .and_then(|i| self.history.ops.get(i))
            .is_some_and(|op| op.kind == OpType::Invoke);
        let expected = if is_invoke {
            "an invoke from a process with no open operation and no `info` behind it"
        } else {
            "a completion that matches an open invoke of its process"
        };
        ParseError {
            file: self.file.clone(),
            line: position.line,
            col: position.col,
            expected: expected.to_string(),
            found: self.with_line_numbers(&err.message),
        }
    }

    /// `message` with each `record #N` replaced by `line L`.
    fn with_line_numbers(&self, message: &str) -> String {
        const MARK: &str = "record #";
        let mut out = String::with_capacity(message.len());
        let mut rest = message;
        while let Some(at) = rest.find(MARK) {
            out.push_str(&rest[..at]);
            let after = &rest[at + MARK.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            match after[..digits].parse().ok().and_then(|i| self.position(i)) {
                Some(position) => {
                    let _ = write!(out, "line {}", position.line);
                }
                None => out.push_str(&rest[at..at + MARK.len() + digits]),
            }
            rest = &after[digits..];
        }
        out.push_str(rest);
        out
    }
}

/// The parsers' common result: records and the byte offset each starts at.
#[derive(Default)]
pub(crate) struct Records {
    pub ops: Vec<Op>,
    pub offsets: Vec<usize>,
}

impl Records {
    pub fn push(&mut self, op: Op, offset: usize) {
        self.ops.push(op);
        self.offsets.push(offset);
    }
}

/// Parses `text` in `format`. `file` names the text in errors.
pub fn parse(text: &str, file: &str, format: Format) -> Result<Parsed, ParseError> {
    let body = without_bom(text);
    let records = match format {
        Format::Jsonl => jsonl::read(body),
        Format::Edn => edn::read(body, edn::Dialect::Jepsen),
        Format::PorcupineKv => edn::read(body, edn::Dialect::PorcupineKv),
        Format::PorcupineEtcd => porcupine_etcd::read(body),
    }
    .map_err(|fault| fault.locate(body, file))?;
    let mut locator = Locator::new(body);
    let positions = records
        .offsets
        .iter()
        .map(|&offset| locator.locate(offset))
        .collect();
    Ok(Parsed {
        file: file.to_string(),
        format,
        history: History::new(records.ops),
        positions,
    })
}

/// Parses `text` and pairs its records into operations; both kinds of
/// error come back positioned in the file.
pub fn parse_and_pair(
    text: &str,
    file: &str,
    format: Format,
) -> Result<(Parsed, Vec<Operation>), ParseError> {
    let parsed = parse(text, file, format)?;
    let operations = parsed.operations()?;
    Ok((parsed, operations))
}

fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Why a history file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be read at all.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file's contents are not a history in the format (or not UTF-8
    /// text).
    Parse(ParseError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ReadError::Parse(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io { source, .. } => Some(source),
            ReadError::Parse(err) => Some(err),
        }
    }
}

impl From<ParseError> for ReadError {
    fn from(err: ParseError) -> ReadError {
        ReadError::Parse(err)
    }
}

/// The longest line [`read_path`] accepts, in bytes. No format needs more
/// (a Jepsen record is a line of a few hundred bytes), and a bound turns a
/// file that never ends a line — `/dev/zero`, a binary, a stuck pipe —
/// into an error at that line instead of an endless read.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// The largest file [`read_path`] accepts, in bytes: the whole text is
/// held in memory while it is parsed.
pub const MAX_FILE_BYTES: usize = 1 << 30;

/// Reads and parses the file at `path`, in `format`, or in the format
/// [`detect`] picks when `None`. Bytes that are not UTF-8 are an error at
/// the first bad byte, found as the file streams in; so are a line longer
/// than [`MAX_LINE_BYTES`] and a file larger than [`MAX_FILE_BYTES`].
pub fn read_path(path: &Path, format: Option<Format>) -> Result<Parsed, ReadError> {
    let file = path.display().to_string();
    let bytes = read_bounded(path, &file)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|err| not_utf8(&bytes, err.valid_up_to(), &file))?;
    let format = format.unwrap_or_else(|| detect(&file, text));
    Ok(parse(text, &file, format)?)
}

/// What [`read_bounded`] has checked of the bytes so far.
struct Intake {
    /// Bytes known to be whole, valid UTF-8.
    valid: usize,
    /// Where the current line starts, and its number (from 1).
    line_start: usize,
    line: u32,
}

/// Reads `path` in chunks, checking UTF-8 and line lengths as it goes, so
/// that a bad or endless file stops early.
fn read_bounded(path: &Path, file: &str) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let io_error = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut input = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    let mut intake = Intake {
        valid: 0,
        line_start: 0,
        line: 1,
    };
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let read = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(io_error(err)),
        };
        let start = bytes.len();
        bytes.extend_from_slice(&chunk[..read]);
        intake.take(&bytes, start, file)?;
    }
    if intake.valid < bytes.len() {
        return Err(not_utf8(&bytes, intake.valid, file).into());
    }
    Ok(bytes)
}

impl Intake {
    /// Checks the bytes from `start` on (just read).
    fn take(&mut self, bytes: &[u8], start: usize, file: &str) -> Result<(), ParseError> {
        match std::str::from_utf8(&bytes[self.valid..]) {
            Ok(_) => self.valid = bytes.len(),
            // A sequence cut by the chunk's end completes with the next.
            Err(err) if err.error_len().is_none() => self.valid += err.valid_up_to(),
            Err(err) => return Err(not_utf8(bytes, self.valid + err.valid_up_to(), file)),
        }
        for (at, &byte) in bytes.iter().enumerate().skip(start) {
            if byte == b'\n' {
                self.line_start = at + 1;
                self.line = self.line.saturating_add(1);
            }
        }
        let too_long = bytes.len() - self.line_start > MAX_LINE_BYTES;
        if too_long || bytes.len() > MAX_FILE_BYTES {
            let (expected, found) = match too_long {
                true => (
                    format!("a line of at most {} MiB", MAX_LINE_BYTES >> 20),
                    format!("no line break in its first {} MiB", MAX_LINE_BYTES >> 20),
                ),
                false => (
                    format!("a file of at most {} MiB", MAX_FILE_BYTES >> 20),
                    "a larger file".to_string(),
                ),
            };
            return Err(ParseError {
                file: file.to_string(),
                line: self.line,
                col: 1,
                expected,
                found,
            });
        }
        Ok(())
    }
}

/// The error for bytes that stop being UTF-8 at `valid_len`.
fn not_utf8(bytes: &[u8], valid_len: usize, file: &str) -> ParseError {
    let valid = std::str::from_utf8(&bytes[..valid_len]).unwrap_or_default();
    let body = without_bom(valid);
    let found = match bytes.get(valid_len) {
        Some(byte) => format!("the byte 0x{byte:02x}"),
        None => "end of input".to_string(),
    };
    Fault::new(body.len(), "UTF-8 text", found).locate(body, file)
}

/// How many non-blank lines [`detect`] looks at for a Porcupine etcd
/// operation line (the logs may start with setup chatter).
const SNIFF_LINES: usize = 64;

/// Guesses a file's format from its name and, when the name says nothing
/// definite, its contents:
///
/// - `.jsonl`, `.ndjson`, `.json`: JSON Lines; `.edn`: Jepsen EDN.
/// - Otherwise by content: a Porcupine etcd operation line among the first
///   64 non-blank lines (or a first line starting with `INFO`) means
///   `porcupine-etcd`; a first line `{"…` means JSON Lines; a first line
///   starting with `{`, `[`, `(` or `#` is EDN — `porcupine-kv` when it has
///   `:key` and `:f :get`, `:put` or `:append` and no `:index`, Jepsen EDN
///   otherwise.
/// - Nothing recognisable (an empty file): `porcupine-etcd` for `.log`,
///   JSON Lines otherwise.
pub fn detect(file_name: &str, text: &str) -> Format {
    let extension = Path::new(file_name)
        .extension()
        .and_then(|ext| ext.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("jsonl" | "ndjson" | "json") => return Format::Jsonl,
        Some("edn") => return Format::Edn,
        _ => {}
    }
    sniff(without_bom(text)).unwrap_or(match extension.as_deref() {
        Some("log") => Format::PorcupineEtcd,
        _ => Format::Jsonl,
    })
}

/// The format the contents look like, if any (see [`detect`]).
fn sniff(text: &str) -> Option<Format> {
    let mut first = None;
    for (_, line) in lines(text)
        .filter(|(_, line)| !line.trim().is_empty())
        .take(SNIFF_LINES)
    {
        if porcupine_etcd::is_op_line(line) {
            return Some(Format::PorcupineEtcd);
        }
        if !line.trim_start().starts_with(';') {
            first.get_or_insert(line.trim_start());
        }
    }
    let first = first?;
    if first.starts_with("INFO") {
        return Some(Format::PorcupineEtcd);
    }
    if let Some(inside) = first.strip_prefix('{') {
        if inside.trim_start().starts_with(['"', '}']) {
            return Some(Format::Jsonl);
        }
    }
    if !first.starts_with(['{', '[', '(', '#']) {
        return None;
    }
    let kv_function = [":f :get", ":f :put", ":f :append"]
        .iter()
        .any(|f| first.contains(f));
    if kv_function && first.contains(":key") && !first.contains(":index") {
        Some(Format::PorcupineKv)
    } else {
        Some(Format::Edn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.name().parse(), Ok(format));
            assert_eq!(format.to_string(), format.name());
        }
        let err = "yaml".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected one of jsonl, edn, porcupine-etcd, porcupine-kv, found `yaml`"
        );
    }

    #[test]
    fn detect_uses_names_then_contents() {
        let kv = "{:process 1, :type :invoke, :f :get, :key \"3\", :value nil}\n";
        let edn = "{:index 0, :type :invoke, :process 0, :f :read, :value nil}\n";
        let etcd = "INFO  jepsen.core - setup\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n";
        let json = "{\"index\":0}\n";
        let cases = [
            ("h.jsonl", edn, Format::Jsonl),
            ("h.edn", json, Format::Edn),
            ("c01-ok.txt", kv, Format::PorcupineKv),
            ("history", edn, Format::Edn),
            ("x.txt", "; comment\n[{:type :ok}]", Format::Edn),
            ("etcd_000.log", etcd, Format::PorcupineEtcd),
            ("out", json, Format::Jsonl),
            ("\u{feff}out", "\u{feff}{ \"index\": 0}", Format::Jsonl),
            ("empty.log", "", Format::PorcupineEtcd),
            ("empty", "\n\n", Format::Jsonl),
            ("prose.txt", "hello", Format::Jsonl),
        ];
        for (name, text, expected) in cases {
            assert_eq!(detect(name, text), expected, "{name}");
        }
    }
}
