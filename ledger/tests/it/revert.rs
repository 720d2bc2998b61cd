//! Reverting to a height restores every table byte for byte (state, history, indexes, undo
//! records, metadata) and the state root; the chain then continues as if never extended.

use tidepool_ledger::{Ledger, LedgerError, Table};

use crate::backend::{Backend, dump, on_both_backends};
use crate::sample;

on_both_backends!(
    reverting_restores_every_table_byte_for_byte,
    reverting_to_the_latest_height_changes_nothing,
    heights_above_the_latest_are_unknown
);

const BLOCKS: u64 = 24;

fn reverting_restores_every_table_byte_for_byte(backend: Backend) {
    let fresh = backend.fresh();
    let ledger = &fresh.ledger;
    let mut snapshots = Vec::new();
    let mut headers = Vec::new();
    for height in 0..BLOCKS {
        headers.push(ledger.commit_block(sample::block(height)).unwrap());
        snapshots.push(dump(&**ledger.store()));
    }
    // Down in uneven steps, re-committing part of the way up in between.
    for target in [20, 19, 11, 3] {
        ledger.revert_to(target).unwrap();
        assert_eq!(dump(&**ledger.store()), snapshots[target as usize], "after revert to {target}");
        assert_eq!(ledger.latest().unwrap().as_ref(), Some(&headers[target as usize]));
        for height in target + 1..(target + 3).min(BLOCKS) {
            assert_eq!(ledger.commit_block(sample::block(height)).unwrap(), headers[height as usize]);
            assert_eq!(dump(&**ledger.store()), snapshots[height as usize]);
        }
        ledger.revert_to(target).unwrap();
    }
    ledger.revert_to(0).unwrap();
    assert_eq!(dump(&**ledger.store()), snapshots[0]);
    // And back up the whole way: the same chain again.
    for height in 1..BLOCKS {
        assert_eq!(ledger.commit_block(sample::block(height)).unwrap(), headers[height as usize]);
    }
    assert_eq!(dump(&**ledger.store()), snapshots[BLOCKS as usize - 1]);
}

fn reverting_to_the_latest_height_changes_nothing(backend: Backend) {
    let fresh = backend.fresh();
    for height in 0..3 {
        fresh.ledger.commit_block(sample::block(height)).unwrap();
    }
    let before = dump(&**fresh.ledger.store());
    fresh.ledger.revert_to(2).unwrap();
    assert_eq!(dump(&**fresh.ledger.store()), before);
}

fn heights_above_the_latest_are_unknown(backend: Backend) {
    let fresh = backend.fresh();
    assert!(matches!(fresh.ledger.revert_to(0), Err(LedgerError::UnknownHeight(0))));
    fresh.ledger.commit_block(sample::block(0)).unwrap();
    assert!(matches!(fresh.ledger.revert_to(1), Err(LedgerError::UnknownHeight(1))));
    assert!(fresh.ledger.revert_to(0).is_ok());
}

#[test]
fn a_missing_undo_record_stops_the_revert_before_it_changes_anything() {
    let ledger = Ledger::memory();
    for height in 0..5 {
        ledger.commit_block(sample::block(height)).unwrap();
    }
    ledger.store().delete(Table::Undo, &2u64.to_be_bytes()).unwrap();
    let before = dump(&**ledger.store());
    assert!(matches!(ledger.revert_to(0), Err(LedgerError::RevertTooFar { target: 0, oldest: 2 })));
    assert_eq!(dump(&**ledger.store()), before);
    ledger.revert_to(2).unwrap();
    assert_eq!(ledger.latest_height().unwrap(), Some(2));
}
