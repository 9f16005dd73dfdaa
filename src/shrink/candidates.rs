//! The edits a shrinker tries: each pass turns a trial into smaller
//! variants of itself, most aggressive first.
//!
//! A trial is data (its configuration and its fault schedule), so every
//! edit is an edit of data, and the variant replays deterministically.
//! Each concern keeps its own random stream (see `nemesis::seeds`), so
//! cutting the workload leaves the fault schedule and the network's draws
//! where they were; a cut operation budget is a prefix of the same
//! operation sequence.

use crate::cli::scaled_timeline;
use crate::trial::TrialSpec;
use nemesis::{Fault, FaultSchedule, ScheduledFault};

/// One way of making a trial smaller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Remove faults (delta debugging over the schedule).
    DropFaults,
    /// End fault windows sooner (a heal, restart or resume moved toward
    /// the fault it ends).
    ShortenWindows,
    /// Fewer client operations.
    FewerOps,
    /// Clients that start later (the operations long before the failure
    /// go).
    LaterClients,
    /// Fewer clients.
    FewerClients,
    /// Fewer keys.
    FewerKeys,
    /// A shorter trial.
    ShorterRun,
    /// Fewer nodes.
    FewerNodes,
    /// Gentler link faults and smaller AppendEntries batches.
    GentlerKnobs,
}

impl Pass {
    /// Every pass, in the order the shrinker tries them: the cheap big
    /// cuts first.
    pub const ALL: [Pass; 9] = [
        Pass::DropFaults,
        Pass::LaterClients,
        Pass::FewerOps,
        Pass::ShorterRun,
        Pass::FewerClients,
        Pass::FewerNodes,
        Pass::FewerKeys,
        Pass::ShortenWindows,
        Pass::GentlerKnobs,
    ];

    /// The pass's name in progress lines.
    pub fn name(self) -> &'static str {
        match self {
            Pass::DropFaults => "drop faults",
            Pass::ShortenWindows => "shorten fault windows",
            Pass::FewerOps => "fewer operations",
            Pass::LaterClients => "clients start later",
            Pass::FewerClients => "fewer clients",
            Pass::FewerKeys => "fewer keys",
            Pass::ShorterRun => "shorter run",
            Pass::FewerNodes => "fewer nodes",
            Pass::GentlerKnobs => "gentler knobs",
        }
    }

    /// The variants of `spec` this pass proposes, most aggressive first.
    /// `ops_invoked` is how many operations the trial ran.
    pub fn candidates(self, spec: &TrialSpec, ops_invoked: u64) -> Vec<TrialSpec> {
        match self {
            Pass::DropFaults => drop_faults(spec),
            Pass::ShortenWindows => shorten_windows(spec),
            Pass::FewerOps => fewer(ops_invoked, 1)
                .map(|ops| with(spec, |s| s.config.workload.ops_limit = ops))
                .collect(),
            Pass::FewerClients => fewer(u64::from(spec.config.world.clients.count), 1)
                .map(|count| with(spec, |s| s.config.world.clients.count = count as u32))
                .collect(),
            Pass::FewerKeys => fewer(u64::from(spec.config.workload.key_count), 1)
                .map(|keys| with(spec, |s| s.config.workload.key_count = keys as u32))
                .collect(),
            Pass::LaterClients => later_clients(spec),
            Pass::ShorterRun => shorter_runs(spec),
            Pass::FewerNodes => fewer_nodes(spec),
            Pass::GentlerKnobs => gentler_knobs(spec),
        }
    }
}

/// A copy of `spec` with one change.
fn with(spec: &TrialSpec, change: impl FnOnce(&mut TrialSpec)) -> TrialSpec {
    let mut variant = spec.clone();
    change(&mut variant);
    variant
}

/// Smaller values than `current`, no lower than `floor`, smallest first:
/// the floor, an eighth, a quarter, a half, then closer and closer to
/// `current` (it minus a quarter, an eighth, ... of it, then minus one),
/// so that when only a small cut keeps the failure, a few steps find it
/// rather than one step per unit.
fn fewer(current: u64, floor: u64) -> impl Iterator<Item = u64> {
    let mut values = vec![floor, current / 8, current / 4, current / 2];
    let mut cut = current / 4;
    while cut > 0 {
        values.push(current - cut);
        cut /= 2;
    }
    values.push(current.saturating_sub(1));
    values.retain(|&value| value >= floor && value < current);
    values.sort_unstable();
    values.dedup();
    values.into_iter()
}

