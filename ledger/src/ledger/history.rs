//! State history: for every state key a block changed, the value it had before that block, so
//! that the state at any retained height can be read.
//!
//! [`Table::History`] holds one entry per (state key, block that changed it):
//!
//! ```text
//! table id (1) ‖ escaped key ‖ 0x00 0x00 ‖ height (8, BE)   →   0x00                (absent before)
//!                                                                0x01 ‖ value        (present before)
//! ```
//!
//! The key is escaped (`0x00` → `0x00 0xff`) and terminated by `0x00 0x00`, which keeps the
//! order of keys and makes every key's entries one contiguous run sorted by height. The value
//! of key `k` at the end of block `n` is then the "before" value of `k`'s first entry above `n`
//! (no block between `n` and that one changed `k`), or, if `k` has no entry above `n`, its
//! current value. [`HistoricalStore`] reads a snapshot that way; iteration merges the current
//! entries of a range with the history of the keys in it.
//!
//! Pruning (`Ledger::set_history_blocks`) deletes the entries and undo records of heights that
//! leave the retained window; `Table::Meta`'s `pruned_through` says how far it went.

use std::cmp::Ordering;
use std::iter::Peekable;
use std::ops::Bound;
use std::sync::Arc;

use crate::error::LedgerError;
use crate::store::{Direction, Entry, EntryIter, KeyRange, ReadStore, prefix_successor};
use crate::table::Table;

/// The terminator after an escaped key.
const TERMINATOR: [u8; 2] = [0x00, 0x00];

/// The run of [`Table::History`] keys of `(table, key)`: `table id ‖ escaped key ‖ 0x00 0x00`.
pub(super) fn key_prefix(table: Table, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + key.len() + key.len() / 8 + 2 + 8);
    out.push(table.id());
    for &byte in key {
        out.push(byte);
        if byte == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&TERMINATOR);
    out
}

/// The [`Table::History`] key of `(table, key)` changed by block `height`.
pub(super) fn entry_key(table: Table, key: &[u8], height: u64) -> Vec<u8> {
    let mut out = key_prefix(table, key);
    out.extend_from_slice(&height.to_be_bytes());
    out
}

/// The value stored for a key whose value before the block was `previous`.
pub(super) fn encode_before(previous: Option<&[u8]>) -> Vec<u8> {
    match previous {
        None => vec![0],
        Some(value) => {
            let mut out = Vec::with_capacity(1 + value.len());
            out.push(1);
            out.extend_from_slice(value);
            out
        }
    }
}

fn decode_before(bytes: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
    match bytes.split_first() {
        Some((0, [])) => Ok(None),
        Some((1, value)) => Ok(Some(value.to_vec())),
        _ => Err(LedgerError::Decode { table: Table::History.name(), reason: "bad tag of a history value".into() }),
    }
}

/// Splits a [`Table::History`] key into the state key and the height, checking its table.
fn split_entry_key(table: Table, entry: &[u8]) -> Result<(Vec<u8>, u64), LedgerError> {
    let corrupt = || LedgerError::Decode { table: Table::History.name(), reason: format!("bad key {entry:02x?}") };
    let (&id, rest) = entry.split_first().ok_or_else(corrupt)?;
    if id != table.id() || rest.len() < TERMINATOR.len() + 8 {
        return Err(corrupt());
    }
    let (escaped, height) = rest.split_at(rest.len() - 8);
    let escaped = escaped.strip_suffix(&TERMINATOR).ok_or_else(corrupt)?;
    let mut key = Vec::with_capacity(escaped.len());
    let mut bytes = escaped.iter();
    while let Some(&byte) = bytes.next() {
        key.push(byte);
        if byte == 0 && bytes.next() != Some(&0xff) {
            return Err(corrupt());
        }
    }
    Ok((key, u64::from_be_bytes(height.try_into().map_err(|_| corrupt())?)))
}

/// A snapshot of the store read as of the end of block `height` (at or below the snapshot's
/// latest height, and not below the pruned part of history): state tables through the history,
/// every other table as the snapshot has it.
pub(super) struct HistoricalStore {
    pub(super) latest: Arc<dyn ReadStore>,
    pub(super) height: u64,
}

impl HistoricalStore {
    /// The first history entry of `(table, key)` above `self.height`, if any: `Some(before)`.
    fn first_change_above(&self, table: Table, key: &[u8]) -> Result<Option<Option<Vec<u8>>>, LedgerError> {
        let prefix = key_prefix(table, key);
        let start = entry_key(table, key, self.height.saturating_add(1));
        let Some(end) = prefix_successor(&prefix) else { return Ok(None) };
        if self.height == u64::MAX {
            return Ok(None);
        }
        let range = KeyRange::between(start, end);
        match self.latest.iter(Table::History, &range, Direction::Forward)?.next() {
            Some(entry) => Ok(Some(decode_before(&entry?.1)?)),
            None => Ok(None),
        }
    }

    /// The bounds of `range` over `table`'s keys, as [`Table::History`] bounds.
    fn history_range(table: Table, range: &KeyRange) -> KeyRange {
        let whole_key = |key: &[u8]| key_prefix(table, key);
        let after_key = |key: &[u8]| prefix_successor(&key_prefix(table, key)).expect("a key prefix ends in 0x00");
        let start = match &range.start {
            Bound::Included(key) => Bound::Included(whole_key(key)),
            Bound::Excluded(key) => Bound::Included(after_key(key)),
            Bound::Unbounded => Bound::Included(vec![table.id()]),
        };
        let end = match &range.end {
            Bound::Included(key) => Bound::Excluded(after_key(key)),
            Bound::Excluded(key) => Bound::Excluded(whole_key(key)),
            Bound::Unbounded => prefix_successor(&[table.id()]).map_or(Bound::Unbounded, Bound::Excluded),
        };
        KeyRange { start, end }
    }
}

