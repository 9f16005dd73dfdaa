//! JSON Lines: raftstorm's native history format.
//!
//! One [`Op`] per line, in exactly the JSON shape `Op` derives:
//! `{"index":4,"time_ns":1500,"type":"ok","process":2,"f":"cas","key":"k1","value":[1,2]}`.
//! Blank lines are allowed. `index` must equal the record's position (from
//! 0, counting records, not lines), so a file cut or spliced by hand is
//! caught instead of silently renumbered.
//!
//! serde_json reports errors in its own words ("invalid type: string
//! \"x\", expected u64 at line 1 column 36"). We parse each line on its own
//! and turn those into `file:line:col: expected …, found …`, with the line of
//! the file, the column within it, and the offending text quoted.

use super::position::{excerpt, floor_char_boundary, lines, Fault};
use super::Records;
use crate::history::History;
use crate::op::Op;
use serde_json::error::Category;
use std::io::{self, Write};

/// Reads a whole JSON Lines history.
pub(crate) fn read(text: &str) -> Result<Records, Fault> {
    let mut records = Records::default();
    for (line_start, line) in lines(text) {
        let content = line.trim_start();
        if content.is_empty() {
            continue;
        }
        let indent = line.len() - content.len();
        if !content.starts_with('{') {
            return Err(Fault::new(
                line_start + indent,
                "a JSON object (one record per line)",
                excerpt(content.trim_end()),
            ));
        }
        let op: Op =
            serde_json::from_str(line).map_err(|err| shifted(translate(line, &err), line_start))?;
        let position = records.ops.len() as u64;
        if op.index != position {
            let at = line.find("\"index\"").unwrap_or(indent);
            return Err(Fault::new(
                line_start + at,
                format!("`\"index\": {position}` (records are numbered from 0 in file order)"),
                format!("`\"index\": {}`", op.index),
            ));
        }
        records.push(op, line_start + indent);
    }
    Ok(records)
}

/// `fault` (whose offset is into a line) moved to the line's place in the
/// file.
fn shifted(mut fault: Fault, line_start: usize) -> Fault {
    fault.offset += line_start;
    fault
}

/// serde_json's error on `line`, in our words.
fn translate(line: &str, err: &serde_json::Error) -> Fault {
    let full = err.to_string();
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    // serde_json's column is 1-based and points at the last byte it read:
    // the offending byte for syntax errors, the end of the value for
    // errors about a value's meaning.
    let mut at = floor_char_boundary(line, err.column().saturating_sub(1));
    if message == "invalid escape" && at > 0 && line.as_bytes()[at - 1] == b'\\' {
        // serde_json points at the letter after the backslash; the escape
        // starts one byte earlier.
        at -= 1;
    }
    match err.classify() {
        Category::Eof => Fault::new(line.len(), eof_expected(message), "end of line"),
        Category::Syntax | Category::Io => Fault::at_token(line, at, syntax_expected(message)),
        Category::Data => data_fault(line, at, message),
    }
}

fn eof_expected(message: &str) -> String {
    match message.strip_prefix("EOF while parsing ") {
        Some(what) => format!("the rest of {what} (a record is one line)"),
        None => message.to_string(),
    }
}

fn syntax_expected(message: &str) -> String {
    let expected = match message {
        "trailing characters" => "end of line (one record per line)",
        "invalid escape" => r#"an escape (\" \\ \/ \b \f \n \r \t or \uXXXX)"#,
        "expected value" => "a JSON value",
        "expected ident" => "`null`, `true` or `false`",
        "key must be a string" => "a field name in double quotes",
        "invalid number" => "a number",
        "number out of range" => "a number that fits in 64 bits",
        "recursion limit exceeded" => "values nested at most 128 deep",
        _ if message.starts_with("control character") => "no raw control characters in a string",
        _ => match message.strip_prefix("expected ") {
            Some(what) => what,
            None => return format!("valid JSON ({message})"),
        },
    };
    expected.to_string()
}

