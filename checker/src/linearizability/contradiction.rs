//! Why no linearization exists, as order inference finds it, said in the
//! history's terms.
//!
//! Each contradiction names the operations involved (indices into the
//! key's operations) so that the message can show them with their values
//! and times: "get -> v17 must follow put v17, but ..." is what a person
//! debugging the system needs, not a set of search states.

use histories::{Operation, Value};
use std::fmt::Write;

/// A stretch of the linearization that inference fixed (see `blocks.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// The reads of the initial value (and the appends they saw).
    Initial,
    /// The epoch opened by this overwrite, up to its last read.
    Epoch(u32),
    /// One write no read saw.
    Single(u32),
}

/// A proof that no linearization exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Contradiction {
    /// No sequence of the key's writes produces what `read` returned.
    Unwritten { read: u32 },
    /// `read`'s value needs `append` twice.
    Repeated { read: u32, append: u32 },
    /// Two reads of one epoch saw its appends in orders neither of which
    /// extends the other.
    Diverged { read: u32, other: u32 },
    /// Two compare-and-sets both replaced the same value.
    TwoClosings { cas: u32, other: u32 },
    /// `read` saw appends after the value `cas` replaced.
    AfterClosing { read: u32, cas: u32 },
    /// `cas` and the compare-and-sets it leads to each expect a value that
    /// only the next one writes.
    CasCycle { cas: u32 },
    /// `append` was seen after two different overwrites.
    TwoEpochs { append: u32, read: u32, other: u32 },
    /// The values force `before` to take effect before `after`, but
    /// `after` completed before `before` began.
    Inverted { before: u32, after: u32 },
    /// The reads of the initial value come before every write, but
    /// `first`, of `span`, completed before `last`, which saw the initial
    /// value's epoch, began.
    InitialFirst { span: Span, first: u32, last: u32 },
    /// `a` must precede `b` (`a_first.0` completed before `a_first.1`
    /// began) and `b` must precede `a` (likewise `b_first`).
    Cycle {
        a: Span,
        b: Span,
        a_first: (u32, u32),
        b_first: (u32, u32),
    },
}

impl Contradiction {
    /// The operations the contradiction is about (the bisection for the
    /// first failing operation starts from the latest of them).
    pub(crate) fn ops(&self) -> Vec<u32> {
        match *self {
            Contradiction::Unwritten { read } => vec![read],
            Contradiction::Repeated { read, append } => vec![read, append],
            Contradiction::Diverged { read, other } => vec![read, other],
            Contradiction::TwoClosings { cas, other } => vec![cas, other],
            Contradiction::AfterClosing { read, cas } => vec![read, cas],
            Contradiction::CasCycle { cas } => vec![cas],
            Contradiction::TwoEpochs {
                append,
                read,
                other,
            } => vec![append, read, other],
            Contradiction::Inverted { before, after } => vec![before, after],
            Contradiction::InitialFirst { first, last, .. } => vec![first, last],
            Contradiction::Cycle {
                a_first, b_first, ..
            } => {
                vec![a_first.0, a_first.1, b_first.0, b_first.1]
            }
        }
    }

    /// The contradiction in words.
    pub(crate) fn describe(&self, ops: &[&Operation]) -> String {
        let op = |index: u32| Brief(ops[index as usize]).to_string();
        let span = |span: Span| match span {
            Span::Initial => "the reads of the initial value".to_string(),
            Span::Epoch(opening) => format!("{} and the reads of what it wrote", op(opening)),
            Span::Single(write) => op(write),
        };
        match *self {
            Contradiction::Unwritten { read } => {
                format!("{} saw a value no sequence of this key's writes produces", op(read))
            }
            Contradiction::Repeated { read, append } => format!(
                "{} saw {} take effect twice",
                op(read),
                op(append)
            ),
            Contradiction::Diverged { read, other } => format!(
                "{} and {} saw the appends after one write in orders that do not extend each other",
                op(read),
                op(other)
            ),
            Contradiction::TwoClosings { cas, other } => format!(
                "{} and {} both replaced the same value, which only one of them can have seen",
                op(cas),
                op(other)
            ),
            Contradiction::AfterClosing { read, cas } => format!(
                "{} saw appends after the value that {} replaced",
                op(read),
                op(cas)
            ),
            Contradiction::CasCycle { cas } => format!(
                "{} and the compare-and-sets after it each expect a value only the next one writes",
                op(cas)
            ),
            Contradiction::TwoEpochs { append, read, other } => format!(
                "{} was seen after two different writes, by {} and by {}",
                op(append),
                op(read),
                op(other)
            ),
            Contradiction::Inverted { before, after } => format!(
                "{} must follow {} (by the values read), but it completed before that began",
                op(after),
                op(before)
            ),
            Contradiction::InitialFirst { span: first_span, first, last } => format!(
                "{} saw the initial value's epoch, so it precedes every write, but {} (of {}) completed before it began",
                op(last),
                op(first),
                span(first_span)
            ),
            Contradiction::Cycle { a, b, a_first, b_first } => format!(
                "{} must all come before {}, as {} completed before {} began; but they must also come after, as {} completed before {} began",
                span(a),
                span(b),
                op(a_first.0),
                op(a_first.1),
                op(b_first.0),
                op(b_first.1)
            ),
        }
    }
}

/// The most characters of a value shown in a message (the end of it: what
/// was appended last is what a read's contradiction is usually about).
const VALUE_CHARS: usize = 40;

/// An operation in a few words: `get -> "x1 x2" (op 7, process 2, 1.250-1.300 s)`.
struct Brief<'a>(&'a Operation);

impl std::fmt::Display for Brief<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = self.0;
        let shown = match op.f {
            histories::Function::Get | histories::Function::Read => {
                format!("-> {}", short(&op.output))
            }
            _ => short(&op.input),
        };
        let mut times = format!("{:.3}", op.invoke_time_ns as f64 / 1e9);
        match op.complete_time_ns {
            Some(done) => write!(times, "-{:.3} s", done as f64 / 1e9)?,
            None => times.push_str(" s, never completed"),
        }
        let outcome = match op.outcome {
            histories::Outcome::Ok => "ok",
            histories::Outcome::Fail => "fail",
            histories::Outcome::Info => "info",
        };
        write!(
            f,
            "{} {shown} ({outcome}, op {}, process {}, {times})",
            op.f, op.id, op.process
        )
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    let count = text.chars().count();
    match count > VALUE_CHARS {
        true => {
            let (cut, _) = text
                .char_indices()
                .nth(count - VALUE_CHARS)
                .expect("long enough");
            format!("…{}", &text[cut..])
        }
        false => text,
    }
}
