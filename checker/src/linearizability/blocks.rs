//! Deciding a key from what its reads saw: an ordering of blocks.
//!
//! With every read spelled out (see `inference.rs`), the linearization is
//! forced almost everywhere. Call an *epoch* the stretch of a
//! linearization from an overwrite (or the start) to the next overwrite.
//! A read that saw epoch `e` after appends `a1 … ak` sits in `e` after
//! exactly those appends; the appends of `e` seen by its longest read come
//! in that order; so the operations some read observed form, per epoch, a
//! *block* whose internal order is fixed up to reads of the same value.
//! Nothing else can come inside a block: an append before its last read
//! would be seen by it, an overwrite would end the epoch. A
//! compare-and-set observes like a read (its expected value) and then
//! overwrites: it ends the epoch it saw, right after that epoch's last
//! state, and opens the one of its new value, so the two epochs' blocks
//! are glued into one. The remaining
//! writes — required ones no read saw — go between blocks, where each is
//! its own *singleton* block; optional ones no read saw are left out (they
//! may never have taken effect). The block of the initial value, if any
//! read saw it, comes first.
//!
//! So a linearization exists iff (1) every read is spelled from writes
//! and the reads of one epoch agree (each chain a prefix of the longest,
//! no append in two epochs; at most one cas ends an epoch, having seen
//! all of it; no cycle of cas); (2) each block's fixed order respects real
//! time; and (3) the blocks can be ordered so that real time holds across
//! them. Every arrangement that passes is legal in the model, so a pass
//! gives a linearization (which `inferred.rs` still replays through the
//! model before believing it), and each failure is a contradiction no
//! linearization escapes.
//!
//! For (3), block `A` must precede block `B` iff some operation of `A`
//! completed before some operation of `B` began: iff `lo(A) < hi(B)`,
//! where `lo` is a block's earliest completion and `hi` its latest
//! invoke. Kahn's algorithm on that graph needs no edge list: a block is
//! ready when its `hi` is at most the `lo` of every other unplaced block,
//! and if any block is ready, the one of least `hi` or the one of least
//! `lo` is. When neither is, the two blocks of least `lo` must each
//! precede the other (Gibbons & Korach's pairwise condition): a cycle of
//! two, which is the explanation.

use super::contradiction::{Contradiction, Span};
use super::inference::{Role, Seen};
use super::memo::FastHash;
use histories::Operation;
use std::collections::{BTreeSet, HashMap};

/// An operation no epoch has claimed.
const FREE: u32 = u32::MAX;

/// A completion bound meaning "none": optional operations.
pub(crate) const UNBOUNDED: u64 = u64::MAX;

/// The key as some cut of it shows it: per operation, `None` when it is
/// not part of the cut, else the position by which it must take effect
/// ([`UNBOUNDED`] for optional operations).
pub(crate) struct View<'a, 'h> {
    pub ops: &'a [&'h Operation],
    pub roles: &'a [Role],
    pub bounds: Vec<Option<u64>>,
}

/// One epoch as its observers show it.
struct Epoch {
    opening: Option<u32>,
    reads: Vec<u32>,
    /// The compare-and-set that ended it, having seen its last state.
    closing: Option<u32>,
    /// The observer that saw the most appends.
    longest: u32,
}

/// Operations that must be linearized together, in a fixed order.
struct Block {
    span: Span,
    /// `(position, op)`, in the order of the epochs glued into the block
    /// (bits 40 and up) and then within each (see [`View::segment`]).
    members: Vec<(u64, u32)>,
    lo: (u64, u32),
    hi: (u64, u32),
}

