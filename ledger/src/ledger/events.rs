//! Events and their indexes.
//!
//! [`Table::Events`] holds every event under `height (8) ‖ tx index (4) ‖ event index (4)`, all
//! big-endian, so it is itself the index by block. [`Table::EventIndex`] holds three more, each
//! key ending in the event's key (values are empty), so that every index sorts by height:
//!
//! ```text
//! 'c' ‖ contract (20)                       ‖ event key     by contract
//! 't' ‖ keccak256(type) (32)                ‖ event key     by type
//! 'b' ‖ contract (20) ‖ keccak256(type) (32) ‖ event key     by contract and type
//! ```
//!
//! The type is hashed so that index keys have a fixed layout whatever the type's bytes.

use std::collections::HashMap;
use std::ops::Bound;

use crate::error::LedgerError;
use crate::record::{Event, EventFilter, EventRecord, decode};
use crate::store::{Direction, KeyRange, ReadStore, prefix_successor};
use crate::table::Table;
use crate::types::{Address, Hash, keccak256};

/// The most events one [`crate::StateView::events`] call returns, whatever the filter's limit: a query is
/// served from memory, and an API client pages through more with [`EventFilter::after`].
pub const MAX_EVENTS_PER_QUERY: usize = 1000;

/// Length of a [`Table::Events`] key.
pub(super) const EVENT_KEY_LEN: usize = 16;

/// The [`Table::Events`] key of an event.
pub(super) fn event_key(height: u64, tx_index: u32, event_index: u32) -> [u8; EVENT_KEY_LEN] {
    let mut key = [0u8; EVENT_KEY_LEN];
    key[..8].copy_from_slice(&height.to_be_bytes());
    key[8..12].copy_from_slice(&tx_index.to_be_bytes());
    key[12..].copy_from_slice(&event_index.to_be_bytes());
    key
}

/// keccak256 of event types, each hashed once: a block's events share a few types (a block of
/// token transfers, one), and hashing the type for each index key was a quarter of a commit's
/// own work.
#[derive(Default)]
pub(super) struct TypeHashes(HashMap<String, Hash>);

impl TypeHashes {
    /// keccak256 of `ty`.
    pub(super) fn of(&mut self, ty: &str) -> Hash {
        if let Some(hash) = self.0.get(ty) {
            return *hash;
        }
        let hash = keccak256(ty.as_bytes());
        self.0.insert(ty.to_owned(), hash);
        hash
    }
}

/// The index prefix for events of `contract` and/or the type hashed to `ty`, followed by room
/// for `tail` more bytes (`None` with neither: use the events table itself).
fn index_prefix(contract: Option<&Address>, ty: Option<&Hash>, tail: usize) -> Option<Vec<u8>> {
    let len = 1 + contract.map_or(0, |_| 20) + ty.map_or(0, |_| 32);
    let mut prefix = Vec::with_capacity(len + tail);
    match (contract, ty) {
        (None, None) => return None,
        (Some(contract), None) => {
            prefix.push(b'c');
            prefix.extend_from_slice(&contract.0);
        }
        (None, Some(ty)) => {
            prefix.push(b't');
            prefix.extend_from_slice(&ty.0);
        }
        (Some(contract), Some(ty)) => {
            prefix.push(b'b');
            prefix.extend_from_slice(&contract.0);
            prefix.extend_from_slice(&ty.0);
        }
    }
    Some(prefix)
}

/// The three [`Table::EventIndex`] keys of `event`, stored under `key`, its type hashed through
/// `types`.
pub(super) fn index_keys(event: &Event, key: &[u8; EVENT_KEY_LEN], types: &mut TypeHashes) -> [Vec<u8>; 3] {
    let ty = types.of(&event.ty);
    [
        index_prefix(Some(&event.contract), None, EVENT_KEY_LEN),
        index_prefix(None, Some(&ty), EVENT_KEY_LEN),
        index_prefix(Some(&event.contract), Some(&ty), EVENT_KEY_LEN),
    ]
    .map(|prefix| {
        let mut index_key = prefix.unwrap_or_default();
        index_key.extend_from_slice(key);
        index_key
    })
}

