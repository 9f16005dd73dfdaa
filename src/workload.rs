//! What clients do: a randomized key-value workload on a small key space.
//!
//! A small key space makes operations on the same key overlap, which is
//! where linearizability bugs show. Every written value is unique (it
//! carries a global counter), so a read names exactly which write it saw
//! and the checker's search stays narrow. Compare-and-set draws its expected
//! value from values recently written to the key, so that some succeed and
//! some fail.

use nemesis::Workload;
use rand::Rng;
use rand_pcg::Pcg32;
use replica::KvOp;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Relative weights of the four operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpMix {
    /// Weight of `get`.
    pub get: u32,
    /// Weight of `put`.
    pub put: u32,
    /// Weight of `append`.
    pub append: u32,
    /// Weight of `cas`.
    pub cas: u32,
}

impl Default for OpMix {
    fn default() -> OpMix {
        OpMix {
            get: 40,
            put: 20,
            append: 20,
            cas: 20,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpKind {
    Get,
    Put,
    Append,
    Cas,
}

impl OpMix {
    fn total(&self) -> u32 {
        self.get + self.put + self.append + self.cas
    }

    /// The operation a roll in `0..total()` lands on.
    fn pick(&self, mut roll: u32) -> OpKind {
        for (weight, kind) in [
            (self.get, OpKind::Get),
            (self.put, OpKind::Put),
            (self.append, OpKind::Append),
        ] {
            if roll < weight {
                return kind;
            }
            roll -= weight;
        }
        OpKind::Cas
    }
}

/// The shape of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkloadConfig {
    /// Number of keys (`k0`, `k1`, ...).
    pub key_count: u32,
    /// Most operations per trial, over all clients (0: no limit but time).
    pub ops_limit: u64,
    /// Operation weights.
    pub mix: OpMix,
}

impl Default for WorkloadConfig {
    fn default() -> WorkloadConfig {
        WorkloadConfig {
            key_count: 4,
            ops_limit: 500,
            mix: OpMix::default(),
        }
    }
}

impl WorkloadConfig {
    /// Checks the settings make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.key_count == 0 {
            return Err("the key count must be at least 1".to_string());
        }
        if self.mix.total() == 0 {
            return Err("the operation mix must give some operation a weight".to_string());
        }
        Ok(())
    }
}

/// How many recent values per key a cas may expect.
const RECENT_VALUES: usize = 4;

/// The workload of one trial.
pub struct KvWorkload {
    config: WorkloadConfig,
    rng: Pcg32,
    issued: u64,
    /// The key names, `k0`, `k1`, … (made once, cloned per operation).
    keys: Vec<String>,
    /// Values recently written whole (by put or cas) to each key.
    recent: Vec<VecDeque<String>>,
}

impl KvWorkload {
    /// A workload drawing from `rng` (the trial's workload stream).
    pub fn new(config: WorkloadConfig, rng: Pcg32) -> KvWorkload {
        KvWorkload {
            config,
            rng,
            issued: 0,
            keys: (0..u64::from(config.key_count))
                .map(|index| tagged('k', index, ""))
                .collect(),
            recent: vec![VecDeque::new(); config.key_count as usize],
        }
    }

    fn remember(&mut self, key: usize, value: &str) {
        let recent = &mut self.recent[key];
        if recent.len() == RECENT_VALUES {
            recent.pop_front();
        }
        recent.push_back(value.to_string());
    }
}

impl Workload for KvWorkload {
    fn next_op(&mut self, _process: u64) -> Option<KvOp> {
        if self.config.ops_limit != 0 && self.issued >= self.config.ops_limit {
            return None;
        }
        self.issued += 1;
        let serial = self.issued;
        let key_index = self.rng.gen_range(0..self.config.key_count) as usize;
        let key = self.keys[key_index].clone();
        let op = match self
            .config
            .mix
            .pick(self.rng.gen_range(0..self.config.mix.total()))
        {
            OpKind::Get => KvOp::Get { key },
            OpKind::Put => {
                let value = tagged('v', serial, "");
                self.remember(key_index, &value);
                KvOp::Put { key, value }
            }
            OpKind::Append => KvOp::Append {
                key,
                value: tagged('a', serial, " "),
            },
            OpKind::Cas => {
                let recent = &self.recent[key_index];
                let expected = if recent.is_empty() {
                    tagged('v', serial, "")
                } else {
                    recent[self.rng.gen_range(0..recent.len())].clone()
                };
                let new = tagged('c', serial, "");
                self.remember(key_index, &new);
                KvOp::Cas { key, expected, new }
            }
        };
        Some(op)
    }
}

/// `prefix`, the decimal digits of `number`, then `suffix` (as
/// `format!("{prefix}{number}{suffix}")`, without the formatting machinery:
/// every operation makes one or two of these).
fn tagged(prefix: char, number: u64, suffix: &str) -> String {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = number;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut text = String::with_capacity(1 + digits.len() - start + suffix.len());
    text.push(prefix);
    for &digit in &digits[start..] {
        text.push(char::from(digit));
    }
    text.push_str(suffix);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use nemesis::seeds::seeded;

    #[test]
    fn tagged_values_read_like_format() {
        for number in [0, 7, 10, 99, 12_345, u64::MAX] {
            assert_eq!(tagged('v', number, ""), format!("v{number}"));
            assert_eq!(tagged('a', number, " "), format!("a{number} "));
        }
    }

    #[test]
    fn the_mix_and_the_limit_are_respected() {
        let config = WorkloadConfig {
            key_count: 3,
            ops_limit: 4_000,
            mix: OpMix::default(),
        };
        let mut workload = KvWorkload::new(config, seeded(1));
        let ops: Vec<KvOp> = std::iter::from_fn(|| workload.next_op(0)).collect();
        assert_eq!(ops.len(), 4_000);
        let gets = ops.iter().filter(|op| op.is_read()).count();
        assert!((1_400..1_800).contains(&gets), "{gets} gets");
        let keys: std::collections::BTreeSet<&str> = ops.iter().map(KvOp::key).collect();
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["k0", "k1", "k2"]);
    }

    #[test]
    fn written_values_are_unique_and_cas_expects_recent_values() {
        let mut workload = KvWorkload::new(WorkloadConfig::default(), seeded(2));
        let ops: Vec<KvOp> = std::iter::from_fn(|| workload.next_op(0)).collect();
        let mut written = std::collections::BTreeSet::new();
        let mut whole_values = std::collections::BTreeSet::new();
        for op in &ops {
            match op {
                KvOp::Put { value, .. } | KvOp::Append { value, .. } => {
                    assert!(written.insert(value.clone()), "duplicate {value}");
                    whole_values.insert(value.clone());
                }
                KvOp::Cas { new, expected, .. } => {
                    assert!(written.insert(new.clone()));
                    assert!(whole_values.contains(expected) || expected.starts_with('v'));
                    whole_values.insert(new.clone());
                }
                KvOp::Get { .. } => {}
            }
        }
    }
}
