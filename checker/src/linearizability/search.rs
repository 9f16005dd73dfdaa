//! The Wing & Gong search with Lowe's memoization, for one key.
//!
//! # The search
//!
//! Every operation contributes a *call* entry at its invoke position and,
//! when it must be linearized, a *return* entry at its completion position;
//! the entries form a doubly linked list in history order. A node of the
//! search is the set of operations linearized so far and the model state
//! they produced. At a node, the *candidates* are the operations whose call
//! appears in the list before the first return entry: exactly the
//! operations that may be linearized next without contradicting real-time
//! order. Linearizing one takes both its entries out of the list ("lifts"
//! it) and moves to a child node; reaching a return entry means that
//! operation had to be linearized by now and no candidate sequence managed
//! it, so the search backtracks. The search succeeds as soon as every
//! *required* operation is linearized: optional ones (`info`) have no
//! return entry, so nothing ever forces them, and those left at the end are
//! simply never linearized.
//!
//! # Pruning
//!
//! - Memo (Lowe): a child `(set, state)` already visited is not entered again
//!   (the memo keeps the set as a bitset with an incremental Zobrist hash).
//! - Read-only candidates: if some candidate can be linearized now and
//!   never changes the state wherever it can take effect (a read that
//!   matches, a rejected cas: [`Model::is_read_only`]), then the node has a
//!   linearization iff it has one that starts with that candidate. Take any
//!   linearization from the node; removing the read-only operation from it
//!   changes no state along it, and putting it first keeps every real-time
//!   constraint (it is a candidate, so nothing unlinearized must precede
//!   it) and every later step (it leaves the current state as it is). So it
//!   is linearized at once and its siblings are never tried ("forced").
//!   "Leaves *this* state unchanged" would not do: a write of the current
//!   value may be needed later, where it does change the state.
//! - Unobservable states: when a required operation that overwrites the
//!   state (a write) must come before every operation that could observe it
//!   (real time says so: the write completed before they were invoked),
//!   the state's exact value does not matter any more, and the model may
//!   replace it by one stand-in ([`Model::forget`]). Without this, a stretch
//!   of concurrent appends ending in a put yields one distinct string per
//!   order of the appends, and the memo cannot tell that they all share the
//!   same future.
//! - Dead ends by lookahead: if, from the current node, the operations that
//!   may be linearized before some required read-only operation `r`
//!   completes can only transform the state (appends), overwrite it (puts)
//!   or observe it without changing it, then `r` will see either the
//!   current state or one of those overwrites, transformed; the model can
//!   tell when that is impossible ([`Model::may_lead_to`]: a read of "xay"
//!   cannot follow the state "xb" by appends alone). Such a node is
//!   abandoned at once instead of after trying every order of the appends.
//! - Twin optional operations: two optional operations with the same prepared
//!   action are interchangeable (same effect, no completion to respect), so
//!   the later-invoked one is only a candidate once the earlier one is
//!   linearized.
//!
//! # The counterexample
//!
//! The *first operation that cannot be linearized* is the required
//! operation `y` with the earliest completion such that no order respecting
//! real time and the model contains every required operation that
//! completed up to `y`'s completion — operations that completed later may
//! be in it or not, with the results they eventually returned, and
//! optional ones may be in it or not. (So every operation that completed
//! before `y` fits, and `y` does not.)
//!
//! The *frontier* of a node is its first return entry: the
//! earliest-completing required operation not yet linearized. A node at
//! frontier `f` shows that everything that completed before `f` fits; the
//! search remembers the furthest frontier it got stuck at, with the longest
//! linearized sequence there and every state it reached there. Without the
//! lookahead that frontier is exactly the first failing operation, since
//! the other pruning rules keep every node that can get further. The
//! lookahead may abandon a node before it reaches the frontier where it
//! would have been stuck; the search then reports the furthest frontier it
//! saw and the furthest operation it blamed, between which `explain.rs`
//! finds the first failing operation by searching cuts of the history. If
//! the very first operation already fails, the prefix is empty and the only
//! state is the initial one.

