//! EDN syntax: reading values without knowing what they mean.
//!
//! Jepsen writes histories in EDN, Clojure's data notation. This reader
//! knows its syntax well enough to read every history Jepsen (and Porcupine's
//! test data) produce, and to step over anything else:
//!
//! - `nil`, `true`, `false`, integers (`-3`, `42N`), strings with the escapes
//!   `\" \\ \n \t \r \b \f \uXXXX`, keywords (`:ok`, `:jepsen/foo`),
//!   characters (`\a`, `\newline`), symbols;
//! - vectors `[..]`, lists `(..)`, maps `{..}`, sets `#{..}`, tagged
//!   elements (`#inst ".."`, record literals `#jepsen.history.Op{..}`);
//! - whitespace, commas, `;` comments and `#_` discards between tokens.
//!
//! It reads in two modes that share one walk over the text: *building* a
//! [`Value`] (for the keys a record format understands) or *skipping* (for
//! keys it ignores), which checks the syntax but allocates nothing. [`Value`]
//! has no floats, symbols, maps or sets, so building converts what it can
//! and rejects the rest precisely:
//!
//! - floats (`1.5`, `1e3`, `2M`, `##Inf`) and symbols are errors when built
//!   ("expected an integer", "expected a value"), fine when skipped;
//! - a set becomes a list of its elements in file order, a map a list of
//!   `[key value]` lists in file order, a character a one-character string,
//!   a tagged element its value (the tag is dropped).

use super::position::{describe_token, excerpt, floor_char_boundary, is_delimiter, Fault, Locator};
use crate::value::Value;
use std::borrow::Cow;
use std::ops::Range;

/// How deeply collections may nest. Histories nest a few levels at most;
/// the limit keeps hostile input from overflowing the stack.
pub(crate) const MAX_DEPTH: u32 = 100;

/// What an escape in a string may be, for error messages.
const ESCAPES: &str = r#"an escape (\" \\ \n \t \r \b \f or \uXXXX)"#;

/// A cursor over EDN text. Offsets are into the whole text, so errors and
/// record positions need no translation; `end` lets a caller confine the
/// reader to part of it (one line of a log).
pub(crate) struct EdnReader<'a> {
    text: &'a str,
    end: usize,
    pos: usize,
}

/// A map key as records see it: a keyword's name, or anything else.
pub(crate) enum MapKey<'a> {
    /// A keyword, without its colon.
    Keyword(&'a str),
    /// Any other key (skipped).
    Other,
}

impl<'a> EdnReader<'a> {
    /// A reader over all of `text`.
    pub fn new(text: &'a str) -> EdnReader<'a> {
        EdnReader::within(text, 0..text.len())
    }

    /// A reader over `range` of `text` (byte offsets on char boundaries).
    pub fn within(text: &'a str, range: Range<usize>) -> EdnReader<'a> {
        EdnReader {
            text,
            end: range.end,
            pos: range.start,
        }
    }

    /// The current byte offset.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The whole text the offsets point into.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The next byte, if any is left.
    pub fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            Some(self.text.as_bytes()[self.pos])
        } else {
            None
        }
    }

    /// True when nothing is left.
    pub fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    /// Steps over one byte the caller has peeked.
    pub fn bump(&mut self) {
        self.pos += 1;
    }

    /// A fault at `offset` whose "found" is the token there (or the end of
    /// the reader's range).
    pub fn fault_at(&self, offset: usize, expected: impl Into<String>) -> Fault {
        if offset >= self.end {
            return Fault::new(offset, expected, self.end_word());
        }
        Fault::at_token(&self.text[..self.end], offset, expected)
    }

    /// A fault at the current offset.
    pub fn fault(&self, expected: impl Into<String>) -> Fault {
        self.fault_at(self.pos, expected)
    }

