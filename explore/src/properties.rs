//! The properties judged on every state: Raft's safety properties (the
//! trace checker's, Figure 3 of the paper) must always hold, and a few
//! `sometimes` properties must be reachable, or the scope proves nothing.

use crate::model::ExploreModel;
use crate::state::Cluster;
use crate::system::Explorable;
use stateright::Property;

/// A safety property, checked as observations arrive (see
/// [`Ghost`](crate::ghost::Ghost)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Safety {
    /// §5.2: at most one leader per term.
    ElectionSafety,
    /// §5.3: logs with an entry of the same index and term are identical
    /// up to it.
    LogMatching,
    /// §5.4: an entry committed in a term is in the log of every leader of
    /// every later term.
    LeaderCompleteness,
    /// §5.4.3: no two different entries are applied at one index.
    StateMachineSafety,
}

impl Safety {
    /// Every safety property, in report order.
    pub const ALL: [Safety; 4] = [
        Safety::ElectionSafety,
        Safety::LogMatching,
        Safety::LeaderCompleteness,
        Safety::StateMachineSafety,
    ];

    /// The name it has in the trace checker and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Safety::ElectionSafety => "election-safety",
            Safety::LogMatching => "log-matching",
            Safety::LeaderCompleteness => "leader-completeness",
            Safety::StateMachineSafety => "state-machine-safety",
        }
    }

    /// Its bit in [`Ghost::broken`](crate::ghost::Ghost::broken).
    pub fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The safety property of a name, if any.
    pub fn from_name(name: &str) -> Option<Safety> {
        Safety::ALL.into_iter().find(|safety| safety.name() == name)
    }
}

/// The names of the `sometimes` properties: what a meaningful scope must
/// be able to reach.
pub const SOMETIMES: [&str; 4] = [
    "a leader is elected",
    "an entry commits",
    "a leader is replaced",
    "a read is answered",
];

/// Every property, for stateright: the four safety properties, then the
/// four reachability ones. Each reports a discovery only when it is the
/// shortest known for its property (see
/// [`ExploreModel::shortest_depth`]).
pub fn all<R: Explorable>() -> Vec<Property<ExploreModel<R>>> {
    vec![
        Property::always("election-safety", |m, s: &Cluster<R>| {
            holds(m, s, 0, Safety::ElectionSafety)
        }),
        Property::always("log-matching", |m, s: &Cluster<R>| {
            holds(m, s, 1, Safety::LogMatching)
        }),
        Property::always("leader-completeness", |m, s: &Cluster<R>| {
            holds(m, s, 2, Safety::LeaderCompleteness)
        }),
        Property::always("state-machine-safety", |m, s: &Cluster<R>| {
            holds(m, s, 3, Safety::StateMachineSafety)
        }),
        Property::sometimes(SOMETIMES[0], |m, s: &Cluster<R>| {
            reached(m, s, 4, s.ghost.leaders.iter().any(|&mask| mask != 0))
        }),
        Property::sometimes(SOMETIMES[1], |m, s: &Cluster<R>| {
            reached(m, s, 5, !s.ghost.committed.is_empty())
        }),
        Property::sometimes(SOMETIMES[2], |m, s: &Cluster<R>| {
            let terms_led = s.ghost.leaders.iter().filter(|&&mask| mask != 0).count();
            reached(m, s, 6, terms_led >= 2)
        }),
        Property::sometimes(SOMETIMES[3], |m, s: &Cluster<R>| {
            reached(m, s, 7, s.answered & m.read_requests() != 0)
        }),
    ]
}

/// False (a counterexample) when `safety` is broken in `state` and no
/// shorter counterexample is known.
fn holds<R: Explorable>(
    model: &ExploreModel<R>,
    state: &Cluster<R>,
    index: usize,
    safety: Safety,
) -> bool {
    !(state.ghost.is_broken(safety) && model.shortest_so_far(index, state.depth))
}

/// True (an example) when `condition` holds in `state` and no shorter
/// example is known.
fn reached<R: Explorable>(
    model: &ExploreModel<R>,
    state: &Cluster<R>,
    index: usize,
    condition: bool,
) -> bool {
    condition && model.shortest_so_far(index, state.depth)
}
