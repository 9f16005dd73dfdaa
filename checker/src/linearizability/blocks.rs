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
//! would be seen by it, an overwrite would end the epoch. The remaining
//! writes — required ones no read saw — go between blocks, where each is
//! its own *singleton* block; optional ones no read saw are left out (they
//! may never have taken effect). The block of the initial value, if any
//! read saw it, comes first.
//!
//! So a linearization exists iff (1) every read is spelled from writes
//! and the reads of one epoch agree (each chain a prefix of the longest,
//! no append in two epochs); (2) each block's fixed order respects real
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

/// One epoch as its reads show it.
struct Epoch {
    opening: Option<u32>,
    reads: Vec<u32>,
    /// The read that saw the most appends.
    longest: u32,
}

/// Operations that must be linearized together, in a fixed order.
struct Block {
    span: Span,
    /// `(position, op)`: the opening at 0, the `k`th append at `2k`, reads
    /// that saw `k` appends at `2k + 1`.
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

    fn chain(&self, read: u32) -> &[u32] {
        match &self.roles[read as usize] {
            Role::Read(Seen::Chain { appends, .. }) => appends,
            _ => &[],
        }
    }

    /// The epochs the required reads saw, each read checked on its own and
    /// against the longest read of its epoch.
    fn epochs(&self) -> Result<Vec<Epoch>, Contradiction> {
        let mut epochs: Vec<Epoch> = Vec::new();
        let mut index: HashMap<Option<u32>, usize, FastHash> = HashMap::default();
        for (read, role) in self.roles.iter().enumerate() {
            let read = read as u32;
            let Role::Read(seen) = role else { continue };
            if matches!(self.bounds[read as usize], None | Some(UNBOUNDED)) {
                continue; // not in the cut, or optional: leaving it out is allowed
            }
            let epoch = match seen {
                Seen::Unwritten => return Err(Contradiction::Unwritten { read }),
                Seen::Repeated(append) => {
                    return Err(Contradiction::Repeated {
                        read,
                        append: *append,
                    })
                }
                Seen::Chain { epoch, appends } => {
                    let writers = epoch.iter().chain(appends);
                    if let Some(&write) = writers
                        .into_iter()
                        .find(|&&w| self.bounds[w as usize].is_none())
                    {
                        return Err(Contradiction::Inverted {
                            before: write,
                            after: read,
                        });
                    }
                    *epoch
                }
            };
            let slot = *index.entry(epoch).or_insert_with(|| {
                epochs.push(Epoch {
                    opening: epoch,
                    reads: Vec::new(),
                    longest: read,
                });
                epochs.len() - 1
            });
            let entry = &mut epochs[slot];
            entry.reads.push(read);
            if self.chain(read).len() > self.chain(entry.longest).len() {
                entry.longest = read;
            }
        }
        for epoch in &epochs {
            let longest = self.chain(epoch.longest);
            for &read in &epoch.reads {
                let chain = self.chain(read);
                if longest[..chain.len()] != *chain {
                    return Err(Contradiction::Diverged {
                        read,
                        other: epoch.longest,
                    });
                }
            }
        }
        Ok(epochs)
    }

    /// The epochs' blocks, then a singleton per required write no read saw.
    fn blocks(&self, epochs: &[Epoch]) -> Result<Vec<Block>, Contradiction> {
        const FREE: u32 = u32::MAX;
        let mut owner = vec![FREE; self.ops.len()];
        let mut blocks = Vec::with_capacity(epochs.len());
        for (index, epoch) in epochs.iter().enumerate() {
            let mut members: Vec<(u64, u32)> =
                epoch.opening.map(|op| (0, op)).into_iter().collect();
            if let Some(op) = epoch.opening {
                owner[op as usize] = index as u32;
            }
            for (k, &append) in self.chain(epoch.longest).iter().enumerate() {
                let previous = owner[append as usize];
                if previous != FREE && previous != index as u32 {
                    let other = epochs[previous as usize].longest;
                    return Err(Contradiction::TwoEpochs {
                        append,
                        read: epoch.longest,
                        other,
                    });
                }
                owner[append as usize] = index as u32;
                members.push((2 * (k as u64 + 1), append));
            }
            for &read in &epoch.reads {
                members.push((2 * self.chain(read).len() as u64 + 1, read));
            }
            let span = epoch.opening.map_or(Span::Initial, Span::Epoch);
            blocks.push(self.block(span, members));
        }
        for (op, role) in self.roles.iter().enumerate() {
            let unseen = owner[op] == FREE && !matches!(role, Role::Read(_));
            if unseen && !matches!(self.bounds[op], None | Some(UNBOUNDED)) {
                blocks.push(self.block(Span::Single(op as u32), vec![(0, op as u32)]));
            }
        }
        Ok(blocks)
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
