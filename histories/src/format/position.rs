//! Where things are in a text, and the error that says so.
//!
//! The parsers work in byte offsets: they are cheap to carry and slice with.
//! People read lines and columns, so offsets are turned into [`Position`]s
//! only at the edge: once per record (with a [`Locator`] that walks forward,
//! so the whole file costs one pass) and once for an error.

use std::fmt;

/// A place in a text file: line and column, both counted from 1. Columns
/// count characters, not bytes, so they match what an editor shows (a tab
/// counts as one column).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// Line number, from 1.
    pub line: u32,
    /// Column within the line, in characters, from 1.
    pub col: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Why a history file could not be read, and where: displayed as
/// `{file}:{line}:{col}: expected {expected}, found {found}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The file name as the caller gave it.
    pub file: String,
    /// Line of the problem, from 1.
    pub line: u32,
    /// Column of the problem, in characters, from 1.
    pub col: u32,
    /// What the parser was looking for.
    pub expected: String,
    /// What it found instead: a short excerpt in backticks, or words such
    /// as `end of input` and `end of line`.
    pub found: String,
}

impl ParseError {
    /// The error's position.
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            col: self.col,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: expected {}, found {}",
            self.file, self.line, self.col, self.expected, self.found
        )
    }
}

impl std::error::Error for ParseError {}

/// A parse error before it is located: a byte offset into the text being
/// parsed. Every parser returns these; [`Fault::locate`] makes the public
/// error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    /// Byte offset of the problem in the parsed text.
    pub offset: usize,
    /// What was expected.
    pub expected: String,
    /// What was found.
    pub found: String,
}

impl Fault {
    /// A fault with an explicit description of what was found.
    pub fn new(offset: usize, expected: impl Into<String>, found: impl Into<String>) -> Fault {
        Fault {
            offset,
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// A fault whose "found" is the token of `text` at `offset`.
    pub fn at_token(text: &str, offset: usize, expected: impl Into<String>) -> Fault {
        Fault::new(offset, expected, describe_token(text, offset))
    }

    /// The public error, with the offset turned into a line and column of
    /// `text` (the same text the offset points into).
    pub fn locate(self, text: &str, file: &str) -> ParseError {
        let position = Locator::new(text).locate(self.offset);
        ParseError {
            file: file.to_string(),
            line: position.line,
            col: position.col,
            expected: self.expected,
            found: self.found,
        }
    }
}

/// The longest excerpt an error quotes, in characters; longer tokens are
/// cut and end with `…`.
const MAX_EXCERPT_CHARS: usize = 24;

/// True for bytes that end a token in every format we read: whitespace,
/// commas (whitespace in EDN), brackets, quotes, comments, backslashes.
pub(crate) fn is_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | 0x0b
            | 0x0c
            | b','
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'"'
            | b';'
            | b'\\'
    )
}

/// Describes what sits at `offset` in `text` for an error's "found" part:
/// `end of input`, `end of line`, or a short excerpt in backticks (a string
/// literal up to its closing quote, a bracket alone, or any other token up
/// to the next delimiter).
pub(crate) fn describe_token(text: &str, offset: usize) -> String {
    let offset = floor_char_boundary(text, offset);
    let rest = &text[offset..];
    let Some(&first) = rest.as_bytes().first() else {
        return "end of input".to_string();
    };
    let len = match first {
        b'\n' | b'\r' => return "end of line".to_string(),
        b'"' => string_literal_len(rest),
        b'\\' => 1 + rest[1..].chars().next().map_or(0, char::len_utf8),
        byte if is_delimiter(byte) => 1,
        _ => rest.bytes().position(is_delimiter).unwrap_or(rest.len()),
    };
    excerpt(&rest[..len.max(1).min(rest.len())])
}

/// Length in bytes of the string literal at the start of `text`, up to and
/// including its closing quote, or up to the end of the line when it has
/// none.
fn string_literal_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    floor_char_boundary(text, bytes.len())
}

