//! Running a checker over a model: breadth-first (the default: with one
//! thread every counterexample is a shortest one), depth-first, or
//! stateright's random simulation; on every core; within a time limit.

use crate::action::Action;
use crate::model::ExploreModel;
use crate::properties::{Safety, SOMETIMES};
use crate::system::Explorable;
use crate::trace::{replay, Replayed};
use stateright::{Checker, HasDiscoveries, Model, UniformChooser};
use std::io::Write as _;
use std::time::{Duration, Instant};

/// How to traverse the state space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Breadth-first: shortest counterexamples (exactly so with one
    /// thread; with several, work stealing may deepen them a little).
    Bfs,
    /// Depth-first: less memory, longer counterexamples.
    Dfs,
    /// Random walks from the initial state, seeded: never exhaustive.
    Simulation {
        /// The first walk's seed.
        seed: u64,
    },
}

/// How to run.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    /// The traversal.
    pub strategy: Strategy,
    /// Checker threads.
    pub threads: usize,
    /// Stop after this long (the scope is then not exhausted).
    pub time_limit: Option<Duration>,
    /// Stop at the first violation (else explore on for the others).
    pub stop_at_violation: bool,
    /// Print progress to stderr every few seconds.
    pub progress: bool,
}

/// A property's discovery: a counterexample to a safety property, or an
/// example of a `sometimes` one.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// The property's name.
    pub property: &'static str,
    /// True for a safety violation.
    pub violation: bool,
    /// Actions from the initial state.
    pub depth: usize,
    /// The path, replayed.
    pub path: Replayed,
}

/// What a run found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// States generated (stateright's count: every successor within the
    /// scope, repeats included).
    pub states: usize,
    /// Distinct states.
    pub unique: usize,
    /// The deepest state reached.
    pub max_depth: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// True when every state of the scope was checked.
    pub exhausted: bool,
    /// Violations, then examples, in property order.
    pub discoveries: Vec<Discovery>,
    /// `sometimes` properties never reached.
    pub unreached: Vec<&'static str>,
    /// `sometimes` properties the scope excludes by construction ("a read
    /// is answered" without a read request): neither reached nor owed.
    pub excluded: Vec<&'static str>,
}

impl Outcome {
    /// States generated per second.
    pub fn states_per_sec(&self) -> f64 {
        self.states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The violations found.
    pub fn violations(&self) -> impl Iterator<Item = &Discovery> {
        self.discoveries.iter().filter(|d| d.violation)
    }
}

/// Explores `model` as `config` says.
pub fn explore<R: Explorable>(model: ExploreModel<R>, config: &RunConfig) -> Outcome {
    let start = Instant::now();
    let model = match config.time_limit {
        Some(limit) => model.with_deadline(start + limit),
        None => model,
    };
    let finish_when = if config.stop_at_violation {
        HasDiscoveries::AnyFailures
    } else {
        HasDiscoveries::All
    };
    let builder = model
        .checker()
        .threads(config.threads.max(1))
        .finish_when(finish_when);
    match config.strategy {
        Strategy::Bfs => finish(builder.spawn_bfs(), start, config),
        Strategy::Dfs => finish(builder.spawn_dfs(), start, config),
        Strategy::Simulation { seed } => {
            let limit = config.time_limit.unwrap_or(Duration::from_secs(10));
            finish(
                builder
                    .timeout(limit)
                    .spawn_simulation(seed, UniformChooser),
                start,
                config,
            )
        }
    }
}

/// Waits for the checker's threads, then gathers and replays what it found.
fn finish<R: Explorable, C: Checker<ExploreModel<R>>>(
    mut checker: C,
    start: Instant,
    config: &RunConfig,
) -> Outcome {
    let handles = checker.handles();
    let mut last_report = Instant::now();
    while !handles.iter().all(|handle| handle.is_finished()) {
        std::thread::sleep(Duration::from_millis(20));
        if config.progress && last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            let (states, unique) = (checker.state_count(), checker.unique_state_count());
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "explore: {states} states, {unique} unique, depth {}, {:.0} states/s",
                checker.max_depth(),
                states as f64 / secs
            );
            let _ = std::io::stderr().flush();
        }
    }
    for handle in handles {
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
    let elapsed = start.elapsed();
    let model = checker.model();
    let timed_out = model.timed_out();
    model.reopen();
    let found = checker.discoveries();
    let mut discoveries = Vec::new();
    let names = Safety::ALL
        .iter()
        .map(|s| (s.name(), true))
        .chain(SOMETIMES.iter().map(|&n| (n, false)));
    for (name, violation) in names {
        if let Some(path) = found.get(name) {
            let actions: Vec<Action> = path.clone().into_actions();
            let depth = actions.len();
            discoveries.push(Discovery {
                property: name,
                violation,
                depth,
                path: replay(model, &actions),
            });
        }
    }
    let violated = discoveries.iter().any(|d| d.violation);
    let excluded: Vec<&'static str> = if model.read_requests() == 0 {
        vec![SOMETIMES[3]]
    } else {
        Vec::new()
    };
    let unreached = SOMETIMES
        .into_iter()
        .filter(|name| !found.contains_key(name) && !excluded.contains(name))
        .collect();
    let simulated = matches!(config.strategy, Strategy::Simulation { .. });
    Outcome {
        states: checker.state_count(),
        unique: checker.unique_state_count(),
        max_depth: checker.max_depth(),
        elapsed,
        exhausted: !(timed_out || simulated || (violated && config.stop_at_violation)),
        discoveries,
        unreached,
        excluded,
    }
}