/// An error about a well-formed value that does not fit `Op`: point at
/// the start of the value and quote it.
fn data_fault(line: &str, end: usize, message: &str) -> Fault {
    if let Some(field) = message.strip_prefix("missing field ") {
        return Fault::new(end, format!("the field {field}"), "the end of the object");
    }
    let start = value_start(line.as_bytes(), end);
    let stop = ceil_char_boundary(line, end + 1);
    let token = excerpt(&line[start..stop]);
    if message.starts_with("duplicate field ") {
        return Fault::new(start, "each field once", format!("a second {token}"));
    }
    Fault::new(start, data_expected(message), token)
}

/// What a data error's message says was expected.
fn data_expected(message: &str) -> String {
    // Our own deserializers say "expected X, found Y".
    if let Some(rest) = message.strip_prefix("expected ") {
        return rest
            .split_once(", found ")
            .map_or(rest, |(what, _)| what)
            .to_string();
    }
    // `Process` is the one untagged enum in `Op`; serde cannot say more.
    if message.contains("untagged enum") {
        return "a process number or \"nemesis\"".to_string();
    }
    // serde's "invalid type: string \"x\", expected u64" and its kin.
    match message.rsplit_once(", expected ") {
        Some((_, "u64")) => "a non-negative integer".to_string(),
        Some((_, what)) => what.to_string(),
        None => message.to_string(),
    }
}

/// The smallest char boundary of `text` at or above `offset`, clamped.
fn ceil_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// Where the JSON value that ends at byte `end` of `line` starts: a string's
/// opening quote, a number's or literal's first character, a container's
/// opening bracket. Falls back to `end` when the text does not look like a
/// value ending there.
fn value_start(line: &[u8], end: usize) -> usize {
    let Some(&last) = line.get(end) else {
        return end.min(line.len());
    };
    match last {
        b'"' => opening_quote(line, end).unwrap_or(end),
        b'}' | b']' => opening_bracket(line, end).unwrap_or(end),
        _ if is_scalar_byte(last) => {
            let mut start = end;
            while start > 0 && is_scalar_byte(line[start - 1]) {
                start -= 1;
            }
            start
        }
        _ => end,
    }
}

fn is_scalar_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'+' | b'-')
}

/// True when the quote at `at` is escaped (preceded by an odd number of
/// backslashes).
fn is_escaped(line: &[u8], at: usize) -> bool {
    line[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// The opening quote of the string whose closing quote is at `close`.
fn opening_quote(line: &[u8], close: usize) -> Option<usize> {
    (0..close)
        .rev()
        .find(|&i| line[i] == b'"' && !is_escaped(line, i))
}

/// The opening bracket of the container whose closing bracket is at
/// `close`, stepping over strings.
fn opening_bracket(line: &[u8], close: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = close;
    loop {
        match line[i] {
            b'"' if !is_escaped(line, i) => i = opening_quote(line, i)?,
            b'}' | b']' => depth += 1,
            b'{' | b'[' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i = i.checked_sub(1)?;
    }
}

/// Writes `history` as JSON Lines: one record per line, in the shape
/// [`Op`] derives, each line ending in `\n`. [`super::parse`] with
/// [`super::Format::Jsonl`] reads it back to the same history.
pub fn write_jsonl(history: &History, out: &mut impl Write) -> io::Result<()> {
    for op in &history.ops {
        serde_json::to_writer(&mut *out, op)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_start_finds_the_start_of_what_ended_there() {
        let line = br#"{"a":"x\"y","b":[1,{"c":"]"}],"d":-12}"#;
        let end_of = |s: &str| {
            let text = std::str::from_utf8(line).unwrap();
            (text.find(s).unwrap(), text.find(s).unwrap() + s.len() - 1)
        };
        for token in [r#""x\"y""#, r#"[1,{"c":"]"}]"#, "-12", r#"{"c":"]"}"#] {
            let (start, end) = end_of(token);
            assert_eq!(value_start(line, end), start, "{token}");
        }
    }
}
