//! Values interned into dense ids, with strings that grow by appending
//! without being copied.
//!
//! The kv model's state is a string that every `append` extends, so a naive
//! model builds and hashes a fresh string, hundreds of bytes long, for every
//! new search state. Here a string is either a literal or "string `a`
//! followed by string `b`", and carries a polynomial hash and a length
//! from which the hash and length of a concatenation follow in O(1). Ids are
//! canonical — two ids are equal iff their values are — because a new
//! string is first looked up by `(hash, length)`, and any candidate found
//! is compared in full (so a hash collision costs time, never a wrong id).

use super::memo::FastHash;
use histories::Value;
use std::collections::HashMap;

/// The id of an interned value (per model instance: ids mean nothing
/// outside the [`super::ValueRegister`] that made them).
pub type ValueId = u32;

/// The polynomial hash base (odd, so multiplication mod 2^64 is a bijection).
const BASE: u64 = 0x100_0000_01b3;

/// How an interned value is held.
#[derive(Debug)]
enum Node {
    /// Anything but a string.
    Other(Value),
    /// A string given in full.
    Literal { text: Box<str>, shape: Shape },
    /// The concatenation of two interned strings.
    Concat {
        prefix: ValueId,
        suffix: ValueId,
        shape: Shape,
    },
    /// The kv model's stand-in for a string no operation will observe
    /// before it is overwritten.
    Unobserved,
}

/// What concatenation needs to know about a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    /// Length in bytes.
    len: u32,
    /// `sum(byte[i] * BASE^(len - 1 - i))` mod 2^64.
    hash: u64,
    /// `BASE^len` mod 2^64.
    power: u64,
}

impl Shape {
    fn of(text: &str) -> Shape {
        let mut hash = 0u64;
        let mut power = 1u64;
        for &byte in text.as_bytes() {
            hash = hash.wrapping_mul(BASE).wrapping_add(u64::from(byte));
            power = power.wrapping_mul(BASE);
        }
        Shape {
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
            hash,
            power,
        }
    }

    fn concat(self, suffix: Shape) -> Shape {
        Shape {
            len: self.len.saturating_add(suffix.len),
            hash: self
                .hash
                .wrapping_mul(suffix.power)
                .wrapping_add(suffix.hash),
            power: self.power.wrapping_mul(suffix.power),
        }
    }
}

/// The interned values of one model instance.
#[derive(Debug, Default)]
pub(crate) struct ValueTable {
    nodes: Vec<Node>,
    others: HashMap<Value, ValueId>,
    /// `(hash, length)` to the first string of that shape; the others are
    /// chained through `same_shape`.
    strings: HashMap<(u64, u32), ValueId, FastHash>,
    /// Per id: the next string with the same shape, or `NONE`.
    same_shape: Vec<ValueId>,
    unobserved: Option<ValueId>,
    /// Per id, for strings asked about by [`ValueTable::may_extend_to`]:
    /// the hash of every prefix, `[n]` being that of the first `n` bytes.
    prefix_hashes: Vec<Option<Box<[u64]>>>,
}

/// The end of a `same_shape` chain.
const NONE: ValueId = ValueId::MAX;

impl ValueTable {
    /// The id of `value`, interning it if new.
    pub(crate) fn intern(&mut self, value: &Value) -> ValueId {
        match value {
            Value::Str(text) => self.intern_str(text),
            other => {
                if let Some(&id) = self.others.get(other) {
                    return id;
                }
                let id = self.push(Node::Other(other.clone()));
                self.others.insert(other.clone(), id);
                id
            }
        }
    }

    fn intern_str(&mut self, text: &str) -> ValueId {
        let shape = Shape::of(text);
        if let Some(id) = self.find_string(shape, |table, id| table.string_equals(id, text)) {
            return id;
        }
        self.push_string(Node::Literal {
            text: text.into(),
            shape,
        })
    }

    /// The id of string `prefix` followed by string `suffix`, or `None`
    /// when either is not a string.
    pub(crate) fn concat(&mut self, prefix: ValueId, suffix: ValueId) -> Option<ValueId> {
        let shape = self.shape(prefix)?.concat(self.shape(suffix)?);
        let found = self.find_string(shape, |table, id| {
            let mut joined = String::with_capacity(shape.len as usize);
            table.write_string(prefix, &mut joined);
            table.write_string(suffix, &mut joined);
            table.string_equals(id, &joined)
        });
        if let Some(id) = found {
            return Some(id);
        }
        Some(self.push_string(Node::Concat {
            prefix,
            suffix,
            shape,
        }))
    }

