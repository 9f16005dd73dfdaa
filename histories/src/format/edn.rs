//! Jepsen's EDN histories (`history.edn`), and Porcupine's kv dialect.
//!
//! # Layout
//!
//! A history is either a stream of maps (Jepsen writes one per line) or a
//! single top-level vector or list of maps, which may span many lines. A map
//! may carry a record tag (`#jepsen.history.Op{...}`); the tag is ignored.
//!
//! # Keys
//!
//! Keys come in any order; each may appear once.
//!
//! | key        | value                                   | required |
//! |------------|-----------------------------------------|----------|
//! | `:index`   | its position, counted from 0 in file order | no    |
//! | `:time`    | nanoseconds, a non-negative integer     | no (0)   |
//! | `:type`    | `:invoke`, `:ok`, `:fail` or `:info`    | yes      |
//! | `:process` | a non-negative integer, or `:nemesis`   | yes      |
//! | `:f`       | a keyword (or a string)                 | yes      |
//! | `:key`     | any value                               | no       |
//! | `:value`   | any value                               | no (nil) |
//! | `:error`   | a keyword or string, kept by name; any other value is kept as its EDN text | no |
//! | `:node`    | the node that served a completion: a non-negative integer | no |
//!
//! Every other key is ignored, whatever its value. When `:index` is present
//! it must equal the record's position: the history's records are numbered
//! densely from 0, and a gap or a shuffle would silently change what the
//! checker reports against, so it is an error.
//!
//! # Syntax
//!
//! The reader is our own and knows the EDN Jepsen writes: `nil`, `true`,
//! `false`, integers (`-3`, `42N`), strings with the escapes `\" \\ \n \t
//! \r \b \f \uXXXX`, keywords (`:ok`, `:jepsen/foo`), characters, symbols,
//! vectors, lists, maps, sets `#{..}`, tagged elements (`#inst ".."`), and
//! between tokens whitespace, commas, `;` comments and `#_` discards.
//! Collections nest at most 100 deep.
//!
//! Values of recognised keys become [`crate::Value`]s, which have no
//! floats, symbols, maps or sets: a float (`1.5`, `2M`) or a symbol there
//! is an error ("expected an integer (floats are not supported)"); a set
//! becomes a list of its elements and a map a list of `[key value]` lists,
//! both in file order; a character becomes a one-character string; a tagged
//! element becomes its value. Values of ignored keys may be anything.
//!
//! # Nil
//!
//! In Knossos' convention an `:ok` read whose value is `nil` means "value
//! unknown", not "the register is empty". That is a question for the
//! model, not the format: the reader keeps `Value::Nil` and the checker
//! decides.
//!
//! # Porcupine's kv dialect
//!
//! Porcupine's kv histories (`{:process 9, :type :invoke, :f :append, :key
//! "0", :value "x 9 0 y"}`) are the same syntax with stricter rules: every
//! record has a `:key`, and `:f` is `:get`, `:put` or `:append`.

use super::edn_syntax::{EdnReader, MapKey};
use super::position::{excerpt, Fault};
use super::Records;
use crate::history::History;
use crate::op::{Function, Op, OpType, Process};
use crate::value::{write_edn_string, Value};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Which rules the records follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Jepsen's `history.edn`.
    Jepsen,
    /// Porcupine's kv test histories.
    PorcupineKv,
}

/// Reads a whole EDN history.
pub(crate) fn read(text: &str, dialect: Dialect) -> Result<Records, Fault> {
    let mut reader = EdnReader::new(text);
    let mut records = Records::default();
    reader.skip_blank()?;
    let close = match reader.peek() {
        Some(b'[') => Some(b']'),
        Some(b'(') => Some(b')'),
        _ => None,
    };
    let Some(close) = close else {
        while !reader.at_end() {
            read_record_into(&mut reader, &mut records, dialect)?;
            reader.skip_blank()?;
        }
        return Ok(records);
    };
    let open = reader.offset();
    reader.bump();
    loop {
        reader.skip_blank()?;
        match reader.peek() {
            Some(byte) if byte == close => break,
            None => {
                let opened = reader.where_is(open);
                return Err(reader.fault(format!(
                    "`{}` to close the history opened at {opened}",
                    close as char
                )));
            }
            Some(_) => read_record_into(&mut reader, &mut records, dialect)?,
        }
    }
    reader.bump();
    reader.skip_blank()?;
    if !reader.at_end() {
        return Err(reader.fault("end of input after the history's closing bracket"));
    }
    Ok(records)
}