impl<'a, 'h> View<'a, 'h> {
    /// The cut just after position `cut` (`None`: the whole key), as
    /// `KeyProblem::cut` defines it.
    pub(crate) fn new(
        ops: &'a [&'h Operation],
        required: &[bool],
        roles: &'a [Role],
        cut: Option<u64>,
    ) -> View<'a, 'h> {
        let cut = cut.unwrap_or(u64::MAX);
        let bounds = ops
            .iter()
            .zip(required)
            .map(|(op, &required)| {
                let completion = op.complete_index.filter(|&c| required && c <= cut);
                (op.invoke_index <= cut).then(|| completion.unwrap_or(UNBOUNDED))
            })
            .collect();
        View { ops, roles, bounds }
    }

    /// A linearization (operation indices in order), or the contradiction
    /// that rules every one out.
    pub(crate) fn decide(&self) -> Result<Vec<u32>, Contradiction> {
        let epochs = self.epochs()?;
        let blocks = self.blocks(&epochs)?;
        for block in &blocks {
            self.check_block(block)?;
        }
        let order = order_blocks(&blocks)?;
        Ok(order
            .into_iter()
            .flat_map(|block| blocks[block].members.iter().map(|&(_, op)| op))
            .collect())
    }

    fn bound(&self, op: u32) -> u64 {
        self.bounds[op as usize].unwrap_or(UNBOUNDED)
    }

    fn invoke(&self, op: u32) -> u64 {
        self.ops[op as usize].invoke_index
    }

    /// What an observer (a read, or a cas through its expected value) saw.
    fn seen(&self, op: u32) -> Option<&Seen> {
        match &self.roles[op as usize] {
            Role::Read(seen) | Role::Cas(seen) => Some(seen),
            Role::Overwrite | Role::Append | Role::Rejected => None,
        }
    }

    fn chain(&self, op: u32) -> &[u32] {
        match self.seen(op) {
            Some(Seen::Chain { appends, .. }) => appends,
            _ => &[],
        }
    }

    fn required(&self, op: u32) -> bool {
        !matches!(self.bounds[op as usize], None | Some(UNBOUNDED))
    }

    /// The operations whose observation must hold: the required reads and
    /// compare-and-sets, and the optional compare-and-sets whose new value
    /// one of them saw (which took effect, so observed in turn). Other
    /// optional ones may never have taken effect, and are left out.
    fn observers(&self) -> Vec<u32> {
        let mut work: Vec<u32> = (0..self.ops.len() as u32)
            .filter(|&op| self.seen(op).is_some() && self.required(op))
            .collect();
        let mut included = vec![false; self.ops.len()];
        for &op in &work {
            included[op as usize] = true;
        }
        let mut at = 0;
        while let Some(&op) = work.get(at) {
            at += 1;
            if let Some(Seen::Chain {
                epoch: Some(opening),
                ..
            }) = self.seen(op)
            {
                let cas = matches!(self.roles[*opening as usize], Role::Cas(_));
                let present = self.bounds[*opening as usize].is_some();
                if cas && present && !std::mem::replace(&mut included[*opening as usize], true) {
                    work.push(*opening);
                }
            }
        }
        work
    }

    /// The epoch `observer` saw, checked on its own: something writes it,
    /// once each, and all of it is in the cut.
    fn epoch_of(&self, observer: u32) -> Result<Option<u32>, Contradiction> {
        match self.seen(observer) {
            None | Some(Seen::Unwritten) => Err(Contradiction::Unwritten { read: observer }),
            Some(Seen::Repeated(append)) => Err(Contradiction::Repeated {
                read: observer,
                append: *append,
            }),
            Some(Seen::Chain { epoch, appends }) => {
                let mut writers = epoch.iter().chain(appends);
                match writers.find(|&&w| self.bounds[w as usize].is_none()) {
                    Some(&write) => Err(Contradiction::Inverted {
                        before: write,
                        after: observer,
                    }),
                    None => Ok(*epoch),
                }
            }
        }
    }

    /// The epochs the observers saw, each observer checked on its own and
    /// against the longest of its epoch; an epoch's closing cas saw its
    /// last state.
    fn epochs(&self) -> Result<Vec<Epoch>, Contradiction> {
        let mut epochs: Vec<Epoch> = Vec::new();
        let mut index: HashMap<Option<u32>, usize, FastHash> = HashMap::default();
        for op in self.observers() {
            let epoch = self.epoch_of(op)?;
            let slot = *index.entry(epoch).or_insert_with(|| {
                epochs.push(Epoch {
                    opening: epoch,
                    reads: Vec::new(),
                    closing: None,
                    longest: op,
                });
                epochs.len() - 1
            });
            let entry = &mut epochs[slot];
            match self.roles[op as usize] {
                Role::Cas(_) => {
                    if let Some(other) = entry.closing.replace(op) {
                        return Err(Contradiction::TwoClosings { cas: op, other });
                    }
                }
                _ => entry.reads.push(op),
            }
            if self.chain(op).len() > self.chain(entry.longest).len() {
                entry.longest = op;
            }
        }
        for epoch in &epochs {
            self.check_epoch(epoch)?;
        }
        Ok(epochs)
    }

    /// Every observer of `epoch` saw a prefix of what its longest one saw,
    /// and the closing cas, if any, saw all of it.
    fn check_epoch(&self, epoch: &Epoch) -> Result<(), Contradiction> {
        let longest = self.chain(epoch.longest);
        for &op in epoch.reads.iter().chain(&epoch.closing) {
            let chain = self.chain(op);
            if longest[..chain.len()] != *chain {
                return Err(Contradiction::Diverged {
                    read: op,
                    other: epoch.longest,
                });
            }
        }
        match epoch.closing {
            Some(cas) if self.chain(cas).len() < longest.len() => {
                Err(Contradiction::AfterClosing {
                    read: epoch.longest,
                    cas,
                })
            }
            _ => Ok(()),
        }
    }

    /// The epochs' blocks — an epoch ended by a cas glued to the epoch
    /// that cas opened — then a singleton per required write nobody saw.
    fn blocks(&self, epochs: &[Epoch]) -> Result<Vec<Block>, Contradiction> {
        let index: HashMap<Option<u32>, usize, FastHash> = epochs
            .iter()
            .enumerate()
            .map(|(i, e)| (e.opening, i))
            .collect();
        let mut owner = vec![FREE; self.ops.len()];
        let mut visited = vec![false; epochs.len()];
        let mut blocks = Vec::with_capacity(epochs.len());
        for (start, epoch) in epochs.iter().enumerate() {
            let continued = epoch
                .opening
                .is_some_and(|op| matches!(self.roles[op as usize], Role::Cas(_)));
            if continued {
                continue; // part of the block of the epoch its cas ended
            }
            let mut members: Vec<(u64, u32)> = Vec::new();
            let mut at = Some(start);
            while let Some(current) = at {
                visited[current] = true;
                let segment = members
                    .last()
                    .map_or(0, |&(position, _)| (position >> 40) + 1)
                    << 40;
                self.segment(epochs, current, segment, &mut owner, &mut members)?;
                at = epochs[current]
                    .closing
                    .and_then(|cas| index.get(&Some(cas)).copied());
            }
            let span = epoch.opening.map_or(Span::Initial, Span::Epoch);
            blocks.push(self.block(span, members));
        }
        if let Some(lost) = visited.iter().position(|&seen| !seen) {
            let cas = epochs[lost]
                .opening
                .expect("only cas-opened epochs go unvisited");
            return Err(Contradiction::CasCycle { cas });
        }
        for (op, role) in self.roles.iter().enumerate() {
            let write = matches!(role, Role::Overwrite | Role::Append);
            if write && owner[op] == FREE && self.required(op as u32) {
                blocks.push(self.block(Span::Single(op as u32), vec![(0, op as u32)]));
            }
        }
        Ok(blocks)
    }

    /// Adds epoch `current`'s operations to `members` at positions from
    /// `segment` on: its opening at 0 (unless a cas, already there as the
    /// previous epoch's closing), the `k`th append at `4k`, observers that
    /// saw `k` appends at `4k + 1`, the closing cas after them.
    fn segment(
        &self,
        epochs: &[Epoch],
        current: usize,
        segment: u64,
        owner: &mut [u32],
        members: &mut Vec<(u64, u32)>,
    ) -> Result<(), Contradiction> {
        let epoch = &epochs[current];
        let claim = |op: u32, position: u64, owner: &mut [u32], members: &mut Vec<(u64, u32)>| {
            owner[op as usize] = current as u32;
            members.push((segment | position, op));
        };
        if let Some(op) = epoch
            .opening
            .filter(|&op| !matches!(self.roles[op as usize], Role::Cas(_)))
        {
            claim(op, 0, owner, members);
        }
        for (k, &append) in self.chain(epoch.longest).iter().enumerate() {
            let previous = owner[append as usize];
            if previous != FREE && previous != current as u32 {
                let other = epochs[previous as usize].longest;
                return Err(Contradiction::TwoEpochs {
                    append,
                    read: epoch.longest,
                    other,
                });
            }
            claim(append, 4 * (k as u64 + 1), owner, members);
        }
        for &read in &epoch.reads {
            claim(read, 4 * self.chain(read).len() as u64 + 1, owner, members);
        }
        if let Some(cas) = epoch.closing {
            claim(cas, 4 * self.chain(cas).len() as u64 + 2, owner, members);
        }
        Ok(())
    }

    /// A block of `members`, sorted into their fixed order (reads of one
    /// value by completion, which real time can never contradict).
    fn block(&self, span: Span, mut members: Vec<(u64, u32)>) -> Block {
        members.sort_unstable_by_key(|&(position, op)| (position, self.bound(op), op));
        let lo = members.iter().map(|&(_, op)| (self.bound(op), op)).min();
        let hi = members.iter().map(|&(_, op)| (self.invoke(op), op)).max();
        Block {
            span,
            lo: lo.expect("blocks are not empty"),
            hi: hi.expect("blocks are not empty"),
            members,
        }
    }

    /// Real time within a block: no member completed before an earlier
    /// member began.
    fn check_block(&self, block: &Block) -> Result<(), Contradiction> {
        let mut latest: Option<(u64, u32)> = None;
        for &(_, op) in &block.members {
            if let Some((invoke, before)) = latest {
                if self.bound(op) < invoke {
                    return Err(Contradiction::Inverted { before, after: op });
                }
            }
            let invoke = self.invoke(op);
            if latest.is_none_or(|(latest, _)| invoke > latest) {
                latest = Some((invoke, op));
            }
        }
        Ok(())
    }
}