/// The faults that may be removed: all but the final heal, which every
/// trial needs so that liveness is judged on a healed cluster.
fn removable(schedule: &FaultSchedule) -> Vec<usize> {
    (0..schedule.faults.len())
        .filter(|&i| schedule.faults[i].fault != Fault::HealAll)
        .collect()
}

/// Delta debugging's complements: remove half the faults, then each
/// quarter, ... then each single fault.
fn drop_faults(spec: &TrialSpec) -> Vec<TrialSpec> {
    let removable = removable(&spec.schedule);
    let mut candidates = Vec::new();
    let mut chunk = removable.len().div_ceil(2).max(1);
    loop {
        for piece in removable.chunks(chunk) {
            candidates.push(with(spec, |s| {
                let mut index = 0;
                s.schedule.faults.retain(|_| {
                    index += 1;
                    !piece.contains(&(index - 1))
                });
            }));
        }
        if chunk == 1 {
            return candidates;
        }
        chunk = chunk.div_ceil(2);
    }
}

/// The fault that ends the window `start` opened, if any: a partition's
/// heal, a crash's restart, a pause's resume, an aimed fault's end.
fn window_end(faults: &[ScheduledFault], start: usize) -> Option<usize> {
    let ends = |fault: &Fault| match (&faults[start].fault, fault) {
        (Fault::Partition(_), Fault::HealPartition) => true,
        (Fault::Aim(aimed), Fault::EndAim(ended)) => aimed.kind() == ended.kind(),
        (Fault::Crash { node }, Fault::Restart { node: other })
        | (Fault::Pause { node }, Fault::Resume { node: other }) => node == other,
        _ => false,
    };
    (start + 1..faults.len()).find(|&i| ends(&faults[i].fault))
}

/// Each window ended halfway to where it ends now.
fn shorten_windows(spec: &TrialSpec) -> Vec<TrialSpec> {
    let faults = &spec.schedule.faults;
    (0..faults.len())
        .filter_map(|start| Some((start, window_end(faults, start)?)))
        .filter(|&(start, end)| faults[end].at_ms > faults[start].at_ms + 1)
        .map(|(start, end)| {
            with(spec, |s| {
                let midpoint = (s.schedule.faults[start].at_ms + s.schedule.faults[end].at_ms) / 2;
                s.schedule.faults[end].at_ms = midpoint;
                s.schedule.faults.sort_by_key(|fault| fault.at_ms);
            })
        })
        .collect()
}

/// Clients that start later, latest first: in eighths of the time they
/// have, from where they start now to where they stop.
fn later_clients(spec: &TrialSpec) -> Vec<TrialSpec> {
    let clients = spec.config.world.clients;
    let stop_ms = spec.config.world.timeline.clients_stop_ms;
    let room_ms = stop_ms.saturating_sub(clients.start_ms);
    (1..8)
        .rev()
        .map(|eighths| clients.start_ms + room_ms * eighths / 8)
        .filter(|&start_ms| start_ms > clients.start_ms && start_ms < stop_ms)
        .map(|start_ms| with(spec, |s| s.config.world.clients.start_ms = start_ms))
        .collect()
}

/// Shorter trials (no shorter than two simulated seconds), their faults
/// cut to the shorter fault window and the final heal moved to its end.
fn shorter_runs(spec: &TrialSpec) -> Vec<TrialSpec> {
    const SHORTEST_MS: u64 = 2_000;
    fewer(spec.config.world.timeline.end_ms, SHORTEST_MS)
        .map(|end_ms| {
            with(spec, |s| {
                let timeline = scaled_timeline(end_ms);
                let heal_ms = timeline.faults.heal_at_ms;
                s.config.world.timeline = timeline;
                let clients = &mut s.config.world.clients;
                clients.start_ms = clients.start_ms.min(timeline.clients_stop_ms / 2);
                s.schedule
                    .faults
                    .retain(|f| f.at_ms < heal_ms || f.fault == Fault::HealAll);
                for fault in &mut s.schedule.faults {
                    if fault.fault == Fault::HealAll {
                        fault.at_ms = heal_ms;
                    }
                }
            })
        })
        .collect()
}

