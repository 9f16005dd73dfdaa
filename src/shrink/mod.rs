//! Shrinking: from a failing trial to the smallest trial that still fails
//! the same way.
//!
//! The search is greedy delta debugging over the trial as data. Each pass
//! of [`candidates`] proposes smaller variants, most aggressive first; the
//! first variant (in that order) that still fails the *same check* — the
//! same invariant, or linearizability, or liveness, never just any
//! failure — becomes the trial, and the passes start over; the search ends
//! when no pass finds a smaller failing variant (a fixpoint), or at its
//! budget. Variants run in parallel, but the one accepted is always the
//! first failing one in proposal order, so the result is the same at any
//! thread count.

pub mod candidates;

use crate::campaign::run_caught;
use crate::system::SystemUnderTest;
use crate::trial::{TrialResult, TrialSpec};
use candidates::Pass;
use std::fmt;
use std::time::{Duration, Instant};

/// How much a shrink may spend.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Most variants to run: a deterministic bound.
    pub max_candidates: u64,
    /// Wall-clock bound: a shrink cut by it depends on the machine's speed.
    pub time_limit: Option<Duration>,
    /// Variants run at once.
    pub threads: usize,
}

/// The measures a shrink makes smaller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Size {
    /// Fault events in the schedule, not counting the final heal every
    /// trial ends its fault period with.
    pub faults: usize,
    /// Client operations invoked.
    pub ops: u64,
    /// Simulated milliseconds.
    pub simulated_ms: u64,
    /// Nodes.
    pub nodes: u32,
    /// Clients.
    pub clients: u32,
}

impl Size {
    fn of(result: &TrialResult) -> Size {
        let config = &result.spec.config;
        Size {
            faults: result
                .spec
                .schedule
                .faults
                .iter()
                .filter(|f| f.fault != nemesis::Fault::HealAll)
                .count(),
            ops: result.output.stats.ops_invoked,
            simulated_ms: config.world.timeline.end_ms,
            nodes: config.world.cluster.cluster_size,
            clients: config.world.clients.count,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fault events, {} client operations, {} simulated ms, {} nodes, {} clients",
            self.faults, self.ops, self.simulated_ms, self.nodes, self.clients
        )
    }
}

/// What a shrink found.
pub struct Shrunk {
    /// The check both the original and the shrunk trial fail.
    pub check: String,
    /// The original's measures.
    pub before: Size,
    /// The shrunk trial's measures.
    pub after: Size,
    /// The shrunk trial, run and checked.
    pub result: TrialResult,
    /// Variants run.
    pub candidates: u64,
    /// Steps taken (consecutive steps of one pass as one).
    pub steps: Vec<Step>,
    /// False when the budget ran out before a fixpoint.
    pub finished: bool,
    /// Wall-clock time spent.
    pub elapsed: Duration,
}

/// Shrinks the failing trial `spec` of `system`, keeping it failing
/// `target` (by default the first check it fails). `progress` hears of
/// each step as it is taken. An error when the trial does not fail so.
pub fn shrink(
    spec: TrialSpec,
    system: &dyn SystemUnderTest,
    budget: Budget,
    target: Option<&str>,
    progress: &mut dyn FnMut(&str),
) -> Result<Shrunk, String> {
    let started = Instant::now();
    let original = run_caught(&spec, system)
        .map_err(|message| format!("the trial panics ({message}); a panic cannot be shrunk"))?;
    let failed = &original.verdict.failed_checks;
    let check = match target {
        Some(target) => failed
            .iter()
            .find(|c| c.check == target)
            .map(|c| c.check.clone())
            .ok_or(format!(
                "the trial does not fail {target}: there is nothing to shrink"
            ))?,
        None => failed
            .first()
            .map(|c| c.check.clone())
            .ok_or("the trial passes every check: there is nothing to shrink")?,
    };
    let mut search = Search {
        system,
        budget,
        started,
        check,
        candidates: 0,
        steps: Vec::new(),
    };
    let before = Size::of(&original);
    let (result, finished) = search.run(original, progress);
    Ok(Shrunk {
        after: Size::of(&result),
        before,
        result,
        check: search.check,
        candidates: search.candidates,
        steps: search.steps,
        finished,
        elapsed: started.elapsed(),
    })
}

struct Search<'a> {
    system: &'a dyn SystemUnderTest,
    budget: Budget,
    started: Instant,
    check: String,
    candidates: u64,
    steps: Vec<Step>,
}

/// One accepted step of a shrink, or several of the same pass in a row.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// The pass that made it.
    pub pass: Pass,
    /// The measures before and after.
    pub before: Size,
    /// After.
    pub after: Size,
    /// How many steps of this pass in a row it stands for.
    pub times: u32,
}

impl Step {
    fn absorb(&mut self, next: Step) {
        self.after = next.after;
        self.times += next.times;
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.pass.name())?;
        if self.times > 1 {
            write!(f, " (x{})", self.times)?;
        }
        let (b, a) = (self.before, self.after);
        let changes = [
            ("fault events", b.faults as u64, a.faults as u64),
            ("operations", b.ops, a.ops),
            ("ms", b.simulated_ms, a.simulated_ms),
            ("nodes", u64::from(b.nodes), u64::from(a.nodes)),
            ("clients", u64::from(b.clients), u64::from(a.clients)),
        ];
        let mut any = false;
        for (what, before, after) in changes {
            if before != after {
                write!(
                    f,
                    "{} {what} {before} -> {after}",
                    if any { "," } else { ":" }
                )?;
                any = true;
            }
        }
        Ok(())
    }
}