/// `token` in backticks, cut to [`MAX_EXCERPT_CHARS`], with control
/// characters escaped so an error message stays on one line.
pub(crate) fn excerpt(token: &str) -> String {
    let mut out = String::with_capacity(token.len().min(64) + 2);
    out.push('`');
    for (count, c) in token.chars().enumerate() {
        if count == MAX_EXCERPT_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}

/// The largest char boundary of `text` at or below `offset` (clamped to the
/// text's length).
pub(crate) fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The lines of `text` with the byte offset each starts at, without their
/// `\n` or `\r\n` ending (a final line without one is included).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let rest = &text[start..];
        let len = rest.find('\n').unwrap_or(rest.len());
        let line = &rest[..len];
        let line_start = start;
        start += len + 1;
        Some((line_start, line.strip_suffix('\r').unwrap_or(line)))
    })
}

/// Turns byte offsets into positions. Asking for offsets in increasing
/// order costs one pass over the text in total; an offset behind the last
/// one restarts from the beginning.
pub(crate) struct Locator<'a> {
    text: &'a str,
    offset: usize,
    position: Position,
}

impl<'a> Locator<'a> {
    /// A locator at the start of `text`.
    pub fn new(text: &'a str) -> Locator<'a> {
        Locator {
            text,
            offset: 0,
            position: Position { line: 1, col: 1 },
        }
    }

    /// The position of byte `offset` (clamped to the text and to a char
    /// boundary).
    pub fn locate(&mut self, offset: usize) -> Position {
        let offset = floor_char_boundary(self.text, offset);
        if offset < self.offset {
            *self = Locator::new(self.text);
        }
        for c in self.text[self.offset..offset].chars() {
            if c == '\n' {
                self.position.line = self.position.line.saturating_add(1);
                self.position.col = 1;
            } else {
                self.position.col = self.position.col.saturating_add(1);
            }
        }
        self.offset = offset;
        self.position
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locator_counts_characters_and_lines() {
        let text = "ab\né\tx\n\nz";
        let mut locator = Locator::new(text);
        let at = |s: &str| text.find(s).unwrap();
        assert_eq!(locator.locate(0), Position { line: 1, col: 1 });
        assert_eq!(locator.locate(at("x")), Position { line: 2, col: 3 });
        assert_eq!(locator.locate(at("z")), Position { line: 4, col: 1 });
        // Going backwards restarts; offsets inside a character are clamped.
        assert_eq!(locator.locate(at("é") + 1), Position { line: 2, col: 1 });
        assert_eq!(locator.locate(usize::MAX), Position { line: 4, col: 2 });
    }

    #[test]
    fn tokens_are_described_briefly() {
        let cases = [
            ("", 0, "end of input"),
            ("a\nb", 1, "end of line"),
            ("[1 2]", 0, "`[`"),
            ("x :bogus y", 2, "`:bogus`"),
            (r#"k "a \" b" z"#, 2, r#"`"a \" b"`"#),
            ("\"open\nnext", 0, "`\"open`"),
            (
                "abcdefghijklmnopqrstuvwxyz0123",
                0,
                "`abcdefghijklmnopqrstuvwx…`",
            ),
            ("\u{1}\u{2}", 0, "`\\u{1}\\u{2}`"),
            ("\\qb", 0, "`\\q`"),
        ];
        for (text, offset, expected) in cases {
            assert_eq!(describe_token(text, offset), expected, "{text:?}");
        }
    }

    #[test]
    fn lines_know_where_they_start() {
        let found: Vec<_> = lines("a\r\n\nbc").collect();
        assert_eq!(found, [(0, "a"), (3, ""), (4, "bc")]);
        assert_eq!(lines("x\n").count(), 1);
    }

    #[test]
    fn parse_errors_display_in_the_compiler_style() {
        let err =
            Fault::at_token("ok\n  :bogus", 5, "a record type").locate("ok\n  :bogus", "h.edn");
        assert_eq!(
            err.to_string(),
            "h.edn:2:3: expected a record type, found `:bogus`"
        );
        assert_eq!(err.position(), Position { line: 2, col: 3 });
    }
}