    /// False only when `from` and `to` are strings and `from` is certainly
    /// not a prefix of `to`, so appending can never turn one into the
    /// other. Compares hashes only: a collision answers true, which is the
    /// safe answer.
    pub(crate) fn may_extend_to(&mut self, from: ValueId, to: ValueId) -> bool {
        if from == to {
            return true;
        }
        let (Some(from_shape), Some(to_shape)) = (self.shape(from), self.shape(to)) else {
            return true;
        };
        if from_shape.len > to_shape.len {
            return false;
        }
        if self.prefix_hashes.len() <= to as usize {
            self.prefix_hashes.resize(self.nodes.len(), None);
        }
        if self.prefix_hashes[to as usize].is_none() {
            let mut text = String::with_capacity(to_shape.len as usize);
            self.write_string(to, &mut text);
            let mut hash = 0u64;
            let mut hashes = Vec::with_capacity(text.len() + 1);
            hashes.push(hash);
            for &byte in text.as_bytes() {
                hash = hash.wrapping_mul(BASE).wrapping_add(u64::from(byte));
                hashes.push(hash);
            }
            self.prefix_hashes[to as usize] = Some(hashes.into_boxed_slice());
        }
        let hashes = self.prefix_hashes[to as usize]
            .as_deref()
            .unwrap_or_default();
        hashes.get(from_shape.len as usize) == Some(&from_shape.hash)
    }

    /// The kv model's stand-in for an unobservable string.
    pub(crate) fn unobserved(&mut self) -> ValueId {
        match self.unobserved {
            Some(id) => id,
            None => {
                let id = self.push(Node::Unobserved);
                self.unobserved = Some(id);
                id
            }
        }
    }

    /// True when `id` is a string (not nil, not the stand-in).
    pub(crate) fn is_string(&self, id: ValueId) -> bool {
        self.shape(id).is_some()
    }

    /// True when `id` is nil.
    pub(crate) fn is_nil(&self, id: ValueId) -> bool {
        matches!(&self.nodes[id as usize], Node::Other(Value::Nil))
    }

    /// True when `id` is the stand-in for an unobservable string.
    pub(crate) fn is_unobserved(&self, id: ValueId) -> bool {
        self.unobserved == Some(id)
    }

    /// The value of `id`. The stand-in reads as the keyword `:unobserved`.
    pub(crate) fn value(&self, id: ValueId) -> Value {
        match &self.nodes[id as usize] {
            Node::Other(value) => value.clone(),
            Node::Unobserved => Value::Keyword("unobserved".to_string()),
            _ => {
                let mut text = String::new();
                self.write_string(id, &mut text);
                Value::Str(text)
            }
        }
    }

    fn push(&mut self, node: Node) -> ValueId {
        let id = ValueId::try_from(self.nodes.len())
            .ok()
            .filter(|&id| id != NONE)
            .expect("fewer than 2^32 - 1 distinct values");
        self.nodes.push(node);
        self.same_shape.push(NONE);
        id
    }

    /// Adds a string node (its shape known new or not equal to any string
    /// of the same shape) to the shape index.
    fn push_string(&mut self, node: Node) -> ValueId {
        let shape = match &node {
            Node::Literal { shape, .. } | Node::Concat { shape, .. } => *shape,
            Node::Other(_) | Node::Unobserved => unreachable!("only strings have shapes"),
        };
        let id = self.push(node);
        if let Some(first) = self.strings.insert((shape.hash, shape.len), id) {
            self.same_shape[id as usize] = first;
        }
        id
    }

    fn shape(&self, id: ValueId) -> Option<Shape> {
        match &self.nodes[id as usize] {
            Node::Literal { shape, .. } | Node::Concat { shape, .. } => Some(*shape),
            Node::Other(_) | Node::Unobserved => None,
        }
    }