use super::memo::{node_hash, zobrist_keys, Bitset, Memo};
use super::model::{Access, Model};
use super::problem::KeyProblem;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// End of the entry list.
const NIL: u32 = u32::MAX;
/// The list's sentinel head entry.
const HEAD: u32 = 0;
/// How many upcoming observations the lookahead checks at each node. On the
/// Porcupine corpus, checking more cost more time than the extra pruning
/// saved: the next read is what pins a string down.
const LOOKAHEAD_OBSERVATIONS: usize = 1;
/// How many candidate states (the current one and pending overwrites') the
/// lookahead follows before it gives up.
const LOOKAHEAD_SOURCES: usize = 8;
/// The clock is read once every this many search steps (a power of two).
const STEPS_PER_CLOCK_CHECK: u64 = 4096;

/// The limits of one key's search, resolved from the budget.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Most memo entries, from `max_states`.
    pub max_states: Option<u64>,
    /// Most memo bytes, from `max_memo_bytes`.
    pub max_memo_bytes: Option<u64>,
    /// When to give up, and the limit it came from (for the message).
    pub deadline: Option<(Instant, Duration)>,
    /// Whether keys are first decided by order inference (`inferred.rs`).
    pub infer_orders: bool,
}

/// What one key's search found.
pub(crate) enum Verdict<S> {
    /// A linearization exists: this one (required operations and the
    /// optional ones it uses, in order) ends in `state`.
    Linearizable { order: Vec<usize>, state: S },
    /// None exists; where the search got furthest.
    NotLinearizable(Stuck<S>),
    /// The budget ran out; why.
    Unknown(String),
}

/// The furthest point a failed search reached (see the module docs).
pub(crate) struct Stuck<S> {
    /// The operation that could not be linearized (index into the problem's
    /// operations).
    pub op: usize,
    /// The longest linearized sequence at that point, in order.
    pub prefix: Vec<usize>,
    /// The model states the search reached there, in no particular order.
    pub states: Vec<S>,
}

/// The search's answer and what it cost.
pub(crate) struct Outcome<S> {
    pub verdict: Verdict<S>,
    pub memo_entries: u64,
    /// When the budget ran out: the furthest stuck point so far, if any.
    pub partial: Option<Stuck<S>>,
    /// True when the lookahead abandoned some node without recording it as
    /// stuck: the furthest stuck point may then fall short of the first
    /// operation that cannot be linearized (see `explain.rs`).
    pub lookahead_pruned: bool,
    /// The furthest completion position some node had reached: every
    /// operation completing before it was linearized there. A lower bound
    /// on the first failing completion.
    pub reached_position: Option<u64>,
    /// The furthest completion of an operation the lookahead blamed for
    /// abandoning a node: no abandoned node could have got past it. With
    /// `reached_position`, an upper bound on the first failing completion.
    pub blamed_position: Option<u64>,
}

/// One linearized operation on the current path.
#[derive(Clone, Copy)]
struct Frame<S> {
    op: u32,
    state_before: S,
    /// Linearized by the read-only rule: its siblings were never
    /// tried, so backtracking past it backtracks its parent too.
    forced: bool,
}

/// How an attempt to enter a child node ended.
enum Enter {
    Entered,
    /// Already explored, or certainly dead: try the next candidate.
    Refused,
    OverBudget(String),
}

/// What the lookahead concluded about a node.
enum Lookahead {
    /// Nothing against it.
    Possible,
    /// Some upcoming observation can never happen; `blamed` is its return
    /// entry. `frontier` is that entry too when it is the node's first
    /// return (the node is then stuck at its frontier, and the
    /// counterexample wants to know).
    Dead { frontier: Option<u32>, blamed: u32 },
}

/// The best stuck point so far.
struct Furthest<S> {
    /// Entry index of the return the search was stuck at.
    frontier: u32,
    op: u32,
    prefix: Vec<usize>,
    states: HashSet<S>,
}

