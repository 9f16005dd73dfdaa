//! One record of a client history, in Jepsen's model.
//!
//! A client operation appears twice: an `invoke` when the client sends it and
//! a completion (`ok`, `fail` or `info`) when the client learns its fate. The
//! meaning of the completion types is the contract every checker relies on:
//!
//! - `ok`: the operation took effect, exactly once, between its invoke and
//!   this completion; the completion's value is what it returned.
//! - `fail`: the operation definitely did not take effect.
//! - `info`: indeterminate. It may have taken effect at any point after its
//!   invoke, or never. An invoke with no completion at all means the same.
//!
//! A process that saw `info` never issues again: its next operation would
//! not be ordered after the indeterminate one, so a fresh process id takes
//! its place.

use crate::value::Value;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The type of a history record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpType {
    /// The client sent the operation.
    Invoke,
    /// The operation took effect and returned the record's value.
    Ok,
    /// The operation definitely did not take effect.
    Fail,
    /// The operation's fate is unknown.
    Info,
}

impl OpType {
    /// The lowercase name used by every format (`invoke`, `ok`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Invoke => "invoke",
            OpType::Ok => "ok",
            OpType::Fail => "fail",
            OpType::Info => "info",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(name: &str) -> Option<OpType> {
        Some(match name {
            "invoke" => OpType::Invoke,
            "ok" => OpType::Ok,
            "fail" => OpType::Fail,
            "info" => OpType::Info,
            _ => return None,
        })
    }

    /// True for `ok`, `fail` and `info`.
    pub fn is_completion(self) -> bool {
        self != OpType::Invoke
    }
}

impl fmt::Display for OpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performed an operation: a client process, or the nemesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Process {
    /// A client process, numbered as Jepsen numbers them.
    Client(u64),
    /// The fault injector. Its records are `info` events, not operations.
    Nemesis,
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Client(id) => write!(f, "{id}"),
            Process::Nemesis => f.write_str("nemesis"),
        }
    }
}

/// In JSON a process is its number, or the string `"nemesis"`.
impl Serialize for Process {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Process::Client(id) => serializer.serialize_u64(*id),
            Process::Nemesis => serializer.serialize_str("nemesis"),
        }
    }
}

impl<'de> Deserialize<'de> for Process {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Process, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Id(u64),
            Name(String),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Id(id) => Ok(Process::Client(id)),
            Repr::Name(name) if name == "nemesis" => Ok(Process::Nemesis),
            Repr::Name(name) => Err(serde::de::Error::custom(format!(
                "expected a process number or \"nemesis\", found \"{name}\""
            ))),
        }
    }
}

/// The function an operation calls (Jepsen's `:f`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    /// Read a key of a key-value store.
    Get,
    /// Overwrite a key of a key-value store.
    Put,
    /// Append to a key's string value.
    Append,
    /// Compare-and-set: the value is `[expected new]`.
    Cas,
    /// Read a register.
    Read,
    /// Write a register.
    Write,
    /// Any other function (nemesis events such as `start-partition`, or
    /// functions of models we do not know), kept by name.
    Other(String),
}

impl Function {
    /// The name used by every format (`get`, `put`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            Function::Get => "get",
            Function::Put => "put",
            Function::Append => "append",
            Function::Cas => "cas",
            Function::Read => "read",
            Function::Write => "write",
            Function::Other(name) => name,
        }
    }

    /// Parses a name; unknown names become `Other`.
    pub fn parse(name: &str) -> Function {
        match name {
            "get" => Function::Get,
            "put" => Function::Put,
            "append" => Function::Append,
            "cas" => Function::Cas,
            "read" => Function::Read,
            "write" => Function::Write,
            other => Function::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Function {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Function {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Function, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(Function::parse(&name))
    }
}

/// One record of a history.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Op {
    /// Position in the history, from 0, dense.
    pub index: u64,
    /// Virtual time of the record, in nanoseconds since the trial began
    /// (Jepsen's `:time`). Zero when the source gives none.
    #[serde(default)]
    pub time_ns: u64,
    /// invoke, ok, fail or info.
    #[serde(rename = "type")]
    pub kind: OpType,
    /// The client process, or the nemesis.
    pub process: Process,
    /// The function called.
    pub f: Function,
    /// The key, for multi-key models; `None` for a single register.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    /// The argument (on invoke) or the result (on completion).
    #[serde(default)]
    pub value: Value,
    /// Why a `fail` or `info` ended as it did (`timed-out`,
    /// `precondition-failed`, `not-found`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The node whose answer completed the operation (Jepsen's `:node`),
    /// so a stale read can say who served it; `None` when unknown (an
    /// invoke, a timeout, or a history that does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<crate::trace::NodeId>,
}

impl Op {
    /// True when this record belongs to a client (not the nemesis).
    pub fn is_client(&self) -> bool {
        matches!(self.process, Process::Client(_))
    }
}

impl fmt::Display for Op {
    /// One line in the style of Jepsen's console log:
    /// `12 3 :invoke :cas key=0 [1 2]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} :{} :{}",
            self.index, self.process, self.kind, self.f
        )?;
        if let Some(key) = &self.key {
            write!(f, " key={key}")?;
        }
        write!(f, " {}", self.value)?;
        if let Some(error) = &self.error {
            write!(f, " error={error}")?;
        }
        if let Some(node) = self.node {
            write!(f, " node=n{node}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_json_uses_jepsen_field_names() {
        let op = Op {
            index: 4,
            time_ns: 1_500,
            kind: OpType::Ok,
            process: Process::Client(2),
            f: Function::Cas,
            key: Some(Value::str("k1")),
            value: Value::List(vec![Value::Int(1), Value::Int(2)]),
            error: None,
            node: Some(3),
        };
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(
            json,
            r#"{"index":4,"time_ns":1500,"type":"ok","process":2,"f":"cas","key":"k1","value":[1,2],"node":3}"#
        );
        assert_eq!(serde_json::from_str::<Op>(&json).unwrap(), op);
    }

    #[test]
    fn nemesis_process_and_unknown_functions_survive_json() {
        let json = r#"{"index":0,"type":"info","process":"nemesis","f":"start-partition","value":"isolate n1"}"#;
        let op: Op = serde_json::from_str(json).unwrap();
        assert_eq!(op.process, Process::Nemesis);
        assert_eq!(op.f, Function::Other("start-partition".into()));
        assert!(serde_json::from_str::<Op>(&json.replace("\"nemesis\"", "\"bob\"")).is_err());
    }
}