impl ReadStore for HistoricalStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        if !table.is_state() {
            return self.latest.get(table, key);
        }
        match self.first_change_above(table, key)? {
            Some(before) => Ok(before),
            None => self.latest.get(table, key),
        }
    }

    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        if !table.is_state() || range.is_empty() {
            return self.latest.iter(table, range, direction);
        }
        let current = self.latest.iter(table, range, direction)?.peekable();
        let history = self.latest.iter(Table::History, &Self::history_range(table, range), direction)?;
        let changes = Changes { table, height: self.height, direction, entries: history.peekable() };
        Ok(Box::new(AtHeight { current, changes: changes.peekable(), direction }))
    }
}

/// The keys of a [`Table::History`] range that changed above a height, each once, in the
/// range's order, with its value at that height: `(key, before)` for the key's first change
/// above it.
struct Changes<'a> {
    table: Table,
    height: u64,
    direction: Direction,
    entries: Peekable<EntryIter<'a>>,
}

impl Iterator for Changes<'_> {
    type Item = Result<(Vec<u8>, Option<Vec<u8>>), LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (entry_key, value) = match self.entries.next()? {
                Ok(entry) => entry,
                Err(error) => return Some(Err(error)),
            };
            let (key, height) = match split_entry_key(self.table, &entry_key) {
                Ok(split) => split,
                Err(error) => return Some(Err(error)),
            };
            // The key's run: the smallest height above `self.height` holds its value then.
            let mut first_above = (height > self.height).then_some((height, value));
            while let Some(Ok((next_key, _))) = self.entries.peek() {
                match split_entry_key(self.table, next_key) {
                    Ok((next, _)) if next != key => break,
                    Err(error) => return Some(Err(error)),
                    Ok((_, next_height)) => {
                        let (_, next_value) = self.entries.next()?.ok()?;
                        let better = match (&first_above, self.direction) {
                            (_, _) if next_height <= self.height => false,
                            (None, _) => true,
                            // Forward runs ascend: the first above is the one kept. Reverse
                            // runs descend: each later one above is smaller.
                            (Some(_), Direction::Forward) => false,
                            (Some(_), Direction::Reverse) => true,
                        };
                        if better {
                            first_above = Some((next_height, next_value));
                        }
                    }
                }
            }
            if let Some((_, before)) = first_above {
                return Some(decode_before(&before).map(|before| (key, before)));
            }
        }
    }
}

/// The entries of a state range at a past height: the current entries, with every key that
/// changed since replaced by its value then (or dropped, if it was absent then).
struct AtHeight<'a> {
    current: Peekable<EntryIter<'a>>,
    changes: Peekable<Changes<'a>>,
    direction: Direction,
}

impl Iterator for AtHeight<'_> {
    type Item = Result<Entry, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let order = match (self.current.peek(), self.changes.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) => return self.current.next(),
                (_, Some(Err(_))) => match self.changes.next() {
                    Some(Err(error)) => return Some(Err(error)),
                    _ => unreachable!("peeked an error"),
                },
                (Some(Ok(_)), None) => Ordering::Less,
                (None, Some(Ok(_))) => Ordering::Greater,
                (Some(Ok((current, _))), Some(Ok((changed, _)))) => match self.direction {
                    Direction::Forward => current.cmp(changed),
                    Direction::Reverse => changed.cmp(current),
                },
            };
            match order {
                Ordering::Less => return self.current.next(),
                Ordering::Greater | Ordering::Equal => {
                    if order == Ordering::Equal {
                        self.current.next();
                    }
                    let Some(Ok((key, before))) = self.changes.next() else { unreachable!("peeked") };
                    if let Some(value) = before {
                        return Some(Ok((key, value)));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_keys_keep_their_order_and_their_runs_apart() {
        let keys: [&[u8]; 7] = [b"", b"\0", b"\0\0", b"\0\x01", b"a", b"a\0", b"a\xff"];
        for window in keys.windows(2) {
            let (a, b) = (window[0], window[1]);
            assert!(a < b);
            // Every entry of `a` sorts before every entry of `b`, whatever the heights.
            assert!(entry_key(Table::Storage, a, u64::MAX) < entry_key(Table::Storage, b, 0), "{a:?} {b:?}");
        }
        assert!(entry_key(Table::Storage, b"k", 1) < entry_key(Table::Storage, b"k", 2));
    }

    #[test]
    fn entry_keys_split_back_into_key_and_height() {
        for key in [&b""[..], b"\0", b"a\0b\0\0", &[0xff, 0, 0xff]] {
            let entry = entry_key(Table::Accounts, key, 77);
            assert_eq!(split_entry_key(Table::Accounts, &entry).unwrap(), (key.to_vec(), 77));
            assert!(split_entry_key(Table::Storage, &entry).is_err(), "another table's key");
        }
        assert!(split_entry_key(Table::Accounts, &[Table::Accounts.id(), 0, 7, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]).is_err());
    }

    #[test]
    fn before_values_round_trip() {
        assert_eq!(decode_before(&encode_before(None)).unwrap(), None);
        assert_eq!(decode_before(&encode_before(Some(b""))).unwrap(), Some(vec![]));
        assert_eq!(decode_before(&encode_before(Some(b"v"))).unwrap(), Some(b"v".to_vec()));
        assert!(decode_before(&[2]).is_err() && decode_before(&[]).is_err() && decode_before(&[0, 1]).is_err());
    }
}
