//! The key-value state machine the log replicates, with client sessions.
//!
//! Sessions make retries safe: a client numbers its requests, and the state
//! machine remembers, per client, the last sequence number it applied and
//! the result it gave. A retried request that was already applied (its
//! entry may be in the log twice, if the first leader died after replicating
//! it) is answered with the recorded result instead of being applied again.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An operation on the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "f")]
pub enum KvOp {
    /// Read a key.
    Get {
        /// The key.
        key: String,
    },
    /// Overwrite a key.
    Put {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Append to a key's value (a missing key counts as empty).
    Append {
        /// The key.
        key: String,
        /// What to append.
        value: String,
    },
    /// Set `key` to `new` only if it currently holds `expected`.
    Cas {
        /// The key.
        key: String,
        /// The value the key must hold.
        expected: String,
        /// The value to write.
        new: String,
    },
}

impl KvOp {
    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            KvOp::Get { key }
            | KvOp::Put { key, .. }
            | KvOp::Append { key, .. }
            | KvOp::Cas { key, .. } => key,
        }
    }

    /// True for `get`, which changes nothing.
    pub fn is_read(&self) -> bool {
        matches!(self, KvOp::Get { .. })
    }
}

/// A client request as it travels in the log: the session (client id and
/// sequence number) and the operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientCommand {
    /// The client session.
    pub client: u64,
    /// The request's number within the session; a retry reuses it.
    pub seq: u64,
    /// What to do.
    pub op: KvOp,
}

/// What the store answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum KvResult {
    /// A `get` found this value.
    Value {
        /// The value.
        value: String,
    },
    /// A `get` found no value: the key was never written.
    NotFound,
    /// A `put`, `append` or successful `cas` took effect.
    Done,
    /// A `cas` found a different value (or none) and changed nothing.
    PreconditionFailed {
        /// What the key held instead.
        current: Option<String>,
    },
}

/// The last request applied for one client, and its answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Session {
    last_seq: u64,
    last_result: KvResult,
}

/// The replicated key-value store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvStore {
    data: BTreeMap<String, String>,
    sessions: BTreeMap<u64, Session>,
}

/// What applying a command produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The command was new and was applied; here is its result.
    Fresh(KvResult),
    /// The command repeats the session's last one: not applied again; here
    /// is the result it had.
    Duplicate(KvResult),
    /// The command is older than the session's last one: the client has
    /// long moved on, nobody waits for an answer.
    Stale,
}

impl Applied {
    /// The result to send the client, if any.
    pub fn result(self) -> Option<KvResult> {
        match self {
            Applied::Fresh(result) | Applied::Duplicate(result) => Some(result),
            Applied::Stale => None,
        }
    }
}