fn read_record_into(
    reader: &mut EdnReader<'_>,
    records: &mut Records,
    dialect: Dialect,
) -> Result<(), Fault> {
    let (op, start) = read_record(reader, records.ops.len() as u64, dialect)?;
    records.push(op, start);
    Ok(())
}

/// The keys a record understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Index,
    Time,
    Type,
    Process,
    F,
    Key,
    Value,
    Error,
    Node,
}

impl Field {
    fn named(name: &str) -> Option<Field> {
        Some(match name {
            "index" => Field::Index,
            "time" => Field::Time,
            "type" => Field::Type,
            "process" => Field::Process,
            "f" => Field::F,
            "key" => Field::Key,
            "value" => Field::Value,
            "error" => Field::Error,
            "node" => Field::Node,
            _ => return None,
        })
    }
}

/// What a record's keys said so far.
#[derive(Default)]
struct Fields {
    seen: [bool; 9],
    time_ns: Option<u64>,
    kind: Option<OpType>,
    process: Option<Process>,
    /// The function, with the offset of its value (for dialect errors).
    f: Option<(Function, usize)>,
    key: Option<Value>,
    value: Option<Value>,
    error: Option<String>,
    node: Option<u32>,
}

const TYPES: &str = "`:invoke`, `:ok`, `:fail` or `:info`";
const PROCESSES: &str = "a process number or `:nemesis`";

fn index_expected(position: u64) -> String {
    format!("`:index {position}` (records are numbered from 0 in file order)")
}

/// Reads one record, which is history position `position`. Returns it
/// with the offset where it starts.
fn read_record(
    reader: &mut EdnReader<'_>,
    position: u64,
    dialect: Dialect,
) -> Result<(Op, usize), Fault> {
    let start = reader.open_map("a map (one history record)")?;
    let mut fields = Fields::default();
    while let Some((key, key_at)) = reader.map_key(start)? {
        reader.expect_map_value(key_at)?;
        let field = match key {
            MapKey::Keyword(name) => Field::named(name),
            MapKey::Other => None,
        };
        let Some(field) = field else {
            reader.skip_value()?;
            continue;
        };
        if std::mem::replace(&mut fields.seen[field as usize], true) {
            let key = super::position::describe_token(reader.text(), key_at);
            return Err(Fault::new(
                key_at,
                "each key once in a record",
                format!("a second {key}"),
            ));
        }
        read_field(reader, field, position, &mut fields)?;
    }
    let op = fields.into_op(position, start, dialect)?;
    Ok((op, start))
}

/// Reads the value of one recognised key into `fields`.
fn read_field(
    reader: &mut EdnReader<'_>,
    field: Field,
    position: u64,
    fields: &mut Fields,
) -> Result<(), Fault> {
    match field {
        Field::Index => match reader.unsigned()? {
            Some((index, _)) if index == position => {}
            Some((_, at)) => return Err(reader.fault_at(at, index_expected(position))),
            None => return Err(reader.fault(index_expected(position))),
        },
        Field::Time => {
            fields.time_ns = match reader.unsigned()? {
                Some((time_ns, _)) => Some(time_ns),
                None => return Err(reader.fault("a time in nanoseconds (a non-negative integer)")),
            };
        }
        Field::Type => {
            let kind = match reader.keyword()? {
                Some((name, at)) => {
                    OpType::parse(name).ok_or_else(|| reader.fault_at(at, TYPES))?
                }
                None => return Err(reader.fault(TYPES)),
            };
            fields.kind = Some(kind);
        }
        Field::Process => {
            let process = match reader.unsigned()? {
                Some((id, _)) => Process::Client(id),
                None => match reader.keyword()? {
                    Some(("nemesis", _)) => Process::Nemesis,
                    Some((_, at)) => return Err(reader.fault_at(at, PROCESSES)),
                    None => return Err(reader.fault(PROCESSES)),
                },
            };
            fields.process = Some(process);
        }
        Field::F => {
            const FUNCTION: &str = "a function name (a keyword such as `:read`)";
            fields.f = Some(match reader.keyword()? {
                Some((name, at)) => (Function::parse(name), at),
                None => match reader.read_value()? {
                    (Value::Str(name), at) => (Function::parse(&name), at),
                    (_, at) => return Err(reader.fault_at(at, FUNCTION)),
                },
            });
        }
        Field::Key => fields.key = Some(reader.read_value()?.0),
        Field::Value => fields.value = Some(reader.read_value()?.0),
        Field::Error => fields.error = Some(read_error(reader)?),
        Field::Node => {
            const NODE: &str = "a node number (a non-negative integer)";
            fields.node = match reader.unsigned()? {
                Some((node, at)) => {
                    Some(u32::try_from(node).map_err(|_| reader.fault_at(at, NODE))?)
                }
                None => return Err(reader.fault(NODE)),
            };
        }
    }
    Ok(())
}