impl<S> Furthest<S> {
    fn into_stuck(self) -> Stuck<S> {
        Stuck {
            op: self.op as usize,
            prefix: self.prefix,
            states: self.states.into_iter().collect(),
        }
    }
}

/// The search over one key's operations.
pub(crate) struct Search<'p, 'h, M: Model> {
    problem: &'p mut KeyProblem<'h, M>,
    key_label: String,
    limits: Limits,
    max_entries: Option<(usize, LimitKind)>,
    /// Entry `e` (from 1) is `op << 1 | is_return`; entry 0 is the head.
    entries: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
    call_entry: Vec<u32>,
    /// `NIL` for optional operations.
    return_entry: Vec<u32>,
    /// The optional operation with the same action invoked just before, or
    /// `NIL` (see "twin optional operations").
    twin_before: Vec<u32>,
    /// [`Model::is_read_only`] of each operation.
    read_only: Vec<bool>,
    /// [`Model::access`] of each operation.
    access: Vec<Access>,
    /// True when some operations transform and some overwrite the state,
    /// the only case where forgetting unobservable states can pay off.
    may_forget: bool,
    /// True when some operations transform the state and some read-only
    /// ones observe it: the only case where the lookahead can prune.
    may_prune: bool,
    /// Scratch space of the lookahead.
    lookahead_sources: Vec<M::State>,
    /// An operation the lookahead does not check unless its return is the
    /// node's first (see [`Search::exempt_from_lookahead`]).
    lookahead_exempt: u32,
    /// Whether the lookahead abandoned a node without recording it.
    lookahead_pruned: bool,
    /// The furthest first return entry the lookahead saw in a node.
    reached_frontier: u32,
    /// The furthest return entry of an operation the lookahead blamed for
    /// abandoning a node without recording it.
    blamed_frontier: u32,
    zobrist: Vec<u64>,
    // The current node.
    state: M::State,
    linearized: Bitset,
    set_hash: u64,
    required_left: usize,
    stack: Vec<Frame<M::State>>,
    memo: Memo<M::State>,
    furthest: Option<Furthest<M::State>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LimitKind {
    States,
    Bytes,
}

impl<'p, 'h, M: Model> Search<'p, 'h, M> {
    /// A search over `problem`'s operations; `key_label` names the key in
    /// messages.
    pub(crate) fn new(
        problem: &'p mut KeyProblem<'h, M>,
        key_label: String,
        limits: Limits,
    ) -> Self {
        let op_count = problem.ops.len();
        let (entries, call_entry, return_entry) = build_entries(problem);
        let entry_count = entries.len();
        let next = (0..entry_count as u32)
            .map(|e| {
                if e + 1 < entry_count as u32 {
                    e + 1
                } else {
                    NIL
                }
            })
            .collect();
        let prev = (0..entry_count as u32).map(|e| e.wrapping_sub(1)).collect();
        let twin_before = twins(&problem.actions, &problem.required);
        let read_only = problem
            .actions
            .iter()
            .map(|action| problem.model.is_read_only(action))
            .collect();
        let access: Vec<Access> = problem
            .actions
            .iter()
            .map(|action| problem.model.access(action))
            .collect();
        let may_forget = access.contains(&Access::Transforms)
            && access
                .iter()
                .zip(&problem.required)
                .any(|(&access, &required)| required && access == Access::Overwrites);
        let may_prune = access.contains(&Access::Transforms)
            && access
                .iter()
                .zip(&read_only)
                .any(|(&access, &read_only)| read_only && access == Access::Observes);
        let required_left = problem.required.iter().filter(|&&r| r).count();
        let state = problem.model.init();
        let memo = Memo::new(Bitset::new(op_count).words().len());
        let max_entries = max_entries(&memo, &limits);
        Search {
            key_label,
            limits,
            max_entries,
            entries,
            next,
            prev,
            call_entry,
            return_entry,
            twin_before,
            read_only,
            access,
            may_forget,
            may_prune,
            lookahead_sources: Vec::with_capacity(LOOKAHEAD_SOURCES),
            lookahead_exempt: NIL,
            lookahead_pruned: false,
            reached_frontier: HEAD,
            blamed_frontier: HEAD,
            zobrist: zobrist_keys(op_count),
            state,
            linearized: Bitset::new(op_count),
            set_hash: 0,
            required_left,
            stack: Vec::with_capacity(op_count),
            memo,
            furthest: None,
            problem,
        }
    }