    /// "end of input", or "end of line" when the reader is confined to a line.
    fn end_word(&self) -> &'static str {
        if self.end >= self.text.len() {
            "end of input"
        } else {
            "end of line"
        }
    }

    /// `line:col` of an offset, for messages that point back to an opening
    /// bracket or quote. Only used on the error path.
    pub fn where_is(&self, offset: usize) -> String {
        Locator::new(self.text).locate(offset).to_string()
    }

    /// Skips whitespace, commas, `;` comments and `#_` discards.
    pub fn skip_blank(&mut self) -> Result<(), Fault> {
        self.skip_blank_at(0)
    }

    fn skip_blank_at(&mut self, depth: u32) -> Result<(), Fault> {
        while let Some(byte) = self.peek() {
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | b',' => self.pos += 1,
                b';' => self.skip_comment(),
                b'#' if self.byte_after() == Some(b'_') => {
                    self.check_depth(depth)?;
                    self.pos += 2;
                    self.value(depth + 1, false)?;
                }
                b'#' if self.byte_after() == Some(b'!') => self.skip_comment(),
                _ => break,
            }
        }
        Ok(())
    }

    fn skip_comment(&mut self) {
        let rest = &self.text.as_bytes()[self.pos..self.end];
        self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    }

    fn byte_after(&self) -> Option<u8> {
        if self.pos + 1 < self.end {
            Some(self.text.as_bytes()[self.pos + 1])
        } else {
            None
        }
    }

    /// Reads one value and converts it (see the module doc for what cannot
    /// be converted). Returns it with the offset it starts at.
    pub fn read_value(&mut self) -> Result<(Value, usize), Fault> {
        self.skip_blank()?;
        let start = self.pos;
        let value = self.value(0, true)?;
        Ok((value, start))
    }

    /// Steps over one value of any kind, checking its syntax; returns the
    /// byte range it spans.
    pub fn skip_value(&mut self) -> Result<Range<usize>, Fault> {
        self.skip_blank()?;
        let start = self.pos;
        self.value(0, false)?;
        Ok(start..self.pos)
    }

    /// Reads a keyword if one comes next (returning its name and offset);
    /// leaves the reader where it was otherwise.
    pub fn keyword(&mut self) -> Result<Option<(&'a str, usize)>, Fault> {
        self.skip_blank()?;
        if self.peek() != Some(b':') {
            return Ok(None);
        }
        let start = self.pos;
        let token = self.token();
        Ok(Some((self.keyword_name(token, start)?, start)))
    }

    /// Reads a non-negative integer if one comes next (returning it with
    /// its offset), up to `u64::MAX` — more than a [`Value`] holds, as
    /// process numbers and times may need. Leaves the reader where it was
    /// when something else comes.
    pub fn unsigned(&mut self) -> Result<Option<(u64, usize)>, Fault> {
        self.skip_blank()?;
        let starts_number = match self.peek() {
            Some(b'+') => self.byte_after().is_some_and(|b| b.is_ascii_digit()),
            Some(byte) => byte.is_ascii_digit(),
            None => false,
        };
        if !starts_number {
            return Ok(None);
        }
        let start = self.pos;
        let token = self.token();
        let digits = token.strip_prefix('+').unwrap_or(token);
        let digits = digits.strip_suffix('N').unwrap_or(digits);
        match digits.parse::<u64>() {
            Ok(n) if digits.bytes().all(|b| b.is_ascii_digit()) => Ok(Some((n, start))),
            _ => {
                self.pos = start;
                // Let the general reader name the problem (a float, an
                // overflow, a malformed number).
                match self.value(0, true) {
                    Err(fault) => Err(fault),
                    Ok(_) => Err(Fault::new(
                        start,
                        "an integer that fits in 64 bits",
                        excerpt(token),
                    )),
                }
            }
        }
    }

    /// Opens a map: `{`, or a tagged one such as `#jepsen.history.Op{`.
    /// Returns the offset where it starts. `what` names the map for the
    /// error when something else comes.
    pub fn open_map(&mut self, what: &str) -> Result<usize, Fault> {
        self.skip_blank()?;
        let start = self.pos;
        if self.peek() == Some(b'#') && self.byte_after().is_some_and(is_symbol_start) {
            self.pos += 1;
            self.skip_token_rest();
            self.skip_blank()?;
        }
        if self.peek() != Some(b'{') {
            return Err(self.fault_at(start, what));
        }
        self.pos += 1;
        Ok(start)
    }

    /// The next key of an open record map, or `None` (having consumed the
    /// `}`) when the map ends. Returns the key with its offset. Any value
    /// may be a key except a map, which is reported as the record not being
    /// closed.
    pub fn map_key(&mut self, map_start: usize) -> Result<Option<(MapKey<'a>, usize)>, Fault> {
        self.skip_blank()?;
        let start = self.pos;
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                Ok(None)
            }
            None | Some(b']') | Some(b')') => Err(self.unclosed(map_start, "map", b'}')),
            Some(b':') => {
                let token = self.token();
                Ok(Some((
                    MapKey::Keyword(self.keyword_name(token, start)?),
                    start,
                )))
            }
            // A map where a record's key should be is, in practice, the next
            // record after one that lost its closing brace.
            Some(b'{') => Err(self.unclosed(map_start, "map", b'}')),
            Some(_) => {
                self.value(1, false)?;
                Ok(Some((MapKey::Other, start)))
            }
        }
    }

    /// Checks that a map value follows a key (so `{:type}` reports the
    /// missing value rather than a stray `}`).
    pub fn expect_map_value(&mut self, key_start: usize) -> Result<(), Fault> {
        self.skip_blank()?;
        match self.peek() {
            None | Some(b'}') | Some(b']') | Some(b')') => {
                let key = describe_token(self.text, key_start);
                Err(self.fault(format!("a value for the key {key}")))
            }
            Some(_) => Ok(()),
        }
    }

    /// The value at the current offset (blank already skipped); `Nil` when
    /// not building.
    fn value(&mut self, depth: u32, build: bool) -> Result<Value, Fault> {
        self.skip_blank_at(depth)?;
        let Some(byte) = self.peek() else {
            return Err(self.fault("a value"));
        };
        match byte {
            b'[' => self.sequence(depth, build, b']', "vector"),
            b'(' => self.sequence(depth, build, b')', "list"),
            b'{' => self.map(depth, build),
            b'"' => {
                let s = self.string(build)?;
                Ok(if build {
                    Value::Str(s.into_owned())
                } else {
                    Value::Nil
                })
            }
            b'#' => self.dispatch(depth, build),
            b'\\' => self.character(build),
            _ => self.atom(build),
        }
    }

    fn check_depth(&self, depth: u32) -> Result<(), Fault> {
        if depth >= MAX_DEPTH {
            return Err(Fault::new(
                self.pos,
                format!("collections nested at most {MAX_DEPTH} deep"),
                "deeper nesting",
            ));
        }
        Ok(())
    }

    /// The fault for a collection opened at `open` that does not close
    /// where it should (end of input, or the wrong closing bracket).
    fn unclosed(&self, open: usize, what: &str, close: u8) -> Fault {
        let opened = self.where_is(open);
        self.fault(format!(
            "`{}` to close the {what} opened at {opened}",
            close as char
        ))
    }

    /// A vector, list or set: elements until `close`. `self.pos` is at the
    /// opening bracket (or the `#` of a set).
    fn sequence(&mut self, depth: u32, build: bool, close: u8, what: &str) -> Result<Value, Fault> {
        self.check_depth(depth)?;
        let open = self.pos;
        self.pos += if what == "set" { 2 } else { 1 };
        let mut items = Vec::new();
        loop {
            self.skip_blank_at(depth)?;
            match self.peek() {
                Some(byte) if byte == close => {
                    self.pos += 1;
                    return Ok(if build {
                        Value::List(items)
                    } else {
                        Value::Nil
                    });
                }
                None | Some(b']') | Some(b')') | Some(b'}') => {
                    return Err(self.unclosed(open, what, close));
                }
                Some(_) => {
                    let item = self.value(depth + 1, build)?;
                    if build {
                        items.push(item);
                    }
                }
            }
        }
    }

    /// A map; built as a list of `[key value]` lists.
    fn map(&mut self, depth: u32, build: bool) -> Result<Value, Fault> {
        self.check_depth(depth)?;
        let open = self.pos;
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_blank_at(depth)?;
            let key_start = self.pos;
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(if build {
                        Value::List(entries)
                    } else {
                        Value::Nil
                    });
                }
                None | Some(b']') | Some(b')') => return Err(self.unclosed(open, "map", b'}')),
                Some(_) => {
                    let key = self.value(depth + 1, build)?;
                    self.expect_map_value(key_start)?;
                    let value = self.value(depth + 1, build)?;
                    if build {
                        entries.push(Value::List(vec![key, value]));
                    }
                }
            }
        }
    }

    /// What follows `#`: a set, a symbolic value (`##Inf`), or a tag and
    /// the element it tags.
    fn dispatch(&mut self, depth: u32, build: bool) -> Result<Value, Fault> {
        let start = self.pos;
        match self.byte_after() {
            Some(b'{') => self.sequence(depth, build, b'}', "set"),
            Some(b'#') => {
                self.pos += 2;
                self.skip_token_rest();
                self.not_built(build, start, "an integer (floats are not supported)")
            }
            Some(byte) if is_symbol_start(byte) => {
                self.check_depth(depth)?;
                self.pos += 1;
                self.skip_token_rest();
                self.skip_blank_at(depth)?;
                if self.at_end() || matches!(self.peek(), Some(b']' | b')' | b'}')) {
                    return Err(self.fault("a value after the tag"));
                }
                self.value(depth + 1, build)
            }
            _ => Err(self.fault("a set `#{`, a discard `#_` or a tag after `#`")),
        }
    }

    /// Steps over the token at the current offset and returns it. The
    /// caller has checked that a byte is there; it is taken even if it is a
    /// delimiter (`:` then `(` is the bad keyword `:`).
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        self.pos += 1;
        self.skip_token_rest();
        &self.text[start..self.pos]
    }

    /// Steps over bytes up to the next delimiter. Delimiters are ASCII, so
    /// this stops on a char boundary (continuation bytes of a multi-byte
    /// character are never delimiters).
    fn skip_token_rest(&mut self) {
        while let Some(byte) = self.peek() {
            if is_delimiter(byte) {
                break;
            }
            self.pos += 1;
        }
    }

    /// The name of keyword token `:name` that starts at `start`.
    fn keyword_name(&self, token: &'a str, start: usize) -> Result<&'a str, Fault> {
        let name = &token[1..];
        if name.is_empty() || name.starts_with(':') {
            return Err(Fault::new(
                start,
                "a keyword name after `:`",
                excerpt(token),
            ));
        }
        Ok(name)
    }

    /// `Nil` when skipping; the error `expected` when asked to build a
    /// value [`Value`] cannot hold, found the token at `start`.
    fn not_built(&self, build: bool, start: usize, expected: &str) -> Result<Value, Fault> {
        if build {
            Err(Fault::new(
                start,
                expected,
                excerpt(&self.text[start..self.pos]),
            ))
        } else {
            Ok(Value::Nil)
        }
    }

    /// A number, keyword, symbol, `nil`, `true` or `false`.
    fn atom(&mut self, build: bool) -> Result<Value, Fault> {
        let start = self.pos;
        let first = self.text.as_bytes()[start];
        if matches!(first, b']' | b')' | b'}') {
            return Err(self.fault("a value"));
        }
        let token = self.token();
        let second = token.as_bytes().get(1).copied();
        if first.is_ascii_digit()
            || (matches!(first, b'+' | b'-') && second.is_some_and(|b| b.is_ascii_digit()))
        {
            return self.number(token, start, build);
        }
        if first == b':' {
            let name = self.keyword_name(token, start)?;
            return Ok(if build {
                Value::Keyword(name.to_string())
            } else {
                Value::Nil
            });
        }
        match token {
            "nil" => Ok(Value::Nil),
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ if !is_symbol_start(first) => Err(Fault::new(start, "a value", excerpt(token))),
            _ => self.not_built(build, start, "a value (symbols are not supported)"),
        }
    }

    /// An integer (`-3`, `42N`), or a float (`1.5`, `1e3`, `2M`, `1/2`)
    /// which only skipping accepts.
    fn number(&self, token: &str, start: usize, build: bool) -> Result<Value, Fault> {
        let digits = token.strip_suffix('N').unwrap_or(token);
        let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
        if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return match digits.parse::<i64>() {
                Ok(int) => Ok(Value::Int(int)),
                Err(_) => Err(Fault::new(
                    start,
                    "an integer that fits in 64 signed bits",
                    excerpt(token),
                )),
            };
        }
        let is_float = unsigned.bytes().all(|b| {
            b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'M' | b'/')
        });
        if !is_float {
            return Err(Fault::new(start, "a number", excerpt(token)));
        }
        if build {
            Err(Fault::new(
                start,
                "an integer (floats are not supported)",
                excerpt(token),
            ))
        } else {
            Ok(Value::Nil)
        }
    }

    /// A character literal: `\c`, `\newline`, `\space`, `\tab`, `\return`,
    /// `\backspace`, `\formfeed` or `\uXXXX`; built as a string.
    fn character(&mut self, build: bool) -> Result<Value, Fault> {
        let start = self.pos;
        let Some(first) = self.text[start + 1..self.end].chars().next() else {
            self.pos += 1;
            return Err(self.fault("a character after `\\`"));
        };
        // The first character may itself be a delimiter (`\(`, `\\`).
        self.pos = start + 1 + first.len_utf8();
        self.skip_token_rest();
        let name = &self.text[start + 1..self.pos];
        let c = if name.len() == first.len_utf8() {
            Some(first)
        } else {
            match name {
                "newline" => Some('\n'),
                "space" => Some(' '),
                "tab" => Some('\t'),
                "return" => Some('\r'),
                "backspace" => Some('\u{8}'),
                "formfeed" => Some('\u{c}'),
                _ => name
                    .strip_prefix('u')
                    .filter(|hex| hex.len() == 4)
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32),
            }
        };
        match c {
            Some(c) if build => Ok(Value::Str(c.to_string())),
            Some(_) => Ok(Value::Nil),
            None => Err(Fault::new(
                start,
                "a character (\\c, \\newline, \\space, \\tab, \\return, \\uXXXX)",
                excerpt(&self.text[start..self.pos]),
            )),
        }
    }

    /// A string literal; borrowed from the text when it has no escapes.
    /// When not building, checks the escapes and returns an empty string.
    pub fn string(&mut self, build: bool) -> Result<Cow<'a, str>, Fault> {
        let open = self.pos;
        self.pos += 1;
        let bytes = &self.text.as_bytes()[..self.end];
        let mut owned: Option<String> = None;
        let mut run_start = self.pos;
        loop {
            let Some(i) = bytes[self.pos..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
            else {
                self.pos = self.end;
                let opened = self.where_is(open);
                return Err(self.fault(format!("`\"` to close the string opened at {opened}")));
            };
            self.pos += i;
            let run = &self.text[run_start..self.pos];
            if bytes[self.pos] == b'"' {
                self.pos += 1;
                return Ok(match owned {
                    Some(mut s) if build => {
                        s.push_str(run);
                        Cow::Owned(s)
                    }
                    None if build => Cow::Borrowed(run),
                    _ => Cow::Borrowed(""),
                });
            }
            let c = self.escape()?;
            if build {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(run);
                s.push(c);
            }
            run_start = self.pos;
        }
    }

    /// The escape at the current offset (at its backslash); steps over it.
    fn escape(&mut self) -> Result<char, Fault> {
        let start = self.pos;
        let code = self
            .text
            .as_bytes()
            .get(start + 1)
            .copied()
            .filter(|_| start + 1 < self.end);
        let simple = match code {
            Some(b'"') => Some('"'),
            Some(b'\\') => Some('\\'),
            Some(b'n') => Some('\n'),
            Some(b't') => Some('\t'),
            Some(b'r') => Some('\r'),
            Some(b'b') => Some('\u{8}'),
            Some(b'f') => Some('\u{c}'),
            Some(b'u') => None,
            _ => return Err(self.fault(ESCAPES)),
        };
        if let Some(c) = simple {
            self.pos += 2;
            return Ok(c);
        }
        let high = self.unicode_unit(start)?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high).ok_or_else(|| self.bad_unicode(start));
        }
        // A UTF-16 surrogate pair: `\uD83D\uDE00`.
        let low_start = self.pos;
        if self.text[low_start..self.end].starts_with("\\u") {
            let low = self.unicode_unit(low_start)?;
            if (0xDC00..0xE000).contains(&low) {
                let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(c).ok_or_else(|| self.bad_unicode(start));
            }
        }
        Err(self.bad_unicode(start))
    }

    /// The four hex digits of the `\uXXXX` at `start`; steps over them.
    fn unicode_unit(&mut self, start: usize) -> Result<u32, Fault> {
        let hex = self
            .text
            .get(start + 2..start + 6)
            .filter(|_| start + 6 <= self.end);
        match hex.filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) {
            Some(hex) => {
                self.pos = start + 6;
                Ok(u32::from_str_radix(hex, 16).expect("four hex digits"))
            }
            None => {
                let end = floor_char_boundary(self.text, (start + 6).min(self.end));
                Err(Fault::new(start, ESCAPES, excerpt(&self.text[start..end])))
            }
        }
    }

    fn bad_unicode(&self, start: usize) -> Fault {
        Fault::new(
            start,
            "a unicode escape of a character (surrogates must come in pairs)",
            excerpt(&self.text[start..self.pos]),
        )
    }
}

