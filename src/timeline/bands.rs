//! Nemesis faults as bands across the timeline: when each fault held.
//!
//! Both raftstorm and Jepsen record the nemesis in the history as `info`
//! records named after what they do (`start-partition` / `stop-partition`,
//! `kill` / `start`, `pause` / `resume`, ...), so the bands come from the
//! history alone and work for any history `check --html` reads. A fault
//! holds from its record until the record that undoes it (or a `heal-all`),
//! or to the end of the history when nothing undoes it.

use histories::{History, Op, Process};
use serde::Serialize;
use std::collections::BTreeMap;

/// One fault over a stretch of time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Band {
    /// When it began (the timeline's unit).
    pub t0: u64,
    /// When it was undone, or the end of the history.
    pub t1: u64,
    /// What it was: `isolate n2`, `crash n3`.
    pub label: String,
    /// Its family, for colour: partition, crash, pause, skew, drop,
    /// duplicate, delay, or other.
    pub kind: String,
    /// True when nothing undid it before the history ended.
    pub open: bool,
}

/// What one nemesis record does to the set of faults in force.
enum Effect {
    /// Starts a fault on `channel` (replacing one in force there).
    Start { channel: String, kind: String },
    /// Ends the fault on `channel`.
    Stop { channel: String },
    /// Ends every fault.
    StopAll,
}

/// The bands of `history`'s nemesis records; `time` gives a record's place
/// on the time axis.
pub fn fault_bands(history: &History, time: impl Fn(&Op) -> u64, end: u64) -> Vec<Band> {
    let mut open: BTreeMap<String, Band> = BTreeMap::new();
    let mut bands = Vec::new();
    for op in history
        .ops
        .iter()
        .filter(|op| op.process == Process::Nemesis)
    {
        let at = time(op);
        let label = label_of(op);
        match effect(op.f.as_str(), &label) {
            Effect::Start { channel, kind } => {
                close(&mut open, &mut bands, &channel, at);
                let band = Band {
                    t0: at,
                    t1: end,
                    label,
                    kind,
                    open: true,
                };
                open.insert(channel, band);
            }
            Effect::Stop { channel } => close(&mut open, &mut bands, &channel, at),
            Effect::StopAll => {
                let channels: Vec<String> = open.keys().cloned().collect();
                for channel in channels {
                    close(&mut open, &mut bands, &channel, at);
                }
            }
        }
    }
    bands.extend(open.into_values());
    bands.sort_by(|a, b| (a.t0, a.t1, &a.label).cmp(&(b.t0, b.t1, &b.label)));
    bands
}

fn close(open: &mut BTreeMap<String, Band>, bands: &mut Vec<Band>, channel: &str, at: u64) {
    if let Some(mut band) = open.remove(channel) {
        band.t1 = at.max(band.t0);
        band.open = false;
        bands.push(band);
    }
}

/// A record's label: its value as text (`isolate n2`), or its function.
fn label_of(op: &Op) -> String {
    match &op.value {
        histories::Value::Str(text) => text.clone(),
        histories::Value::Nil => op.f.to_string(),
        other => format!("{} {other}", op.f),
    }
}

/// The first `nN` node name in `label`, for faults that concern one node.
fn node_in(label: &str) -> Option<&str> {
    label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| {
            word.len() > 1 && word.starts_with('n') && word[1..].bytes().all(|b| b.is_ascii_digit())
        })
}

/// What a nemesis record named `f` with label `label` does.
fn effect(f: &str, label: &str) -> Effect {
    let per_node = |family: &str| format!("{family} {}", node_in(label).unwrap_or("?"));
    let start = |channel: String, kind: &str| Effect::Start {
        channel,
        kind: kind.to_string(),
    };
    let stops = label.starts_with("stop") || label.ends_with("back to normal");
    match f {
        "heal-all" => Effect::StopAll,
        "start-partition" => start("partition".into(), "partition"),
        "stop-partition" => Effect::Stop {
            channel: "partition".into(),
        },
        "kill" => start(per_node("crash"), "crash"),
        "start" => Effect::Stop {
            channel: per_node("crash"),
        },
        "pause" => start(per_node("pause"), "pause"),
        "resume" => Effect::Stop {
            channel: per_node("pause"),
        },
        "clock-skew" if stops => Effect::Stop {
            channel: per_node("skew"),
        },
        "clock-skew" => start(per_node("skew"), "skew"),
        "drop" | "duplicate" | "delay" if stops => Effect::Stop { channel: f.into() },
        "drop" | "duplicate" | "delay" => start(f.into(), f),
        other => match (other.strip_prefix("start-"), other.strip_prefix("stop-")) {
            (Some(what), _) => start(what.into(), "other"),
            (_, Some(what)) => Effect::Stop {
                channel: what.into(),
            },
            // Unknown: a fault of its own that nothing undoes.
            _ => start(format!("{other} {label}"), "other"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use histories::{Function, OpType, Value};

    fn nemesis(index: u64, f: &str, value: &str) -> Op {
        Op {
            index,
            time_ns: index * 100,
            kind: OpType::Info,
            process: Process::Nemesis,
            f: Function::parse(f),
            key: None,
            value: Value::str(value),
            error: None,
            node: None,
        }
    }

    #[test]
    fn faults_hold_until_undone_or_the_end() {
        let history = History::new(vec![
            nemesis(0, "start-partition", "isolate n2"),
            nemesis(1, "kill", "crash n3"),
            nemesis(2, "start-partition", "partition halves: [n0 n1] | rest"),
            nemesis(3, "start", "restart n3"),
            nemesis(4, "drop", "drop 5.0% of messages"),
            nemesis(5, "pause", "pause n1"),
            nemesis(6, "heal-all", "heal all faults"),
            nemesis(7, "start-clock", "bump"),
        ]);
        let bands = fault_bands(&history, |op| op.time_ns, 1_000);
        let got: Vec<(u64, u64, &str, &str, bool)> = bands
            .iter()
            .map(|b| (b.t0, b.t1, b.label.as_str(), b.kind.as_str(), b.open))
            .collect();
        assert_eq!(
            got,
            [
                (0, 200, "isolate n2", "partition", false),
                (100, 300, "crash n3", "crash", false),
                (
                    200,
                    600,
                    "partition halves: [n0 n1] | rest",
                    "partition",
                    false
                ),
                (400, 600, "drop 5.0% of messages", "drop", false),
                (500, 600, "pause n1", "pause", false),
                (700, 1_000, "bump", "other", true),
            ]
        );
    }
}