    /// Stops the lookahead from abandoning nodes because `op` is out of
    /// reach, unless `op`'s return is the node's first: the counterexample's
    /// search needs to get as far as `op` to see the states there.
    pub(crate) fn exempt_from_lookahead(mut self, op: usize) -> Self {
        self.lookahead_exempt = op as u32;
        self
    }

    /// Runs the search to its verdict.
    pub(crate) fn run(mut self) -> Outcome<M::State> {
        let verdict = self.explore();
        let reached_position = self.entry_position(self.reached_frontier);
        let blamed_position = self.entry_position(self.blamed_frontier);
        if let Some(furthest) = &self.furthest {
            self.reached_frontier = self.reached_frontier.max(furthest.frontier);
        }
        let partial = match verdict {
            Verdict::Unknown(_) => self.furthest.take().map(Furthest::into_stuck),
            _ => None,
        };
        Outcome {
            verdict,
            partial,
            memo_entries: self.memo.len() as u64,
            lookahead_pruned: self.lookahead_pruned,
            reached_position,
            blamed_position,
        }
    }

    /// The history position of a return entry (`None` for the head).
    fn entry_position(&self, entry: u32) -> Option<u64> {
        (entry != HEAD).then(|| {
            let op = self.problem.ops[(self.entries[entry as usize] >> 1) as usize];
            op.complete_index.unwrap_or(op.invoke_index)
        })
    }

    fn explore(&mut self) -> Verdict<M::State> {
        let mut steps: u64 = 0;
        let mut cursor = HEAD;
        let mut arrived = true;
        loop {
            if self.required_left == 0 {
                return Verdict::Linearizable {
                    order: self.stack.iter().map(|frame| frame.op as usize).collect(),
                    state: self.state,
                };
            }
            if steps & (STEPS_PER_CLOCK_CHECK - 1) == 0 {
                if let Some(cause) = self.time_is_up() {
                    return Verdict::Unknown(cause);
                }
            }
            steps += 1;
            if arrived {
                arrived = false;
                if let Some(op) = self.read_only_candidate() {
                    match self.enter(op, self.state, true) {
                        Enter::Entered => arrived = true,
                        Enter::Refused => match self.backtrack() {
                            Some(resume) => cursor = resume,
                            None => return self.not_linearizable(),
                        },
                        Enter::OverBudget(cause) => return Verdict::Unknown(cause),
                    }
                    continue;
                }
                cursor = self.next[HEAD as usize];
            }
            debug_assert_ne!(cursor, NIL, "a required return entry ends every scan");
            let entry = self.entries[cursor as usize];
            let op = entry >> 1;
            if entry & 1 == 1 {
                self.record_stuck(cursor, op);
                match self.backtrack() {
                    Some(resume) => cursor = resume,
                    None => return self.not_linearizable(),
                }
                continue;
            }
            if self.may_linearize(op) {
                if let Some(after) = self
                    .problem
                    .model
                    .step(self.state, &self.problem.actions[op as usize])
                {
                    match self.enter(op, after, false) {
                        Enter::Entered => {
                            arrived = true;
                            continue;
                        }
                        Enter::Refused => {}
                        Enter::OverBudget(cause) => return Verdict::Unknown(cause),
                    }
                }
            }
            cursor = self.next[cursor as usize];
        }
    }

    /// A read-only candidate that can be linearized now, if there is one
    /// (see "read-only candidates").
    fn read_only_candidate(&mut self) -> Option<u32> {
        let mut cursor = self.next[HEAD as usize];
        while cursor != NIL {
            let entry = self.entries[cursor as usize];
            if entry & 1 == 1 {
                return None;
            }
            let op = entry >> 1;
            let action = &self.problem.actions[op as usize];
            if self.read_only[op as usize]
                && self.may_linearize(op)
                && self.problem.model.step(self.state, action).is_some()
            {
                return Some(op);
            }
            cursor = self.next[cursor as usize];
        }
        None
    }