    /// The first string with `shape` that `equals` accepts.
    fn find_string(
        &self,
        shape: Shape,
        equals: impl Fn(&Self, ValueId) -> bool,
    ) -> Option<ValueId> {
        let mut candidate = *self.strings.get(&(shape.hash, shape.len))?;
        while candidate != NONE {
            if equals(self, candidate) {
                return Some(candidate);
            }
            candidate = self.same_shape[candidate as usize];
        }
        None
    }

    fn string_equals(&self, id: ValueId, text: &str) -> bool {
        match &self.nodes[id as usize] {
            Node::Literal { text: literal, .. } => **literal == *text,
            _ => {
                let mut own = String::with_capacity(text.len());
                self.write_string(id, &mut own);
                own == text
            }
        }
    }

    /// Appends the string `id` to `out` (iteratively: concatenation chains
    /// can be thousands deep).
    fn write_string(&self, id: ValueId, out: &mut String) {
        let mut pending = vec![id];
        while let Some(id) = pending.pop() {
            match &self.nodes[id as usize] {
                Node::Literal { text, .. } => out.push_str(text),
                Node::Concat { prefix, suffix, .. } => {
                    pending.push(*suffix);
                    pending.push(*prefix);
                }
                Node::Other(_) | Node::Unobserved => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_canonical_however_a_string_was_built() {
        let mut table = ValueTable::default();
        let ab = table.intern(&Value::str("ab"));
        let a = table.intern(&Value::str("a"));
        let b = table.intern(&Value::str("b"));
        let cd = table.intern(&Value::str("cd"));
        assert_eq!(table.concat(a, b), Some(ab));
        let abcd = table.concat(ab, cd).unwrap();
        let c = table.intern(&Value::str("c"));
        let bc = table.concat(b, c).unwrap();
        let abc = table.concat(a, bc).unwrap();
        let d = table.intern(&Value::str("d"));
        assert_eq!(table.concat(abc, d), Some(abcd));
        assert_eq!(table.intern(&Value::str("abcd")), abcd);
        assert_eq!(table.value(abcd), Value::str("abcd"));
        assert_ne!(table.intern(&Value::str("abdc")), abcd);
    }

    #[test]
    fn prefixes_are_recognised() {
        let mut table = ValueTable::default();
        let [abc, ab, b, abd, nil, one] = [
            Value::str("abc"),
            Value::str("ab"),
            Value::str("b"),
            Value::str("abd"),
            Value::Nil,
            Value::Int(1),
        ]
        .map(|value| table.intern(&value));
        let a = table.intern(&Value::str("a"));
        let built_ab = table.concat(a, b).unwrap();
        assert!(table.may_extend_to(ab, abc));
        assert!(table.may_extend_to(built_ab, abc));
        assert!(table.may_extend_to(abc, abc));
        assert!(!table.may_extend_to(abd, abc));
        assert!(!table.may_extend_to(abc, ab), "longer than the target");
        assert!(!table.may_extend_to(b, abc));
        assert!(table.may_extend_to(nil, abc), "not a string: no claim");
        assert!(table.may_extend_to(one, abc));
    }

    #[test]
    fn only_strings_concatenate() {
        let mut table = ValueTable::default();
        let one = table.intern(&Value::Int(1));
        let nil = table.intern(&Value::Nil);
        let x = table.intern(&Value::str("x"));
        let empty = table.intern(&Value::str(""));
        assert_eq!(table.concat(one, x), None);
        assert_eq!(table.concat(x, nil), None);
        assert_eq!(table.concat(empty, x), Some(x));
        assert!(table.is_nil(nil) && !table.is_nil(empty));
        assert!(table.is_string(empty) && !table.is_string(one));
        let unobserved = table.unobserved();
        assert_eq!(table.concat(unobserved, x), None);
        assert_eq!(table.unobserved(), unobserved);
        assert_eq!(table.value(unobserved), Value::Keyword("unobserved".into()));
    }

    #[test]
    fn deep_concatenations_do_not_overflow_the_stack() {
        let mut table = ValueTable::default();
        let x = table.intern(&Value::str("x"));
        let mut s = table.intern(&Value::str(""));
        for _ in 0..100_000 {
            s = table.concat(s, x).unwrap();
        }
        assert_eq!(table.value(s), Value::Str("x".repeat(100_000)));
    }
}
