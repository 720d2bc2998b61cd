//! Iteration of an overlay: its own writes merged over the store's entries, one entry at a
//! time (nothing is collected). On equal keys the overlay wins; its deletes hide the store's
//! entry.

use std::cmp::Ordering;
use std::iter::Peekable;

use crate::error::LedgerError;
use crate::store::{Direction, Entry};

/// The store's entries, and the overlay's writes (`None`: deleted) over the same range and in
/// the same direction.
pub(super) struct Merged<'a, S: Iterator<Item = Result<Entry, LedgerError>>, O: Iterator<Item = OwnWrite<'a>>> {
    stored: Peekable<S>,
    own: Peekable<O>,
    direction: Direction,
    failed: bool,
}

/// One of the overlay's writes, borrowed from its map.
pub(super) type OwnWrite<'a> = (&'a Vec<u8>, &'a Option<Vec<u8>>);

impl<'a, S, O> Merged<'a, S, O>
where
    S: Iterator<Item = Result<Entry, LedgerError>>,
    O: Iterator<Item = OwnWrite<'a>>,
{
    pub(super) fn new(stored: S, own: O, direction: Direction) -> Self {
        Merged { stored: stored.peekable(), own: own.peekable(), direction, failed: false }
    }
}

impl<'a, S, O> Iterator for Merged<'a, S, O>
where
    S: Iterator<Item = Result<Entry, LedgerError>>,
    O: Iterator<Item = OwnWrite<'a>>,
{
    type Item = Result<Entry, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            // Which comes first in iteration order: the store's next entry (Less), the
            // overlay's (Greater), or both at the same key (Equal).
            let first = match (self.stored.peek(), self.own.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) => {
                    self.failed = true;
                    return self.stored.next();
                }
                (Some(Ok(_)), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(Ok((stored_key, _))), Some((own_key, _))) => match self.direction {
                    Direction::Forward => stored_key.cmp(*own_key),
                    Direction::Reverse => (*own_key).cmp(stored_key),
                },
            };
            if first == Ordering::Less {
                return self.stored.next();
            }
            if first == Ordering::Equal {
                self.stored.next();
            }
            if let Some((key, Some(value))) = self.own.next() {
                return Some(Ok((key.clone(), value.clone())));
            }
            // An overlay delete: it hid the store's entry (if any); look further.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(stored: &[(u8, u8)], own: &[(Vec<u8>, Option<Vec<u8>>)], direction: Direction) -> Vec<(u8, u8)> {
        let mut stored: Vec<Result<Entry, LedgerError>> =
            stored.iter().map(|&(key, value)| Ok((vec![key], vec![value]))).collect();
        let mut own: Vec<OwnWrite<'_>> = own.iter().map(|(key, value)| (key, value)).collect();
        if direction == Direction::Reverse {
            stored.reverse();
            own.reverse();
        }
        Merged::new(stored.into_iter(), own.into_iter(), direction)
            .map(|entry| {
                let (key, value) = entry.unwrap();
                (key[0], value[0])
            })
            .collect()
    }

    #[test]
    fn overlay_writes_win_and_deletes_hide_in_both_directions() {
        let stored = [(1, 10), (2, 20), (4, 40)];
        let own = [(vec![0], Some(vec![0])), (vec![2], Some(vec![21])), (vec![3], None), (vec![4], None)];
        assert_eq!(merged(&stored, &own, Direction::Forward), vec![(0, 0), (1, 10), (2, 21)]);
        assert_eq!(merged(&stored, &own, Direction::Reverse), vec![(2, 21), (1, 10), (0, 0)]);
    }

    #[test]
    fn a_store_error_ends_the_iteration_after_being_reported() {
        let stored = vec![Ok((vec![1], vec![1])), Err(LedgerError::Backend("disk".into())), Ok((vec![3], vec![3]))];
        let own: Vec<OwnWrite<'_>> = Vec::new();
        let results: Vec<_> = Merged::new(stored.into_iter(), own.into_iter(), Direction::Forward).collect();
        assert_eq!(results.len(), 2);
        assert!(matches!(results[1], Err(LedgerError::Backend(_))));
    }
}
