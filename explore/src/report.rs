//! The result of an exploration, for a person: the scope, the figures, each
//! property's fate, every counterexample as a readable trace with the trace
//! checker's verdict — and the exit code CI gates on.

use crate::properties::{Safety, SOMETIMES};
use crate::run::{Discovery, Outcome, RunConfig, Strategy};
use crate::scope::Scope;
use std::fmt::Write as _;

/// Exit code: exhausted, nothing violated, every `sometimes` reached.
pub const EXIT_OK: i32 = 0;
/// Exit code: a safety property was violated.
pub const EXIT_VIOLATION: i32 = 1;
/// Exit code: nothing violated, but the scope was not exhausted or some
/// `sometimes` property was never reached (the report says which).
pub const EXIT_INCONCLUSIVE: i32 = 3;

/// The exit code for `outcome`.
pub fn exit_code(outcome: &Outcome) -> i32 {
    if outcome.violations().next().is_some() {
        EXIT_VIOLATION
    } else if !outcome.exhausted || !outcome.unreached.is_empty() {
        EXIT_INCONCLUSIVE
    } else {
        EXIT_OK
    }
}

/// What was explored: the system, its planted bugs, the scope, the
/// strategy.
#[derive(Clone, Debug)]
pub struct Header<'a> {
    /// The system's name.
    pub system: &'a str,
    /// The planted bugs, by name.
    pub bugs: Vec<String>,
    /// The scope.
    pub scope: Scope,
    /// How it ran.
    pub config: RunConfig,
}

/// The whole report: header, figures, properties, counterexamples, verdict.
pub fn render(header: &Header, outcome: &Outcome) -> String {
    let mut text = String::new();
    let bugs = if header.bugs.is_empty() {
        "none".to_string()
    } else {
        header.bugs.join(", ")
    };
    let _ = writeln!(
        text,
        "raftstorm explore: {} (planted bugs: {bugs})",
        header.system
    );
    let _ = writeln!(text, "scope: {}", header.scope);
    let strategy = match header.config.strategy {
        Strategy::Bfs => "breadth-first".to_string(),
        Strategy::Dfs => "depth-first".to_string(),
        Strategy::Simulation { seed } => format!("random simulation (seed {seed})"),
    };
    let _ = writeln!(
        text,
        "strategy: {strategy}, {} threads",
        header.config.threads
    );
    let _ = writeln!(
        text,
        "explored: {} states, {} unique, max depth {}, {:.2} s, {:.0} states/s; {}",
        outcome.states,
        outcome.unique,
        outcome.max_depth,
        outcome.elapsed.as_secs_f64(),
        outcome.states_per_sec(),
        if outcome.exhausted {
            "scope exhausted"
        } else {
            "scope NOT exhausted"
        }
    );
    properties(&mut text, outcome);
    for discovery in outcome.violations() {
        counterexample(&mut text, discovery);
    }
    let _ = writeln!(text, "{}", verdict(outcome));
    text
}

/// One line per property: violated (at what depth), held, reached.
fn properties(text: &mut String, outcome: &Outcome) {
    let found = |name: &str| outcome.discoveries.iter().find(|d| d.property == name);
    for safety in Safety::ALL {
        let fate = match found(safety.name()) {
            Some(d) => format!(
                "VIOLATED (shortest counterexample found: {} steps)",
                d.depth
            ),
            None if outcome.exhausted => "holds in every state of the scope".to_string(),
            None => "held in every state explored".to_string(),
        };
        let _ = writeln!(text, "  always    {:<22} {fate}", safety.name());
    }
    for name in SOMETIMES {
        let fate = match found(name) {
            Some(d) => format!("reached ({} steps)", d.depth),
            None if outcome.excluded.contains(&name) => {
                "not in scope (no read request)".to_string()
            }
            None => "NEVER reached".to_string(),
        };
        let _ = writeln!(text, "  sometimes {name:<22} {fate}");
    }
}

/// A counterexample: the path step by step, then the trace checker's
/// verdict on the same events.
fn counterexample(text: &mut String, discovery: &Discovery) {
    let _ = writeln!(
        text,
        "\ncounterexample to {} ({} steps):",
        discovery.property, discovery.depth
    );
    for (number, step) in discovery.path.steps.iter().enumerate() {
        let _ = writeln!(text, "{:>4}. {}", number + 1, step.action);
        for observation in &step.observations {
            let _ = writeln!(text, "        {observation}");
        }
    }
    let verdict = &discovery.path.verdict;
    let broken: Vec<&str> = verdict.violated_invariants().map(|i| i.name()).collect();
    if broken.is_empty() {
        let _ = writeln!(text, "trace checker: no violation in these events");
        return;
    }
    let _ = writeln!(text, "trace checker agrees: {}", broken.join(", "));
    for violation in verdict.violations.iter().take(4) {
        let _ = writeln!(text, "  {}: {}", violation.invariant, violation.message);
    }
}

/// The last line: what the exit code means here.
pub fn verdict(outcome: &Outcome) -> String {
    let violated: Vec<&str> = outcome.violations().map(|d| d.property).collect();
    match exit_code(outcome) {
        EXIT_VIOLATION => format!("verdict: VIOLATION of {} (exit 1)", violated.join(", ")),
        EXIT_OK => {
            "verdict: no violation in the whole scope, every sometimes property reached (exit 0)"
                .to_string()
        }
        _ if !outcome.exhausted => {
            "verdict: no violation found, but the scope was not exhausted (exit 3)".to_string()
        }
        _ => format!(
            "verdict: no violation, but never reached: {} — the scope may be too small (exit 3)",
            outcome.unreached.join(", ")
        ),
    }
}
