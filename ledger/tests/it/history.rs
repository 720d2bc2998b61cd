//! Reads at past heights (`Ledger::view_at`): a model-based property test over random blocks of
//! writes, comparing every past height's point reads and scans (both directions, any bounds)
//! with the state recorded when that height was latest; reverts keep it right; pruning keeps the
//! window readable, refuses reads below it, and stops the tables from growing with history.

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;
use tidepool_ledger::{Direction, KeyRange, Ledger, LedgerError, NewBlock, Table};

use crate::backend::{Backend, on_both_backends};

type State = BTreeMap<(Table, Vec<u8>), Vec<u8>>;
/// A write of a block: `(table, key, Some(value) | None for delete)`.
type Write = (Table, Vec<u8>, Option<Vec<u8>>);
/// The bounds of a scan.
type Bounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Short keys over a tiny alphabet with the edge bytes, so that keys extend each other and the
/// escaping of `0x00` in history keys is exercised.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0xff)], 0..4)
}

fn table() -> impl Strategy<Value = Table> {
    prop_oneof![Just(Table::Accounts), Just(Table::Storage)]
}

/// A block: writes (`None`: delete).
fn block() -> impl Strategy<Value = Vec<Write>> {
    prop::collection::vec((table(), key(), prop::option::of(prop::collection::vec(any::<u8>(), 0..3))), 0..6)
}

fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![Just(Bound::Unbounded), key().prop_map(Bound::Included), key().prop_map(Bound::Excluded)]
}

fn commit(ledger: &Ledger, writes: &[Write], state: &mut State) {
    let mut overlay = ledger.overlay();
    for (table, key, value) in writes {
        match value {
            Some(value) => {
                overlay.put(*table, key, value);
                state.insert((*table, key.clone()), value.clone());
            }
            None => {
                overlay.delete(*table, key);
                state.remove(&(*table, key.clone()));
            }
        }
    }
    let time = ledger.latest().unwrap().map_or(0, |h| h.time + 1);
    ledger.commit_block(NewBlock { time, changes: overlay.into_changes(), txs: vec![] }).unwrap();
}

