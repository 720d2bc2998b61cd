//! Reverting to a height restores every table byte for byte (state, history, indexes, undo
//! records, metadata) and the state root; the chain then continues as if never extended.

use tidepool_ledger::{BlockTx, Hash, Ledger, LedgerError, NewBlock, Table};

use crate::backend::{Backend, dump, on_both_backends};
use crate::sample;

on_both_backends!(
    reverting_restores_every_table_byte_for_byte,
    reverting_to_the_latest_height_changes_nothing,
    heights_above_the_latest_are_unknown,
    a_transaction_hash_seen_again_is_restored_by_a_revert
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

/// A dev node that set a nonce back can commit a transaction hash again (even twice in one
/// block): the commit reads each record's value before the block in one batch per table, and
/// a revert must bring back exactly what each block replaced.
fn a_transaction_hash_seen_again_is_restored_by_a_revert(backend: Backend) {
    let fresh = backend.fresh();
    let ledger = &fresh.ledger;
    let (seen, other) = (Hash([0x42; 32]), Hash([0x07; 32]));
    let tx = |hash: Hash, text: &str| BlockTx {
        hash,
        tx: format!("tx {text}").into_bytes(),
        receipt: format!("receipt {text}").into_bytes(),
        events: vec![],
    };
    let block = |time: u64, txs: Vec<BlockTx>| NewBlock { time, changes: Default::default(), txs };
    ledger.commit_block(block(1, vec![])).unwrap();
    let empty = dump(&**ledger.store());
    ledger.commit_block(block(2, vec![tx(other, "b"), tx(seen, "one")])).unwrap();
    let first = dump(&**ledger.store());
    ledger.commit_block(block(3, vec![tx(seen, "two"), tx(other, "c"), tx(seen, "three")])).unwrap();
    let read = |table: Table, hash: Hash| ledger.store().get(table, &hash.0).unwrap();
    assert_eq!(read(Table::Txs, seen), Some(b"tx three".to_vec()), "the later of two writes wins");
    assert_eq!(read(Table::Receipts, other), Some(b"receipt c".to_vec()));

    ledger.revert_to(1).unwrap();
    assert_eq!(dump(&**ledger.store()), first);
    assert_eq!(read(Table::Txs, seen), Some(b"tx one".to_vec()));
    ledger.revert_to(0).unwrap();
    assert_eq!(dump(&**ledger.store()), empty);
    assert_eq!(read(Table::Receipts, seen), None);
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