    /// The twin rule: an optional operation waits for its earlier twin.
    #[inline]
    fn may_linearize(&self, op: u32) -> bool {
        let twin = self.twin_before[op as usize];
        twin == NIL || self.linearized.contains(twin as usize)
    }

    /// Linearizes `op`, moving to the state `after`, unless that node was
    /// already explored or the budget is spent.
    fn enter(&mut self, op: u32, after: M::State, forced: bool) -> Enter {
        self.linearized.insert(op as usize);
        self.lift(op);
        let after = match self.may_forget && self.state_is_unobservable() {
            true => self.problem.model.forget(after).unwrap_or(after),
            false => after,
        };
        if self.may_prune {
            match self.lookahead(after) {
                Lookahead::Possible => {}
                Lookahead::Dead { frontier, blamed } => {
                    match frontier {
                        Some(frontier) => self.record_stuck_at_child(op, after, frontier),
                        None => {
                            self.lookahead_pruned = true;
                            self.blamed_frontier = self.blamed_frontier.max(blamed);
                        }
                    }
                    self.unlift(op);
                    self.linearized.remove(op as usize);
                    return Enter::Refused;
                }
            }
        }
        let set_hash = self.set_hash ^ self.zobrist[op as usize];
        if !self
            .memo
            .insert(node_hash(set_hash, &after), &self.linearized, after)
        {
            self.unlift(op);
            self.linearized.remove(op as usize);
            return Enter::Refused;
        }
        if let Some((max, kind)) = self.max_entries {
            if self.memo.len() > max {
                return Enter::OverBudget(self.over_budget_cause(kind));
            }
        }
        self.stack.push(Frame {
            op,
            state_before: self.state,
            forced,
        });
        self.state = after;
        self.set_hash = set_hash;
        Enter::Entered
    }

    /// Whether the current node, in state `state`, is certainly dead
    /// because of the next observations (see "dead ends by lookahead").
    ///
    /// Walks the list in history order. Every operation whose call it
    /// passes may be linearized before every return it reaches later. The
    /// states an upcoming observation may see are therefore `state` or the
    /// result of an overwrite passed so far, each followed by
    /// transformations; a required read-only operation whose return is
    /// reached must be reachable from one of them. The walk gives up (says
    /// possible) at the first operation that observes and changes the state
    /// (a cas), whose effect it cannot foresee, and after a few checks.
    fn lookahead(&mut self, state: M::State) -> Lookahead {
        self.lookahead_sources.clear();
        self.lookahead_sources.push(state);
        let mut checked = 0;
        let mut passed_a_return = false;
        let mut cursor = self.next[HEAD as usize];
        while cursor != NIL && checked < LOOKAHEAD_OBSERVATIONS {
            let entry = self.entries[cursor as usize];
            let op = (entry >> 1) as usize;
            let is_return = entry & 1 == 1;
            match self.access[op] {
                Access::Transforms => {}
                Access::Overwrites if is_return => {}
                Access::Overwrites => {
                    let Some(written) = self.problem.model.step(state, &self.problem.actions[op])
                    else {
                        return Lookahead::Possible;
                    };
                    if !self.lookahead_sources.contains(&written) {
                        if self.lookahead_sources.len() == LOOKAHEAD_SOURCES {
                            return Lookahead::Possible;
                        }
                        self.lookahead_sources.push(written);
                    }
                }
                Access::Observes if !self.read_only[op] => return Lookahead::Possible,
                Access::Observes
                    if is_return && passed_a_return && op as u32 == self.lookahead_exempt => {}
                Access::Observes if is_return => {
                    let action = &self.problem.actions[op];
                    let model = &mut self.problem.model;
                    if !self
                        .lookahead_sources
                        .iter()
                        .any(|&source| model.may_lead_to(source, action))
                    {
                        return Lookahead::Dead {
                            frontier: (!passed_a_return).then_some(cursor),
                            blamed: cursor,
                        };
                    }
                    checked += 1;
                }
                Access::Observes => {}
            }
            if is_return && !passed_a_return {
                passed_a_return = true;
                self.reached_frontier = self.reached_frontier.max(cursor);
            }
            cursor = self.next[cursor as usize];
        }
        Lookahead::Possible
    }

