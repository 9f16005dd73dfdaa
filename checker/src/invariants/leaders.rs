//! Every leader the trace elected, findable by term.

use histories::NodeId;

/// A node's election as leader of a term, with its log's last entry then
/// (which determines the whole log, by Log Matching).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Leadership {
    pub node: NodeId,
    pub term: u64,
    pub last_index: u64,
    pub last_term: u64,
    /// Trace position of its `RoleChanged { Leader }`.
    pub event: usize,
}

/// The leaderships in trace order, plus an index sorted by term.
///
/// Terms of successive elections nearly always grow, so keeping the index
/// sorted is a push; a stale candidate winning an older term late lands in
/// the middle by binary search.
#[derive(Debug, Default)]
pub(crate) struct LeaderBook {
    leaderships: Vec<Leadership>,
    /// (term, number in `leaderships`), sorted.
    by_term: Vec<(u64, usize)>,
}

impl LeaderBook {
    /// Adds an election and returns its number.
    pub fn add(&mut self, leadership: Leadership) -> usize {
        let number = self.leaderships.len();
        self.leaderships.push(leadership);
        let key = (leadership.term, number);
        match self.by_term.last() {
            Some(&last) if last > key => {
                let at = self.by_term.partition_point(|&k| k < key);
                self.by_term.insert(at, key);
            }
            _ => self.by_term.push(key),
        }
        number
    }

    /// The election of this number.
    pub fn get(&self, number: usize) -> &Leadership {
        &self.leaderships[number]
    }

    /// The first leader elected in `term`, if any.
    pub fn first_of_term(&self, term: u64) -> Option<&Leadership> {
        let at = self.by_term.partition_point(|&(t, _)| t < term);
        match self.by_term.get(at) {
            Some(&(t, number)) if t == term => Some(&self.leaderships[number]),
            _ => None,
        }
    }

    /// The highest term any leader was elected in (0 before any).
    pub fn max_term(&self) -> u64 {
        self.by_term.last().map_or(0, |&(term, _)| term)
    }

    /// Elections of terms strictly between `above` and `below`, by term,
    /// with their numbers.
    pub fn between(&self, above: u64, below: u64) -> impl Iterator<Item = (usize, &Leadership)> {
        let start = self.by_term.partition_point(|&(t, _)| t <= above);
        self.by_term[start..]
            .iter()
            .take_while(move |&&(t, _)| t < below)
            .map(|&(_, number)| (number, &self.leaderships[number]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elected(node: NodeId, term: u64) -> Leadership {
        Leadership {
            node,
            term,
            last_index: 0,
            last_term: 0,
            event: 0,
        }
    }

    #[test]
    fn leaders_are_found_by_term_whatever_the_order_of_elections() {
        let mut book = LeaderBook::default();
        for (node, term) in [(0, 1), (1, 3), (2, 2), (0, 5), (2, 3)] {
            book.add(elected(node, term));
        }
        assert_eq!(book.first_of_term(3).map(|l| l.node), Some(1));
        assert_eq!(book.first_of_term(2).map(|l| l.node), Some(2));
        assert_eq!(book.first_of_term(4), None);
        assert_eq!(book.max_term(), 5);
        let between: Vec<(NodeId, u64)> =
            book.between(1, 5).map(|(_, l)| (l.node, l.term)).collect();
        assert_eq!(between, [(2, 2), (1, 3), (2, 3)]);
        assert_eq!(book.between(5, u64::MAX).count(), 0);
        assert_eq!(book.get(3).term, 5);
    }
}