/// An `:error`: a keyword's name, a string's contents, or the EDN text of
/// any other value (Jepsen errors are sometimes vectors or maps).
fn read_error(reader: &mut EdnReader<'_>) -> Result<String, Fault> {
    if let Some((name, _)) = reader.keyword()? {
        return Ok(name.to_string());
    }
    if reader.peek() == Some(b'"') {
        return Ok(reader.string(true)?.into_owned());
    }
    let span = reader.skip_value()?;
    Ok(reader.text()[span].to_string())
}

impl Fields {
    /// The record, once every required key is known.
    fn into_op(self, index: u64, start: usize, dialect: Dialect) -> Result<Op, Fault> {
        let missing = |key: &str| {
            Fault::new(
                start,
                format!("the key `{key}` in this record"),
                "a map without it",
            )
        };
        let kind = self.kind.ok_or_else(|| missing(":type"))?;
        let process = self.process.ok_or_else(|| missing(":process"))?;
        let (f, f_at) = self.f.ok_or_else(|| missing(":f"))?;
        if dialect == Dialect::PorcupineKv {
            if self.key.is_none() {
                return Err(missing(":key"));
            }
            if !matches!(f, Function::Get | Function::Put | Function::Append) {
                return Err(Fault::new(
                    f_at,
                    "`:get`, `:put` or `:append` (Porcupine's kv histories)",
                    excerpt(&format!(":{f}")),
                ));
            }
        }
        Ok(Op {
            index,
            time_ns: self.time_ns.unwrap_or(0),
            kind,
            process,
            f,
            key: self.key,
            value: self.value.unwrap_or(Value::Nil),
            error: self.error,
            node: self.node,
        })
    }
}

/// Writes `history` as EDN, one map per line, in the key order Jepsen
/// uses: `{:index 0, :time 12, :type :invoke, :process 3, :f :cas, :key
/// "k", :value [1 2]}`. `:key`, `:error` and `:node` appear only when present;
/// an error is written as a keyword when its text is a valid keyword name,
/// as a string otherwise. [`super::parse`] with [`super::Format::Edn`] reads
/// the output back to the same history.
///
/// Fails with [`io::ErrorKind::InvalidData`] on a keyword value whose name
/// EDN cannot spell (empty, or holding whitespace or brackets — possible
/// only for keywords read from JSON), and with the writer's own errors.
pub fn write_edn(history: &History, out: &mut impl Write) -> io::Result<()> {
    let mut line = String::with_capacity(128);
    for op in &history.ops {
        line.clear();
        write_record(&mut line, op).map_err(|message| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("record #{}: {message}", op.index),
            )
        })?;
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// One record as an EDN map (no newline). Errors name what cannot be
/// written.
fn write_record(out: &mut String, op: &Op) -> Result<(), String> {
    // Writing to a String cannot fail; `let _ =` keeps that visible.
    let _ = write!(
        out,
        "{{:index {}, :time {}, :type :{}, :process ",
        op.index, op.time_ns, op.kind
    );
    match op.process {
        Process::Client(id) => {
            let _ = write!(out, "{id}");
        }
        Process::Nemesis => out.push_str(":nemesis"),
    }
    out.push_str(", :f ");
    write_name(out, op.f.as_str());
    if let Some(key) = &op.key {
        out.push_str(", :key ");
        write_value(out, key)?;
    }
    out.push_str(", :value ");
    write_value(out, &op.value)?;
    if let Some(error) = &op.error {
        out.push_str(", :error ");
        write_name(out, error);
    }
    if let Some(node) = op.node {
        let _ = write!(out, ", :node {node}");
    }
    out.push('}');
    Ok(())
}

/// True when `:name` reads back as the keyword `name`.
fn is_keyword_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with(':') && !name.bytes().any(super::position::is_delimiter)
}

/// A name as a keyword when it can be one, as a string otherwise (the
/// reader accepts both for `:f` and `:error`).
fn write_name(out: &mut String, name: &str) {
    if is_keyword_name(name) {
        out.push(':');
        out.push_str(name);
    } else {
        let _ = write_edn_string(out, name);
    }
}

fn write_value(out: &mut String, value: &Value) -> Result<(), String> {
    match value {
        Value::Nil => out.push_str("nil"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Str(s) => {
            let _ = write_edn_string(out, s);
        }
        Value::Keyword(name) if is_keyword_name(name) => {
            out.push(':');
            out.push_str(name);
        }
        Value::Keyword(name) => return Err(format!("the keyword {name:?} has no EDN spelling")),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
    }
    Ok(())
}