    /// True when, in the current node, no operation can observe the state
    /// before a required `Overwrites` operation replaces it: walking the
    /// list in history order, the return of such an operation comes before
    /// the call of any operation that `Observes`. Real time then forces the
    /// overwrite before every observer, and everything the search may
    /// linearize in between only transforms or overwrites the state.
    fn state_is_unobservable(&self) -> bool {
        let mut cursor = self.next[HEAD as usize];
        while cursor != NIL {
            let entry = self.entries[cursor as usize];
            match (entry & 1 == 1, self.access[(entry >> 1) as usize]) {
                (false, Access::Observes) => return false,
                (true, Access::Overwrites) => return true,
                _ => cursor = self.next[cursor as usize],
            }
        }
        false
    }

    /// Undoes linearized operations until one whose siblings are still to be
    /// tried; returns where its parent's scan resumes, or `None` when the
    /// root itself is exhausted.
    fn backtrack(&mut self) -> Option<u32> {
        loop {
            let frame = self.stack.pop()?;
            let op = frame.op;
            self.unlift(op);
            self.linearized.remove(op as usize);
            self.set_hash ^= self.zobrist[op as usize];
            self.state = frame.state_before;
            if !frame.forced {
                return Some(self.next[self.call_entry[op as usize] as usize]);
            }
        }
    }

    /// Takes `op`'s entries out of the list.
    fn lift(&mut self, op: u32) {
        self.unlink(self.call_entry[op as usize]);
        let ret = self.return_entry[op as usize];
        if ret != NIL {
            self.unlink(ret);
            self.required_left -= 1;
        }
    }

    /// Puts `op`'s entries back, in the reverse order of [`Self::lift`].
    fn unlift(&mut self, op: u32) {
        let ret = self.return_entry[op as usize];
        if ret != NIL {
            self.relink(ret);
            self.required_left += 1;
        }
        self.relink(self.call_entry[op as usize]);
    }

    fn unlink(&mut self, entry: u32) {
        let (prev, next) = (self.prev[entry as usize], self.next[entry as usize]);
        self.next[prev as usize] = next;
        if next != NIL {
            self.prev[next as usize] = prev;
        }
    }

    fn relink(&mut self, entry: u32) {
        let (prev, next) = (self.prev[entry as usize], self.next[entry as usize]);
        self.next[prev as usize] = entry;
        if next != NIL {
            self.prev[next as usize] = entry;
        }
    }

    /// Notes that the search is stuck at the return entry `frontier` of `op`
    /// in the current node.
    fn record_stuck(&mut self, frontier: u32, op: u32) {
        let depth = self.stack.len();
        match &mut self.furthest {
            Some(furthest) if furthest.frontier > frontier => {}
            Some(furthest) if furthest.frontier == frontier => {
                furthest.states.insert(self.state);
                if depth > furthest.prefix.len() {
                    furthest.prefix = self.stack.iter().map(|f| f.op as usize).collect();
                }
            }
            _ => {
                self.furthest = Some(Furthest {
                    frontier,
                    op,
                    prefix: self.stack.iter().map(|f| f.op as usize).collect(),
                    states: HashSet::from([self.state]),
                });
            }
        }
    }

    /// Records that the child reached by linearizing `op` into state `after`
    /// is stuck at `frontier` (its first return entry), as if the search had
    /// entered it.
    fn record_stuck_at_child(&mut self, op: u32, after: M::State, frontier: u32) {
        let state = std::mem::replace(&mut self.state, after);
        self.stack.push(Frame {
            op,
            state_before: state,
            forced: false,
        });
        self.record_stuck(frontier, self.entries[frontier as usize] >> 1);
        self.stack.pop();
        self.state = state;
    }

