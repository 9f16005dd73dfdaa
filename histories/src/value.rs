//! The values that operations carry: register contents, keys, cas pairs.
//!
//! Jepsen histories are EDN, so a value can be nil, an integer, a string, a
//! keyword or a vector of values (a cas carries `[expected new]`). We keep
//! exactly that vocabulary, with a total order and a hash, so values can be
//! keys of ordered maps and parts of memoized checker states.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A value in an operation: the argument of an invoke or the result of a
/// completion.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// EDN `nil`, JSON `null`: no value (what "nil" *means* — absent or
    /// unknown — is decided by the model, not here).
    #[default]
    Nil,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An EDN keyword, without its leading colon (`:timed-out` is
    /// `Keyword("timed-out")`). In JSON it is `{"keyword": "timed-out"}` so
    /// that it never collides with a string.
    Keyword(String),
    /// A vector or list of values, e.g. a cas's `[expected new]`.
    List(Vec<Value>),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// True for `Nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The integer inside, if this is an `Int`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The string inside, if this is a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is a `List`.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The `(expected, new)` pair of a cas argument `[expected new]`.
    pub fn as_pair(&self) -> Option<(&Value, &Value)> {
        match self.as_list() {
            Some([a, b]) => Some((a, b)),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Nil, Into::into)
    }
}

/// Displays the value in EDN syntax (`nil`, `3`, `"x"`, `:kw`, `[1 2]`).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write_edn_string(f, s),
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Writes `s` as an EDN string literal with the escapes EDN readers accept.
pub fn write_edn_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Nil => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Str(s) => serializer.serialize_str(s),
            Value::Keyword(k) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("keyword", k)?;
                map.end()
            }
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null, a boolean, an integer, a string, {\"keyword\": name} or an array")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        i64::try_from(u)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {u} does not fit in 64 signed bits")))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Value, E> {
        Err(E::custom(format!(
            "expected an integer, found the float {x}"
        )))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.to_string()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut keyword = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "keyword" || keyword.is_some() {
                return Err(de::Error::custom(format!(
                    "expected an object {{\"keyword\": name}}, found key \"{key}\""
                )));
            }
            keyword = Some(map.next_value::<String>()?);
        }
        keyword
            .map(Value::Keyword)
            .ok_or_else(|| de::Error::custom("expected an object {\"keyword\": name}, found {}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_every_variant_apart() {
        let value = Value::List(vec![
            Value::Nil,
            Value::Bool(true),
            Value::Int(-3),
            Value::str(":not-a-keyword"),
            Value::Keyword("timed-out".into()),
        ]);
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(
            json,
            r#"[null,true,-3,":not-a-keyword",{"keyword":"timed-out"}]"#
        );
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), value);
    }

    #[test]
    fn display_is_edn() {
        let value = Value::List(vec![Value::Int(1), Value::str("a\"b"), Value::Nil]);
        assert_eq!(value.to_string(), r#"[1 "a\"b" nil]"#);
    }
}