/// Checks every read of `view`'s state against `expected`.
fn reads_equal(ledger: &Ledger, height: u64, expected: &State, ranges: &[Bounds]) {
    let view = ledger.view_at(height).unwrap();
    assert_eq!(view.height(), height);
    let store = view.store();
    for table in [Table::Accounts, Table::Storage] {
        let all: Vec<_> =
            expected.iter().filter(|((t, _), _)| *t == table).map(|((_, k), v)| (k.clone(), v.clone())).collect();
        for (key, value) in &all {
            assert_eq!(store.get(table, key).unwrap().as_ref(), Some(value), "{table:?} {key:?} at {height}");
        }
        for (start, end) in ranges {
            let range = KeyRange { start: start.clone(), end: end.clone() };
            let want: Vec<_> = all.iter().filter(|(k, _)| range.contains(k)).cloned().collect();
            let forward: Vec<_> = store.iter(table, &range, Direction::Forward).unwrap().map(Result::unwrap).collect();
            assert_eq!(forward, want, "{table:?} {range:?} forward at {height}");
            let mut reverse: Vec<_> =
                store.iter(table, &range, Direction::Reverse).unwrap().map(Result::unwrap).collect();
            reverse.reverse();
            assert_eq!(reverse, want, "{table:?} {range:?} reverse at {height}");
        }
    }
    // A key absent at that height reads as absent.
    assert_eq!(store.get(Table::Storage, b"never written").unwrap(), None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_past_height_reads_as_it_was(
        blocks in prop::collection::vec(block(), 1..10),
        ranges in prop::collection::vec((bound(), bound()), 1..5),
        revert_by in 0usize..4,
    ) {
        for backend in Backend::all() {
            let fresh = backend.fresh();
            let ledger = &fresh.ledger;
            let mut state = State::new();
            let mut states = Vec::new();
            for (i, writes) in blocks.iter().enumerate() {
                commit(ledger, writes, &mut state);
                states.push(state.clone());
                if i % 3 == 1 {
                    fresh.flush();
                }
            }
            for (height, expected) in states.iter().enumerate() {
                reads_equal(ledger, height as u64, expected, &ranges);
            }
            // After a revert the reverted blocks' history is gone and the rest reads the same.
            let target = (states.len() - 1).saturating_sub(revert_by);
            ledger.revert_to(target as u64).unwrap();
            for (height, expected) in states.iter().enumerate().take(target + 1) {
                reads_equal(ledger, height as u64, expected, &ranges);
            }
            prop_assert!(matches!(ledger.view_at(target as u64 + 1), Err(LedgerError::UnknownHeight(_))));
            // And the chain goes on with new history on top.
            let mut state = states[target].clone();
            commit(ledger, &[(Table::Storage, vec![1], Some(vec![9]))], &mut state);
            reads_equal(ledger, target as u64 + 1, &state, &ranges);
            reads_equal(ledger, target as u64, &states[target], &ranges);
        }
    }
}

on_both_backends!(
    pruning_keeps_the_window_and_bounds_the_tables,
    pruning_drops_the_bodies_of_old_blocks_and_keeps_their_headers
);

fn pruning_keeps_the_window_and_bounds_the_tables(backend: Backend) {
    const KEEP: u64 = 5;
    let mut fresh = backend.fresh();
    fresh.ledger.set_history_blocks(Some(KEEP));
    let ledger = &fresh.ledger;
    let mut state = State::new();
    let mut states = Vec::new();
    let count = |table: Table| ledger.store().iter(table, &KeyRange::all(), Direction::Forward).unwrap().count();
    let mut sizes = Vec::new();
    for height in 0..60u64 {
        // The same keys over and over, as a long-running chain writes its hot keys.
        let writes = [(Table::Storage, vec![(height % 4) as u8], Some(height.to_be_bytes().to_vec()))];
        commit(ledger, &writes, &mut state);
        states.push(state.clone());
        sizes.push((count(Table::History), count(Table::Undo)));
    }
    let latest = 59;
    let oldest = ledger.oldest_readable().unwrap();
    assert_eq!(oldest, latest - KEEP, "the latest block and the {KEEP} before it");
    for height in oldest..=latest {
        reads_equal(ledger, height, &states[height as usize], &[(Bound::Unbounded, Bound::Unbounded)]);
    }
    match ledger.view_at(oldest - 1) {
        Err(LedgerError::Pruned { height, oldest: reported }) => assert_eq!((height, reported), (oldest - 1, oldest)),
        other => panic!("expected Pruned, got {:?}", other.map(|v| v.height())),
    }
    // History and undo records stopped growing once the window filled.
    assert_eq!(sizes[20], sizes[59], "{sizes:?}");
    assert!(sizes[59].1 as u64 <= KEEP + 1, "{sizes:?}");
    // Reverting inside the window works; below it, the undo records are gone.
    ledger.revert_to(latest - 2).unwrap();
    assert!(matches!(ledger.revert_to(oldest - 2), Err(LedgerError::RevertTooFar { .. })));
}

fn pruning_drops_the_bodies_of_old_blocks_and_keeps_their_headers(backend: Backend) {
    let mut fresh = backend.fresh();
    fresh.ledger.set_history_blocks(Some(3));
    let ledger = &fresh.ledger;
    let count = |table: Table| ledger.store().iter(table, &KeyRange::all(), Direction::Forward).unwrap().count();
    let mut bodies = Vec::new();
    for height in 0..40 {
        let block = crate::sample::block(height);
        let hashes: Vec<_> = block.txs.iter().map(|tx| tx.hash).collect();
        ledger.commit_block(block).unwrap();
        bodies.push(hashes);
    }
    let oldest = ledger.oldest_readable().unwrap();
    assert_eq!(oldest, 36);
    assert!(bodies[..36].iter().any(|hashes| !hashes.is_empty()) && bodies[37..].iter().any(|h| !h.is_empty()));
    for (height, hashes) in bodies.iter().enumerate() {
        let kept = height as u64 > oldest;
        for hash in hashes {
            assert_eq!(ledger.tx(hash).unwrap().is_some(), kept, "tx of block {height}");
            assert_eq!(ledger.receipt(hash).unwrap().is_some(), kept, "receipt of block {height}");
        }
        assert!(ledger.block(height as u64).unwrap().is_some(), "headers stay");
    }
    // Events and their indexes only of the retained blocks.
    let events = ledger.events(&tidepool_ledger::EventFilter { limit: 1000, ..Default::default() }).unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e.height > oldest), "{:?}", events.iter().map(|e| e.height).collect::<Vec<_>>());
    assert_eq!(count(Table::EventIndex), 3 * count(Table::Events), "every index entry points at a kept event");
}
