//! Validity, combined as Jepsen combines it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The answer of one check.
///
/// Combining follows Jepsen: `Invalid` beats `Unknown` beats `Valid` — a
/// single proven violation makes the whole result invalid, and a check that
/// could not finish makes an otherwise clean result unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Validity {
    /// The property holds.
    Valid,
    /// The check could not decide (budget exhausted, input too large).
    Unknown,
    /// The property is violated; the report says how.
    Invalid,
}

impl Validity {
    /// The combination of two verdicts: the worse one.
    pub fn and(self, other: Validity) -> Validity {
        self.max(other)
    }

    /// Combines many verdicts; an empty set is valid.
    pub fn all(verdicts: impl IntoIterator<Item = Validity>) -> Validity {
        verdicts.into_iter().fold(Validity::Valid, Validity::and)
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Validity::Valid => "valid",
            Validity::Unknown => "unknown",
            Validity::Invalid => "invalid",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn false_beats_unknown_beats_true() {
        use Validity::*;
        assert_eq!(Valid.and(Unknown), Unknown);
        assert_eq!(Unknown.and(Invalid), Invalid);
        assert_eq!(Invalid.and(Valid), Invalid);
        assert_eq!(Validity::all([Valid, Valid]), Valid);
        assert_eq!(Validity::all([]), Valid);
        assert_eq!(Validity::all([Valid, Unknown, Valid]), Unknown);
    }
}