impl Search<'_> {
    /// Greedy passes to a fixpoint; true when it got there in budget.
    fn run(
        &mut self,
        mut current: TrialResult,
        progress: &mut dyn FnMut(&str),
    ) -> (TrialResult, bool) {
        'passes: loop {
            for pass in Pass::ALL {
                let variants = pass.candidates(&current.spec, current.output.stats.ops_invoked);
                match self.first_failing(variants) {
                    Found::Smaller(smaller) => {
                        let step = Step {
                            pass,
                            before: Size::of(&current),
                            after: Size::of(&smaller),
                            times: 1,
                        };
                        progress(&step.to_string());
                        match self.steps.last_mut() {
                            Some(last) if last.pass == pass => last.absorb(step),
                            _ => self.steps.push(step),
                        }
                        current = *smaller;
                        continue 'passes;
                    }
                    Found::Nothing => {}
                    Found::OutOfBudget => return (current, false),
                }
            }
            return (current, true);
        }
    }

    fn out_of_budget(&self) -> bool {
        self.candidates >= self.budget.max_candidates
            || self
                .budget
                .time_limit
                .is_some_and(|limit| self.started.elapsed() >= limit)
    }

    /// Runs the variants in order, `threads` at a time, and returns the
    /// first that fails the target check.
    fn first_failing(&mut self, variants: Vec<TrialSpec>) -> Found {
        for batch in variants.chunks(self.budget.threads.max(1)) {
            if self.out_of_budget() {
                return Found::OutOfBudget;
            }
            self.candidates += batch.len() as u64;
            let results = self.run_batch(batch);
            if let Some(result) = results.into_iter().flatten().next() {
                return Found::Smaller(Box::new(result));
            }
        }
        Found::Nothing
    }

    /// Each variant's result when it fails the target check, in order.
    fn run_batch(&self, batch: &[TrialSpec]) -> Vec<Option<TrialResult>> {
        let fails_the_same_way = |spec: &TrialSpec| {
            let result = run_caught(spec, self.system).ok()?;
            let same = result
                .verdict
                .failed_checks
                .iter()
                .any(|c| c.check == self.check);
            same.then_some(result)
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|spec| scope.spawn(move || fails_the_same_way(spec)))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or(None))
                .collect()
        })
    }
}

enum Found {
    Smaller(Box<TrialResult>),
    Nothing,
    OutOfBudget,
}

/// What a person reads first about a shrink: the check, before and after,
/// the steps, and the cost.
pub fn summary(shrunk: &Shrunk) -> String {
    let mut text = format!(
        "shrunk a failure of {}:\n  before: {}\n  after:  {}\n",
        shrunk.check, shrunk.before, shrunk.after
    );
    text += &format!(
        "  {} variants in {:.1}s{}\n",
        shrunk.candidates,
        shrunk.elapsed.as_secs_f64(),
        if shrunk.finished {
            ", to a fixpoint (no pass finds a smaller failing trial)"
        } else {
            ", cut short by the budget"
        }
    );
    for step in &shrunk.steps {
        text += &format!("    {step}\n");
    }
    text
}

/// The shrunk trial's artifact: like any failure's, with the shrink's
/// summary at the top of its report.
pub fn artifact(
    shrunk: &Shrunk,
    campaign: Option<crate::artifact::CampaignRef>,
    replay_command: &str,
) -> crate::artifact::ArtifactFiles {
    let mut files =
        crate::artifact::ArtifactFiles::render(&shrunk.result, campaign, replay_command);
    let mut report = summary(shrunk).into_bytes();
    report.push(b'\n');
    report.append(&mut files.report);
    files.report = report;
    files
}

/// Shrinks the first failure of each check a campaign found (checks in
/// name order, failures in campaign order, so the same campaign shrinks
/// the same trials), writing each shrunk trial beside its failure's
/// artifact: `shrunk/`, or `shrunk-<check>/` when one failure is the
/// first of several checks. `progress` hears a line per shrink.
pub fn shrink_first_failures(
    report: &mut crate::report::CampaignReport,
    system: &dyn SystemUnderTest,
    budget: Budget,
    progress: &mut dyn FnMut(&str),
) -> std::io::Result<()> {
    let checks: Vec<String> = report.failures_per_check.keys().cloned().collect();
    for check in checks {
        if check == crate::trial::PANIC_CHECK {
            continue;
        }
        let Some(failure) = report
            .failures
            .iter_mut()
            .find(|f| f.checks.contains(&check))
        else {
            continue; // its failures were past --max-failures
        };
        let directory = std::path::PathBuf::from(&failure.artifact);
        let file = crate::artifact::read_trial_file(&directory.join("trial.json"))
            .map_err(|err| std::io::Error::other(err.to_string()))?;
        let Ok(shrunk) = shrink(file.trial, system, budget, Some(&check), &mut |_| {}) else {
            continue;
        };
        let out = match failure.shrunk.is_empty() {
            true => directory.join("shrunk"),
            false => directory.join(format!("shrunk-{check}")),
        };
        let replay = system.replay_command(&out);
        artifact(&shrunk, file.campaign, &replay).write_to(&out)?;
        progress(&format!(
            "shrunk the first {check} failure (seed {}): {} -> {}",
            failure.seed, shrunk.before, shrunk.after
        ));
        failure.shrunk.push(crate::report::ShrunkEntry {
            check,
            artifact: out.display().to_string(),
            replay,
            before: shrunk.before,
            after: shrunk.after,
            variants: shrunk.candidates,
            finished: shrunk.finished,
        });
    }
    Ok(())
}
