//! [`IterCursor`]: where a contract's storage iterator stands, and the entries it has read ahead.
//!
//! A step of the iterator must see storage as it is at that step: an entry written after the
//! last key returned (by this frame or a nested call) is found, one removed is not. The overlay
//! cannot stay borrowed across host calls, so a step seeks afresh past the last key returned —
//! and opening a merged iterator over RocksDB and seeking was nearly all of a step's time (a
//! lending operation's health check walks a user's positions this way). So a seek reads a few
//! entries ahead, and the next steps take them from the cursor for as long as the overlay's
//! [`version`](tidepool_ledger::Overlay::version) says nothing was written or reverted since;
//! any write drops them and the next step seeks again. What a contract sees, and the gas it
//! pays, are the same either way.

use std::collections::VecDeque;
use std::ops::Bound;

use tidepool_ledger::{Address, Direction, KeyRange, LedgerError, Overlay};

/// A key and its value.
type Entry = (Vec<u8>, Vec<u8>);

/// Entries the first seek reads. A seek after the contract took every entry of the last one
/// reads four times as many, up to [`MAX_READ_AHEAD`]; a seek after a write starts again from
/// here. So the entries read and never returned (gas is charged for what is returned) stay a
/// small multiple of those returned, and a contract that takes one entry (a "next key after"
/// lookup) costs the node four more reads (three ahead, one to see whether more follow), which
/// cost little next to the seek.
const FIRST_READ_AHEAD: usize = 4;
/// The most entries one seek reads.
const MAX_READ_AHEAD: usize = 256;
/// A seek stops reading ahead once it holds this many bytes of keys and values (it always
/// reads the first entry), so a range of large values is not copied far ahead of the contract.
const MAX_READ_AHEAD_BYTES: usize = 16 * 1024;

/// An open storage iterator of one frame.
pub(crate) struct IterCursor {
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
    /// The last key handed to the contract: the next step starts strictly after it.
    last: Option<Vec<u8>>,
    /// Entries after `last`, in order, read at overlay version `read_at`.
    ahead: VecDeque<Entry>,
    /// The overlay version `ahead` was read at; `None` before the first seek.
    read_at: Option<u64>,
    /// Whether `ahead` holds every entry left in the range (as of `read_at`).
    to_the_end: bool,
    /// The most entries the next seek reads.
    read_ahead: usize,
}

impl IterCursor {
    /// An iterator over `[start, end)` in `direction` that has returned nothing yet.
    pub(crate) fn new(start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, direction: Direction) -> IterCursor {
        IterCursor {
            start,
            end,
            direction,
            last: None,
            ahead: VecDeque::new(),
            read_at: None,
            to_the_end: false,
            read_ahead: FIRST_READ_AHEAD,
        }
    }

    /// The next entry of `contract`'s storage as `overlay` shows it now (`None`: the range is
    /// exhausted), without moving past it: [`IterCursor::advance`] does that once the contract
    /// has it.
    pub(crate) fn peek(&mut self, overlay: &Overlay, contract: &Address) -> Result<Option<&Entry>, LedgerError> {
        if self.read_at != Some(overlay.version()) {
            if self.read_at.is_some() {
                self.read_ahead = FIRST_READ_AHEAD;
            }
            self.seek(overlay, contract)?;
        } else if self.ahead.is_empty() && !self.to_the_end {
            self.read_ahead = (self.read_ahead * 4).min(MAX_READ_AHEAD);
            self.seek(overlay, contract)?;
        }
        Ok(self.ahead.front())
    }

    /// Moves past the entry [`IterCursor::peek`] returned, and gives it (its key stays the
    /// cursor's last); `None` if nothing was peeked.
    pub(crate) fn advance(&mut self) -> Option<(&[u8], Vec<u8>)> {
        let (key, value) = self.ahead.pop_front()?;
        Some((self.last.insert(key), value))
    }

    /// Reads the entries after `last`, up to the read-ahead, from `overlay`.
    fn seek(&mut self, overlay: &Overlay, contract: &Address) -> Result<(), LedgerError> {
        // Resume strictly after the last key returned, in the iteration's direction.
        let range = match (&self.last, self.direction) {
            (None, _) => KeyRange { start: self.start.clone(), end: self.end.clone() },
            (Some(last), Direction::Forward) => {
                KeyRange { start: Bound::Excluded(last.clone()), end: self.end.clone() }
            }
            (Some(last), Direction::Reverse) => {
                KeyRange { start: self.start.clone(), end: Bound::Excluded(last.clone()) }
            }
        };
        self.ahead.clear();
        self.to_the_end = true;
        let mut bytes = 0;
        for entry in overlay.storage_iter(contract, &range, self.direction)? {
            if self.ahead.len() == self.read_ahead || bytes >= MAX_READ_AHEAD_BYTES {
                self.to_the_end = false;
                break;
            }
            let (key, value) = entry?;
            bytes += key.len() + value.len();
            self.ahead.push_back((key, value));
        }
        self.read_at = Some(overlay.version());
        Ok(())
    }
}