    fn not_linearizable(&mut self) -> Verdict<M::State> {
        let furthest = self
            .furthest
            .take()
            .expect("a failed search got stuck at least once");
        self.reached_frontier = self.reached_frontier.max(furthest.frontier);
        Verdict::NotLinearizable(furthest.into_stuck())
    }

    fn time_is_up(&self) -> Option<String> {
        let (deadline, limit) = self.limits.deadline?;
        (Instant::now() >= deadline)
            .then(|| format!("time limit {limit:?} reached on key {}", self.key_label))
    }

    fn over_budget_cause(&self, kind: LimitKind) -> String {
        match kind {
            LimitKind::States => format!(
                "state limit of {} memo entries reached on key {}",
                self.limits.max_states.unwrap_or_default(),
                self.key_label
            ),
            LimitKind::Bytes => format!(
                "memory limit of {} bytes of memo ({} entries) reached on key {}",
                self.limits.max_memo_bytes.unwrap_or_default(),
                self.memo.len() - 1,
                self.key_label
            ),
        }
    }
}

/// The entry list in history order: a call per operation at its invoke, a
/// return per required operation at its completion (calls first on a tie,
/// the permissive reading). Returns the entries and each operation's call
/// and return entry.
fn build_entries<M: Model>(problem: &KeyProblem<'_, M>) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let mut events: Vec<(u64, u32, u32)> = Vec::with_capacity(problem.ops.len() * 2);
    for (index, op) in problem.ops.iter().enumerate() {
        let index = u32::try_from(index).expect("fewer than 2^31 operations per key");
        events.push((op.invoke_index, 0, index));
        if problem.required[index as usize] {
            let complete = op.complete_index.expect("prepare_key checked it");
            events.push((complete, 1, index));
        }
    }
    events.sort_unstable();
    let mut entries = Vec::with_capacity(events.len() + 1);
    entries.push(NIL);
    let mut call_entry = vec![NIL; problem.ops.len()];
    let mut return_entry = vec![NIL; problem.ops.len()];
    for (_, is_return, op) in events {
        let entry = entries.len() as u32;
        entries.push(op << 1 | is_return);
        if is_return == 1 {
            return_entry[op as usize] = entry;
        } else {
            call_entry[op as usize] = entry;
        }
    }
    (entries, call_entry, return_entry)
}

/// For each optional operation, the optional operation with the same action
/// invoked most recently before it.
fn twins<A: Copy + Eq + std::hash::Hash>(actions: &[A], required: &[bool]) -> Vec<u32> {
    let mut last: std::collections::HashMap<A, u32> = std::collections::HashMap::new();
    let mut twin_before = vec![NIL; actions.len()];
    for (op, action) in actions.iter().enumerate() {
        if !required[op] {
            if let Some(previous) = last.insert(*action, op as u32) {
                twin_before[op] = previous;
            }
        }
    }
    twin_before
}

/// The most memo entries the limits allow, and which limit binds.
fn max_entries<S: Copy + Eq>(memo: &Memo<S>, limits: &Limits) -> Option<(usize, LimitKind)> {
    let by_states = limits.max_states.map(|max| {
        (
            usize::try_from(max).unwrap_or(usize::MAX),
            LimitKind::States,
        )
    });
    let by_bytes = limits.max_memo_bytes.map(|max_bytes| {
        // The largest entry count whose memo fits: bytes_for is monotonic.
        let (mut low, mut high) = (0usize, 1usize);
        while memo.bytes_for(high) <= max_bytes && high < usize::MAX / 4 {
            low = high;
            high *= 2;
        }
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if memo.bytes_for(mid) <= max_bytes {
                low = mid;
            } else {
                high = mid;
            }
        }
        (low, LimitKind::Bytes)
    });
    match (by_states, by_bytes) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}