/// True for bytes a symbol (or a tag) may start with.
fn is_symbol_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte >= 0x80 || b"*+!-_?<>=./&$%|'".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Value, Fault> {
        let mut reader = EdnReader::new(text);
        let (value, _) = reader.read_value()?;
        reader.skip_blank()?;
        assert!(reader.at_end(), "left over in {text:?}");
        Ok(value)
    }

    fn list(items: Vec<Value>) -> Value {
        Value::List(items)
    }

    #[test]
    fn reads_every_kind_of_value() {
        let cases = [
            ("nil", Value::Nil),
            ("true", Value::Bool(true)),
            (" -42 ", Value::Int(-42)),
            ("+7", Value::Int(7)),
            ("12N", Value::Int(12)),
            (":jepsen/foo", Value::Keyword("jepsen/foo".into())),
            (
                r#""a\"b\\c\n\t\r\u00e9\uD83D\uDE00""#,
                Value::str("a\"b\\c\n\t\ré😀"),
            ),
            ("\"multi\nline\"", Value::str("multi\nline")),
            ("[1, 2 ,3]", list(vec![1.into(), 2.into(), 3.into()])),
            (
                "(:a \"b\")",
                list(vec![Value::Keyword("a".into()), "b".into()]),
            ),
            ("#{1}", list(vec![1.into()])),
            (
                "{:a 1}",
                list(vec![list(vec![Value::Keyword("a".into()), 1.into()])]),
            ),
            ("\\a", Value::str("a")),
            ("\\newline", Value::str("\n")),
            ("#inst \"2020\"", Value::str("2020")),
            ("[1 #_2 3] ; comment", list(vec![1.into(), 3.into()])),
            ("[#_ #_ 1 2]", list(vec![])),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn skipping_accepts_what_values_cannot_hold() {
        for text in [
            "1.5",
            "1e3",
            "2M",
            "##Inf",
            "foo",
            "{:a [1.5 #{sym}]}",
            "#x/y {1 2.0}",
        ] {
            let mut reader = EdnReader::new(text);
            assert_eq!(reader.skip_value(), Ok(0..text.len()), "{text}");
            assert!(read(text).is_err(), "{text} should not build");
        }
    }

    #[test]
    fn errors_say_what_was_expected_and_found() {
        let cases = [
            ("1.5", 0, "an integer (floats are not supported)", "`1.5`"),
            (
                "99999999999999999999",
                0,
                "an integer that fits in 64 signed bits",
                "`99999999999999999999`",
            ),
            (
                "[1 2",
                4,
                "`]` to close the vector opened at 1:1",
                "end of input",
            ),
            ("(1 ]", 3, "`)` to close the list opened at 1:1", "`]`"),
            ("{:a}", 3, "a value for the key `:a`", "`}`"),
            (
                "\"abc",
                4,
                "`\"` to close the string opened at 1:1",
                "end of input",
            ),
            (r#""a\qb""#, 2, ESCAPES, "`\\q`"),
            (r#""\u12""#, 1, ESCAPES, "`\\u12\"`"),
            (
                r#""\uD800x""#,
                1,
                "a unicode escape of a character (surrogates must come in pairs)",
                "`\\uD800`",
            ),
            (":", 0, "a keyword name after `:`", "`:`"),
            ("@x", 0, "a value", "`@x`"),
            (
                "#@x",
                0,
                "a set `#{`, a discard `#_` or a tag after `#`",
                "`#@x`",
            ),
            ("", 0, "a value", "end of input"),
            ("]", 0, "a value", "`]`"),
            ("\\", 1, "a character after `\\`", "end of input"),
            (
                "\\bogus",
                0,
                "a character (\\c, \\newline, \\space, \\tab, \\return, \\uXXXX)",
                "`\\bogus`",
            ),
        ];
        for (text, offset, expected, found) in cases {
            let fault = read(text).unwrap_err();
            assert_eq!(fault, Fault::new(offset, expected, found), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for text in [
            "[".repeat(100_000),
            "[#_".repeat(100_000),
            "#a ".repeat(100_000) + "1",
        ] {
            let fault = EdnReader::new(&text).skip_value().unwrap_err();
            assert_eq!(fault.found, "deeper nesting");
        }
    }

    #[test]
    fn a_confined_reader_stops_at_the_end_of_its_line() {
        let text = "[1\n2]";
        let mut reader = EdnReader::within(text, 0..2);
        let fault = reader.read_value().unwrap_err();
        assert_eq!(
            fault,
            Fault::new(2, "`]` to close the vector opened at 1:1", "end of line")
        );
    }
}
