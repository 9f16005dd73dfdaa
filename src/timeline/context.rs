//! What the cluster was doing around a failure, in words: who led, who was
//! down or frozen, which faults were in force — so a liveness failure says
//! why operations stalled, not only that they did.

use super::bands::Band;
use super::lanes::{NodeLane, Segment};

/// Lines describing the cluster when `window` opened and what changed in
/// leadership during it.
pub fn cluster_during(nodes: &[NodeLane], bands: &[Band], window: (u64, u64)) -> Vec<String> {
    let (start, end) = window;
    let mut lines = Vec::new();
    if nodes.is_empty() && bands.is_empty() {
        return lines;
    }
    let at_start: Vec<(u32, &Segment)> = nodes
        .iter()
        .filter_map(|lane| Some((lane.node, segment_at(lane, start)?)))
        .collect();
    let leaders: Vec<String> = at_start
        .iter()
        .filter(|(_, s)| s.state == "leader")
        .map(|(node, s)| format!("n{node} leads term {}", s.term))
        .collect();
    if !nodes.is_empty() {
        lines.push(match leaders.is_empty() {
            true => format!("at {}: no node leads", ms(start)),
            false => format!("at {}: {}", ms(start), leaders.join(", ")),
        });
    }
    for state in ["crashed", "paused", "candidate"] {
        let names: Vec<String> = at_start
            .iter()
            .filter(|(_, s)| s.state == state)
            .map(|(node, s)| format!("n{node} (term {})", s.term))
            .collect();
        if !names.is_empty() {
            lines.push(format!("{state}: {}", names.join(", ")));
        }
    }
    let faults: Vec<&str> = bands
        .iter()
        .filter(|band| band.t0 <= start && start < band.t1.max(band.t0 + 1))
        .map(|band| band.label.as_str())
        .collect();
    lines.push(match faults.is_empty() {
        true => "faults in force: none".to_string(),
        false => format!("faults in force: {}", faults.join("; ")),
    });
    lines.extend(leadership_changes(nodes, start, end));
    lines
}

/// Each node's segment covering `t`.
fn segment_at(lane: &NodeLane, t: u64) -> Option<&Segment> {
    lane.segments
        .iter()
        .find(|s| s.t0 <= t && t < s.t1)
        .or(lane.segments.last())
}

/// Leaders elected and stepping down inside the window.
fn leadership_changes(nodes: &[NodeLane], start: u64, end: u64) -> Vec<String> {
    let mut changes: Vec<(u64, String)> = Vec::new();
    for lane in nodes {
        let lane_end = lane.segments.last().map_or(0, |s| s.t1);
        for s in lane.segments.iter().filter(|s| s.state == "leader") {
            if s.t0 > start && s.t0 <= end {
                changes.push((
                    s.t0,
                    format!("{}: n{} leads term {}", ms(s.t0), lane.node, s.term),
                ));
            }
            if s.t1 > start && s.t1 <= end && s.t1 < lane_end {
                changes.push((
                    s.t1,
                    format!("{}: n{} stops leading term {}", ms(s.t1), lane.node, s.term),
                ));
            }
        }
    }
    changes.sort();
    changes.into_iter().map(|(_, line)| line).collect()
}

fn ms(ns: u64) -> String {
    format!("{}.{:03} s", ns / 1_000_000_000, (ns / 1_000_000) % 1_000)
}