/// The blocks in an order that respects real time across them, the
/// initial value's block first (see the module docs).
fn order_blocks(blocks: &[Block]) -> Result<Vec<usize>, Contradiction> {
    let mut by_lo: BTreeSet<(u64, usize)> =
        (0..blocks.len()).map(|b| (blocks[b].lo.0, b)).collect();
    let mut by_hi: BTreeSet<(u64, usize)> =
        (0..blocks.len()).map(|b| (blocks[b].hi.0, b)).collect();
    let lowest_other = |by_lo: &BTreeSet<(u64, usize)>, block: usize| {
        by_lo.iter().find(|&&(_, other)| other != block).copied()
    };
    let mut order = Vec::with_capacity(blocks.len());
    if let Some(initial) = blocks.iter().position(|b| b.span == Span::Initial) {
        if let Some((lo, other)) = lowest_other(&by_lo, initial) {
            if blocks[initial].hi.0 > lo {
                let (first, last) = (blocks[other].lo.1, blocks[initial].hi.1);
                return Err(Contradiction::InitialFirst {
                    span: blocks[other].span,
                    first,
                    last,
                });
            }
        }
        by_lo.remove(&(blocks[initial].lo.0, initial));
        by_hi.remove(&(blocks[initial].hi.0, initial));
        order.push(initial);
    }
    while let Some(&(_, least_hi)) = by_hi.first() {
        let &(_, least_lo) = by_lo.first().expect("the sets hold the same blocks");
        let ready = |block: usize| {
            lowest_other(&by_lo, block).is_none_or(|(lo, _)| blocks[block].hi.0 <= lo)
        };
        let next = match (ready(least_hi), ready(least_lo)) {
            (true, _) => least_hi,
            (false, true) => least_lo,
            (false, false) => {
                let (_, second) = lowest_other(&by_lo, least_lo).expect("a lone block is ready");
                return Err(cycle(&blocks[least_lo], &blocks[second]));
            }
        };
        by_lo.remove(&(blocks[next].lo.0, next));
        by_hi.remove(&(blocks[next].hi.0, next));
        order.push(next);
    }
    Ok(order)
}

/// Blocks `a` and `b`, each of which must precede the other.
fn cycle(a: &Block, b: &Block) -> Contradiction {
    Contradiction::Cycle {
        a: a.span,
        b: b.span,
        a_first: (a.lo.1, b.hi.1),
        b_first: (b.lo.1, a.hi.1),
    }
}
