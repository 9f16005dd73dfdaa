//! Timeout budgets: how many election timeouts each node may take, for a
//! *targeted* scope.
//!
//! Terms bound elections, but loosely: in four terms three nodes can split
//! votes in every term, and the unbudgeted four-term scope is out of
//! breadth-first reach at the depth Figure 8 (§5.4.2) needs. A budget keeps
//! exactly the paths of the unbudgeted scope in which node `i` times out at
//! most `budget[i]` times — an under-approximation: every counterexample
//! found is a path of the full scope, hence real, and exhausting a budgeted
//! scope proves safety only for the paths it keeps (the scope line says
//! so). A timeout that changes nothing (a leader's election timer only
//! re-arms) spends nothing.
//!
//! The remaining budget lives in each node's slot and is renamed with it,
//! so symmetry reduction stays sound: renaming a state renames its budgets
//! too, and a renamed path respects the renamed budgets.

use std::fmt;
use std::str::FromStr;

/// Per node (by initial id), the election timeouts it may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeoutBudget {
    per_node: [u8; 8],
    nodes: u8,
}

impl TimeoutBudget {
    /// A budget from per-node counts (at most 8 nodes).
    pub fn new(counts: &[u8]) -> Result<TimeoutBudget, String> {
        if counts.is_empty() || counts.len() > 8 {
            return Err(format!(
                "--timeouts needs 1..=8 per-node counts, found {}",
                counts.len()
            ));
        }
        let mut per_node = [0; 8];
        per_node[..counts.len()].copy_from_slice(counts);
        Ok(TimeoutBudget {
            per_node,
            nodes: counts.len() as u8,
        })
    }

    /// The nodes it budgets.
    pub fn nodes(&self) -> u32 {
        u32::from(self.nodes)
    }

    /// Node `id`'s timeouts.
    pub fn of(&self, id: u32) -> u8 {
        self.per_node[id as usize]
    }
}

impl FromStr for TimeoutBudget {
    type Err = String;

    /// `3,2,0`: node 0 may time out 3 times, node 1 twice, node 2 never.
    fn from_str(text: &str) -> Result<TimeoutBudget, String> {
        let counts: Result<Vec<u8>, String> = text
            .split(',')
            .map(|count| {
                count.trim().parse::<u8>().map_err(|_| {
                    format!("--timeouts: '{count}' is not a count 0..=255 (e.g. --timeouts 3,2,0)")
                })
            })
            .collect();
        TimeoutBudget::new(&counts?)
    }
}

impl fmt::Display for TimeoutBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (id, count) in self.per_node[..self.nodes as usize].iter().enumerate() {
            let sep = if id == 0 { "" } else { "," };
            write!(f, "{sep}{count}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_back_and_bad_ones_say_why() {
        // (text, Ok(display) or Err(part of the message))
        let cases: [(&str, Result<&str, &str>); 4] = [
            ("3,2,0", Ok("3,2,0")),
            ("4", Ok("4")),
            ("3,x", Err("'x' is not a count")),
            ("1,1,1,1,1,1,1,1,1", Err("1..=8")),
        ];
        for (text, expected) in cases {
            match (text.parse::<TimeoutBudget>(), expected) {
                (Ok(budget), Ok(shown)) => assert_eq!(budget.to_string(), shown),
                (Err(error), Err(part)) => assert!(error.contains(part), "{error}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
        let budget: TimeoutBudget = "3,2,0".parse().unwrap();
        assert_eq!((budget.nodes(), budget.of(0), budget.of(2)), (3, 3, 0));
    }
}