/// Three nodes (or one), keeping only the faults that still make sense.
fn fewer_nodes(spec: &TrialSpec) -> Vec<TrialSpec> {
    let nodes = spec.config.world.cluster.cluster_size;
    [1, 3]
        .into_iter()
        .filter(|&size| size < nodes)
        .map(|size| {
            with(spec, |s| {
                s.config.world.cluster.cluster_size = size;
                let end_ms = s.config.world.timeline.end_ms;
                s.schedule.faults.retain(|fault| {
                    let alone = FaultSchedule {
                        kinds: s.schedule.kinds,
                        faults: vec![fault.clone()],
                    };
                    alone.validate(size, end_ms).is_ok()
                });
            })
        })
        .collect()
}

/// Link faults at half strength, skews halfway back to normal, and
/// smaller AppendEntries batches.
fn gentler_knobs(spec: &TrialSpec) -> Vec<TrialSpec> {
    let mut candidates = Vec::new();
    for (i, scheduled) in spec.schedule.faults.iter().enumerate() {
        let gentler = match scheduled.fault {
            Fault::Drop { permille } if permille > 1 => Fault::Drop {
                permille: permille / 2,
            },
            Fault::Duplicate { permille } if permille > 1 => Fault::Duplicate {
                permille: permille / 2,
            },
            Fault::Delay { max_extra_ms } if max_extra_ms > 1 => Fault::Delay {
                max_extra_ms: max_extra_ms / 2,
            },
            Fault::Skew {
                node,
                rate_permille,
            } if rate_permille.abs_diff(1000) > 1 => Fault::Skew {
                node,
                rate_permille: (rate_permille + 1000) / 2,
            },
            _ => continue,
        };
        candidates.push(with(spec, |s| s.schedule.faults[i].fault = gentler));
    }
    let batch = spec.config.world.cluster.max_entries_per_append as u64;
    candidates.extend(fewer(batch, 1).map(|entries| {
        with(spec, |s| {
            s.config.world.cluster.max_entries_per_append = entries as usize;
        })
    }));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trial::TrialConfig;

    fn spec() -> TrialSpec {
        TrialSpec::generate(TrialConfig::default(), 7)
    }

    #[test]
    fn smaller_values_come_smallest_first_and_stay_below_the_current_one() {
        let cases: [(u64, u64, &[u64]); 4] = [
            (8, 1, &[1, 2, 4, 6, 7]),
            (2, 1, &[1]),
            (1, 1, &[]),
            (100, 1, &[1, 12, 25, 50, 75, 88, 94, 97, 99]),
        ];
        for (current, floor, expected) in cases {
            assert_eq!(
                fewer(current, floor).collect::<Vec<_>>(),
                expected,
                "{current}"
            );
        }
    }

    #[test]
    fn every_candidate_of_every_pass_is_a_valid_trial() {
        let spec = spec();
        for pass in Pass::ALL {
            let candidates = pass.candidates(&spec, 400);
            assert!(!candidates.is_empty(), "{} proposes something", pass.name());
            for candidate in candidates {
                assert_ne!(candidate, spec, "{} changes the trial", pass.name());
                candidate.config.validate().unwrap();
                let cluster = candidate.config.world.cluster.cluster_size;
                let end_ms = candidate.config.world.timeline.end_ms;
                candidate.schedule.validate(cluster, end_ms).unwrap();
                let heals = candidate
                    .schedule
                    .faults
                    .iter()
                    .filter(|f| f.fault == Fault::HealAll);
                assert_eq!(heals.count(), 1, "{} keeps the final heal", pass.name());
            }
        }
    }

    #[test]
    fn dropping_faults_tries_halves_before_single_faults() {
        let spec = spec();
        let total = removable(&spec.schedule).len();
        let candidates = drop_faults(&spec);
        let removed = |c: &TrialSpec| spec.schedule.faults.len() - c.schedule.faults.len();
        assert_eq!(removed(&candidates[0]), total.div_ceil(2));
        assert_eq!(removed(candidates.last().unwrap()), 1);
    }
}