impl KvStore {
    /// The value of `key`, if any.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(String::as_str)
    }

    /// Number of keys holding a value.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when no key holds a value.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Answers a read from the current state without touching sessions
    /// (used by ReadIndex reads, which are not in the log).
    pub fn read(&self, key: &str) -> KvResult {
        match self.data.get(key) {
            Some(value) => KvResult::Value {
                value: value.clone(),
            },
            None => KvResult::NotFound,
        }
    }

    /// The recorded result of `client`'s request `seq`, if it is the last one
    /// applied for that session.
    pub fn session_result(&self, client: u64, seq: u64) -> Option<&KvResult> {
        self.sessions
            .get(&client)
            .filter(|session| session.last_seq == seq)
            .map(|session| &session.last_result)
    }

    /// Applies a command from the log. With `dedup` (the correct behaviour)
    /// a command already applied for its session is answered from the
    /// session instead of being applied again.
    pub fn apply(&mut self, command: &ClientCommand, dedup: bool) -> Applied {
        if dedup {
            if let Some(session) = self.sessions.get(&command.client) {
                if command.seq == session.last_seq {
                    return Applied::Duplicate(session.last_result.clone());
                }
                if command.seq < session.last_seq {
                    return Applied::Stale;
                }
            }
        }
        let result = self.execute(&command.op);
        match self.sessions.get_mut(&command.client) {
            Some(session) => {
                session.last_seq = command.seq;
                session.last_result.clone_from(&result);
            }
            None => {
                let session = Session {
                    last_seq: command.seq,
                    last_result: result.clone(),
                };
                self.sessions.insert(command.client, session);
            }
        }
        Applied::Fresh(result)
    }

    fn execute(&mut self, op: &KvOp) -> KvResult {
        match op {
            KvOp::Get { key } => self.read(key),
            // Updates in place when the key exists: no key allocation, and
            // the value's buffer is reused.
            KvOp::Put { key, value } => {
                match self.data.get_mut(key) {
                    Some(current) => current.clone_from(value),
                    None => {
                        self.data.insert(key.clone(), value.clone());
                    }
                }
                KvResult::Done
            }
            KvOp::Append { key, value } => {
                match self.data.get_mut(key) {
                    Some(current) => current.push_str(value),
                    None => {
                        self.data.insert(key.clone(), value.clone());
                    }
                }
                KvResult::Done
            }
            KvOp::Cas { key, expected, new } => match self.data.get_mut(key) {
                Some(current) if current == expected => {
                    current.clone_from(new);
                    KvResult::Done
                }
                current => KvResult::PreconditionFailed {
                    current: current.cloned(),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(client: u64, seq: u64, op: KvOp) -> ClientCommand {
        ClientCommand { client, seq, op }
    }

    fn put(key: &str, value: &str) -> KvOp {
        KvOp::Put {
            key: key.into(),
            value: value.into(),
        }
    }

    fn append(key: &str, value: &str) -> KvOp {
        KvOp::Append {
            key: key.into(),
            value: value.into(),
        }
    }

    fn cas(key: &str, expected: &str, new: &str) -> KvOp {
        KvOp::Cas {
            key: key.into(),
            expected: expected.into(),
            new: new.into(),
        }
    }

    #[test]
    fn operations_follow_their_definitions() {
        let mut store = KvStore::default();
        let cases: Vec<(KvOp, KvResult)> = vec![
            (KvOp::Get { key: "a".into() }, KvResult::NotFound),
            (
                cas("a", "x", "y"),
                KvResult::PreconditionFailed { current: None },
            ),
            (append("a", "1"), KvResult::Done),
            (append("a", "2"), KvResult::Done),
            (
                KvOp::Get { key: "a".into() },
                KvResult::Value { value: "12".into() },
            ),
            (
                cas("a", "1", "z"),
                KvResult::PreconditionFailed {
                    current: Some("12".into()),
                },
            ),
            (cas("a", "12", "z"), KvResult::Done),
            (put("a", "p"), KvResult::Done),
            (
                KvOp::Get { key: "a".into() },
                KvResult::Value { value: "p".into() },
            ),
        ];
        for (seq, (op, expected)) in cases.into_iter().enumerate() {
            let applied = store.apply(&command(1, seq as u64 + 1, op.clone()), true);
            assert_eq!(applied, Applied::Fresh(expected), "op {op:?}");
        }
    }

    #[test]
    fn a_retried_request_is_applied_once_and_answered_with_its_first_result() {
        let mut store = KvStore::default();
        let first = command(7, 1, append("k", "x"));
        assert_eq!(store.apply(&first, true), Applied::Fresh(KvResult::Done));
        assert_eq!(
            store.apply(&first, true),
            Applied::Duplicate(KvResult::Done)
        );
        assert_eq!(store.value("k"), Some("x"));
        assert_eq!(store.session_result(7, 1), Some(&KvResult::Done));
        store.apply(&command(7, 2, put("k", "y")), true);
        assert_eq!(store.apply(&first, true), Applied::Stale);
        assert_eq!(store.value("k"), Some("y"));
    }

    #[test]
    fn without_dedup_a_retry_applies_twice() {
        let mut store = KvStore::default();
        let first = command(7, 1, append("k", "x"));
        store.apply(&first, false);
        store.apply(&first, false);
        assert_eq!(store.value("k"), Some("xx"));
    }
}