/// Events matching `filter` in `store`, whose latest height is `latest` (see
/// [`crate::StateView::events`]).
pub(super) fn query(store: &dyn ReadStore, latest: u64, filter: &EventFilter) -> Result<Vec<EventRecord>, LedgerError> {
    let limit = if filter.limit == 0 { MAX_EVENTS_PER_QUERY } else { filter.limit.min(MAX_EVENTS_PER_QUERY) };
    let from = filter.from_height.unwrap_or(0);
    let to = filter.to_height.unwrap_or(latest).min(latest);
    if from > to {
        return Ok(Vec::new());
    }
    let ty = filter.ty.as_deref().map(|ty| keccak256(ty.as_bytes()));
    let prefix = index_prefix(filter.contract.as_ref(), ty.as_ref(), 0);
    let scope = prefix.clone().unwrap_or_default();
    let bound = |height: u64| [scope.as_slice(), &height.to_be_bytes()].concat();
    // `to` is at most the latest height, which is below u64::MAX (heights are checked on
    // commit); the fallback keeps this correct regardless.
    let mut range = KeyRange {
        start: Bound::Included(bound(from)),
        end: to
            .checked_add(1)
            .map(bound)
            .or_else(|| prefix_successor(&scope))
            .map_or(Bound::Unbounded, Bound::Excluded),
    };
    // After a given event in the listing's order: oldest first, keys above its own; newest
    // first, keys below it; each only where that narrows the range (a range whose start passes
    // its end is empty). Keys compare as bytes; a key of block `from` sorts after `scope ‖ from`.
    if let Some(after) = filter.after {
        let after = [scope.as_slice(), &event_key(after.height, after.tx_index, after.event_index)].concat();
        if filter.newest_first {
            if !matches!(&range.end, Bound::Excluded(end) if *end <= after) {
                range.end = Bound::Excluded(after);
            }
        } else if after >= bound(from) {
            range.start = Bound::Excluded(after);
        }
    }
    let direction = if filter.newest_first { Direction::Reverse } else { Direction::Forward };

    let mut records = Vec::new();
    let table = if prefix.is_some() { Table::EventIndex } else { Table::Events };
    for entry in store.iter(table, &range, direction)?.take(limit) {
        let (key, value) = entry?;
        let bytes = match table {
            Table::Events => value,
            _ => {
                let event_key = &key[scope.len()..];
                store.get(Table::Events, event_key)?.ok_or_else(|| LedgerError::Decode {
                    table: Table::EventIndex.name(),
                    reason: format!("index entry {key:02x?} points at no event"),
                })?
            }
        };
        records.push(decode(Table::Events, &bytes)?);
    }
    Ok(records)
}

/// Every event of block `height` in `store`, in order (transaction, then event), however many.
pub(super) fn of_block(store: &dyn ReadStore, height: u64) -> Result<Vec<EventRecord>, LedgerError> {
    let start = height.to_be_bytes().to_vec();
    let end = prefix_successor(&start).map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
    let range = KeyRange { start: std::ops::Bound::Included(start), end };
    store
        .iter(Table::Events, &range, Direction::Forward)?
        .map(|entry| entry.and_then(|(_, bytes)| decode(Table::Events, &bytes)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_sort_by_height_then_tx_then_event() {
        assert!(event_key(1, 9, 9) < event_key(2, 0, 0));
        assert!(event_key(2, 0, 9) < event_key(2, 1, 0));
        assert!(event_key(2, 1, 0) < event_key(2, 1, 1));
    }

    #[test]
    fn index_keys_end_with_the_event_key_and_differ_per_contract_and_type() {
        let event = Event { contract: Address([1; 20]), ty: "transfer".into(), data: vec![] };
        let key = event_key(3, 1, 2);
        let mut types = TypeHashes::default();
        let keys = index_keys(&event, &key, &mut types);
        assert!(keys.iter().all(|index_key| index_key.capacity() == index_key.len()), "built at their length");
        assert!(keys.iter().all(|index_key| index_key.ends_with(&key)));
        assert_eq!(keys[0].len(), 1 + 20 + 16);
        assert_eq!(keys[1].len(), 1 + 32 + 16);
        assert_eq!(keys[2].len(), 1 + 20 + 32 + 16);
        let other = Event { contract: Address([2; 20]), ty: "transfer".into(), data: vec![] };
        let other_keys = index_keys(&other, &key, &mut types);
        assert_ne!(keys[0], other_keys[0]);
        assert_eq!(keys[1], other_keys[1]);
        assert_ne!(keys[2], other_keys[2]);
        // The same through a fresh memo, and another type differs.
        assert_eq!(index_keys(&other, &key, &mut TypeHashes::default()), other_keys);
        let approval = Event { ty: "approval".into(), ..other };
        let approval_keys = index_keys(&approval, &key, &mut types);
        assert_eq!(approval_keys[0], other_keys[0]);
        assert_ne!(approval_keys[1], other_keys[1]);
        assert_ne!(approval_keys[2], other_keys[2]);
        assert_eq!(types.of("transfer"), keccak256(b"transfer"));
    }
}
