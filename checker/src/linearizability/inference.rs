//! What each read saw, in terms of the writes that produced it.
//!
//! When written values are unique, a read's value names the writes behind
//! it. A register read of `v17` saw the one write of `v17`; an append
//! read returns the value of the last overwrite (or the initial value)
//! followed by every append since, in order, so its value spells out
//! exactly which appends precede it and in which order. This module does
//! that spelling once per key: each read becomes [`Seen::Chain`] (the
//! opening write and the appends after it), or a proof that no sequence of
//! the key's writes produces it at all.
//!
//! The parse counts every way a value can be spelled from the key's
//! writes; when there is more than one (values that are not unique, or
//! appends such as `a`, `b` and `ab`), inference gives up on the key and
//! the search decides as before. So a value that is never read may repeat
//! freely: only what a read shows must be unambiguous.

use super::memo::FastHash;
use histories::{Function, Operation, Outcome, Value};
use std::collections::HashMap;

/// What an operation of the key does, for inference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Replaces the value (put, write).
    Overwrite,
    /// Concatenates a string to the value.
    Append,
    /// Returns the value; what it saw.
    Read(Seen),
    /// A compare-and-set that took effect (or may have): it saw its
    /// expected value (this), then replaced it with its new one.
    Cas(Seen),
    /// A compare-and-set that was rejected, which the model counts: it
    /// asserts the value differed from its expected one, which names no
    /// write. Order inference leaves it out and then looks for a place
    /// for it in the order found (see `inferred.rs`).
    Rejected,
}

/// Where a read's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The value of the epoch opened by the overwrite `epoch` (`None`: the
    /// initial value) after the appends `appends`, in order (indices of the
    /// key's operations).
    Chain {
        epoch: Option<u32>,
        appends: Vec<u32>,
    },
    /// No sequence of the key's writes produces the value.
    Unwritten,
    /// The value needs this append to take effect twice.
    Repeated(u32),
}

/// The key's writes, indexed by the values they leave.
struct Writes<'h> {
    /// Overwrites (puts, writes, and compare-and-sets by their new value) by
    /// the exact value they write.
    by_value: HashMap<&'h Value, Vec<u32>, FastHash>,
    /// Overwrites of strings, by bytes, and the lengths that occur.
    by_text: HashMap<&'h [u8], Vec<u32>, FastHash>,
    text_lengths: Vec<usize>,
    /// Appends by their string, and the lengths that occur.
    appends: HashMap<&'h [u8], Vec<u32>, FastHash>,
    append_lengths: Vec<usize>,
}

/// A way a string read can begin: the epoch, how many bytes its opening
/// value covers, and whether at least one append must follow (an opening
/// nil turns into the first appended string).
type Opening = (Option<u32>, usize, bool);

/// Each operation's role, or `None` when inference does not apply to the
/// key: a function other than put, write, append, get, read and cas, an
/// empty append, or a value read or expected that can be spelled in more
/// than one way.
pub(crate) fn infer(ops: &[&Operation], init: &Value) -> Option<Vec<Role>> {
    let writes = Writes::index(ops)?;
    let mut marks = vec![u32::MAX; ops.len()];
    ops.iter()
        .enumerate()
        .map(|(index, op)| match op.f {
            Function::Put | Function::Write => Some(Role::Overwrite),
            Function::Append => Some(Role::Append),
            Function::Get | Function::Read => {
                let seen = writes.spell(&op.output, init)?;
                Some(Role::Read(repeated(seen, &mut marks, index as u32)))
            }
            Function::Cas if op.outcome == Outcome::Fail => Some(Role::Rejected),
            Function::Cas => {
                let (expected, _) = op.input.as_pair()?;
                let seen = writes.spell(expected, init)?;
                Some(Role::Cas(repeated(seen, &mut marks, index as u32)))
            }
            Function::Other(_) => None,
        })
        .collect()
}

/// `seen`, or [`Seen::Repeated`] when its chain uses an append twice
/// (`marks` remembers which read last used each append).
fn repeated(seen: Seen, marks: &mut [u32], read: u32) -> Seen {
    if let Seen::Chain { appends, .. } = &seen {
        for &append in appends {
            if marks[append as usize] == read {
                return Seen::Repeated(append);
            }
            marks[append as usize] = read;
        }
    }
    seen
}

impl<'h> Writes<'h> {
    fn index(ops: &[&'h Operation]) -> Option<Writes<'h>> {
        let mut writes = Writes {
            by_value: HashMap::default(),
            by_text: HashMap::default(),
            text_lengths: Vec::new(),
            appends: HashMap::default(),
            append_lengths: Vec::new(),
        };
        for (index, op) in ops.iter().enumerate() {
            let index = index as u32;
            let written = match (&op.f, &op.input) {
                (Function::Cas, pair) => pair.as_pair().map(|(_, new)| new),
                _ => Some(&op.input),
            };
            match (&op.f, written) {
                (Function::Cas, None) => return None,
                (Function::Cas, _) if op.outcome == Outcome::Fail => {}
                (Function::Put | Function::Write | Function::Cas, Some(value)) => {
                    writes.by_value.entry(value).or_default().push(index);
                    if let Value::Str(text) = value {
                        writes
                            .by_text
                            .entry(text.as_bytes())
                            .or_default()
                            .push(index);
                        push_length(&mut writes.text_lengths, text.len());
                    }
                }
                (Function::Append, Some(Value::Str(text))) if !text.is_empty() => {
                    writes
                        .appends
                        .entry(text.as_bytes())
                        .or_default()
                        .push(index);
                    push_length(&mut writes.append_lengths, text.len());
                }
                (Function::Append, _) => return None,
                _ => {}
            }
        }
        Some(writes)
    }

    /// What a read of `value` saw; `None` when it is ambiguous.
    fn spell(&self, value: &Value, init: &Value) -> Option<Seen> {
        let Value::Str(text) = value else {
            let mut epochs: Vec<Option<u32>> = Vec::new();
            if value == init {
                epochs.push(None);
            }
            if let Some(overwrites) = self.by_value.get(value) {
                epochs.extend(overwrites.iter().map(|&op| Some(op)));
            }
            return match epochs.as_slice() {
                [] => Some(Seen::Unwritten),
                &[epoch] => Some(Seen::Chain {
                    epoch,
                    appends: Vec::new(),
                }),
                _ => None,
            };
        };
        let text = text.as_bytes();
        let openings = self.openings(text, init);
        let Some(start) = openings.iter().map(|&(_, covered, _)| covered).min() else {
            return Some(Seen::Unwritten);
        };
        let ways = self.ways(text, start);
        let mut found = None;
        let mut total = 0u32;
        for (epoch, covered, needs_append) in openings {
            let count = match needs_append && covered == text.len() {
                true => 0,
                false => u32::from(ways[covered - start]),
            };
            if count > 0 {
                found = Some((epoch, covered));
            }
            total += count;
        }
        match (total, found) {
            (0, _) => Some(Seen::Unwritten),
            (1, Some((epoch, covered))) => Some(Seen::Chain {
                epoch,
                appends: self.chain(text, covered, start, &ways),
            }),
            _ => None,
        }
    }

    /// Every epoch whose opening value `text` may begin with.
    fn openings(&self, text: &[u8], init: &Value) -> Vec<Opening> {
        let mut openings = Vec::new();
        match init {
            Value::Str(initial) if text.starts_with(initial.as_bytes()) => {
                openings.push((None, initial.len(), false));
            }
            Value::Nil => openings.push((None, 0, true)),
            _ => {}
        }
        for overwrite in self.by_value.get(&Value::Nil).into_iter().flatten() {
            openings.push((Some(*overwrite), 0, true));
        }
        for &length in self.text_lengths.iter().filter(|&&l| l <= text.len()) {
            for overwrite in self.by_text.get(&text[..length]).into_iter().flatten() {
                openings.push((Some(*overwrite), length, false));
            }
        }
        openings
    }

    /// `ways[i - start]`: in how many ways (0, 1, or 2 meaning "several")
    /// `text[i..]` is a sequence of the key's appends.
    fn ways(&self, text: &[u8], start: usize) -> Vec<u8> {
        let mut ways = vec![0u8; text.len() - start + 1];
        ways[text.len() - start] = 1;
        for at in (start..text.len()).rev() {
            let mut count = 0u32;
            for &length in &self.append_lengths {
                let end = at + length;
                if end > text.len() || ways[end - start] == 0 {
                    continue;
                }
                if let Some(appends) = self.appends.get(&text[at..end]) {
                    count += appends.len() as u32 * u32::from(ways[end - start]);
                }
            }
            ways[at - start] = count.min(2) as u8;
        }
        ways
    }

    /// The one sequence of appends that spells `text[from..]`.
    fn chain(&self, text: &[u8], from: usize, start: usize, ways: &[u8]) -> Vec<u32> {
        let mut chain = Vec::new();
        let mut at = from;
        while at < text.len() {
            let next = self.append_lengths.iter().find_map(|&length| {
                let end = at + length;
                let fits = end <= text.len() && ways[end - start] > 0;
                let appends = fits.then(|| self.appends.get(&text[at..end])).flatten()?;
                Some((appends[0], end))
            });
            let (append, end) = next.expect("a value spelled in one way has its chain");
            chain.push(append);
            at = end;
        }
        chain
    }
}

fn push_length(lengths: &mut Vec<usize>, length: usize) {
    if !lengths.contains(&length) {
        lengths.push(length);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use histories::Outcome;

    fn op(f: Function, input: &str, output: Option<&str>) -> Operation {
        let value = |text: &str| match text {
            "nil" => Value::Nil,
            _ => Value::str(text),
        };
        let mut op = crate::linearizability::model::tests::op(
            f,
            value(input),
            Outcome::Ok,
            output.map_or(Value::Nil, value),
            None,
        );
        op.output = output.map_or(Value::Nil, value);
        op
    }

    #[test]
    fn reads_are_spelled_from_the_writes() {
        use Function::*;
        let ops = [
            op(Put, "p1", None),     // 0
            op(Append, "a1 ", None), // 1
            op(Append, "a2 ", None), // 2
            op(Put, "nil", None),    // 3
        ];
        let chain = |epoch: Option<u32>, appends: &[u32]| {
            Some(Seen::Chain {
                epoch,
                appends: appends.to_vec(),
            })
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, Value, Option<Seen>)> = vec![
            ("bare overwrite", Value::str("p1"), chain(Some(0), &[])),
            ("overwrite then appends", Value::str("p1a2 a1 "), chain(Some(0), &[2, 1])),
            ("initial value", Value::str("init"), chain(None, &[])),
            ("initial value then appends", Value::str("inita1 "), chain(None, &[1])),
            ("never written", Value::str("p1a3 "), Some(Seen::Unwritten)),
            ("an append twice", Value::str("p1a1 a1 "), Some(Seen::Repeated(1))),
            ("nil, the one overwrite of nil", Value::Nil, chain(Some(3), &[])),
            ("the nil overwrite then an append", Value::str("a1 "), chain(Some(3), &[1])),
        ];
        let refs: Vec<&Operation> = ops.iter().collect();
        let writes = Writes::index(&refs).unwrap();
        let init = Value::str("init");
        for (name, value, expected) in cases {
            let mut marks = vec![u32::MAX; ops.len()];
            let got = writes
                .spell(&value, &init)
                .map(|seen| repeated(seen, &mut marks, 9));
            assert_eq!(got, expected, "{name}");
        }
        let nil_init = writes.spell(&Value::str("a1 "), &Value::Nil);
        assert_eq!(nil_init, None, "nil init and nil overwrite both fit");
    }

    #[test]
    fn inference_gives_up_on_cas_and_ambiguity() {
        use Function::*;
        let cas = [op(Cas, "x", None)];
        assert_eq!(infer(&cas.iter().collect::<Vec<_>>(), &Value::Nil), None);
        let ambiguous = [
            op(Append, "a", None),
            op(Append, "a", None),
            op(Get, "nil", Some("a")),
        ];
        let refs: Vec<&Operation> = ambiguous.iter().collect();
        assert_eq!(infer(&refs, &Value::Nil), None);
        let unread_duplicates = [op(Append, "a", None), op(Append, "a", None)];
        let refs: Vec<&Operation> = unread_duplicates.iter().collect();
        assert_eq!(
            infer(&refs, &Value::Nil),
            Some(vec![Role::Append, Role::Append])
        );
    }
}
