//! Block commit: heights, parent hashes, transactions and receipts, and what a block's changes
//! may contain.

use tidepool_ledger::{Account, Address, BlockTx, Changes, Hash, LedgerError, NewBlock, Table};

use crate::backend::{Backend, dump, on_both_backends};
use crate::sample;

on_both_backends!(
    heights_count_from_zero_and_headers_chain,
    transactions_and_receipts_are_stored_by_hash,
    history_tables_cannot_be_written_as_changes,
    unchanged_values_do_not_move_the_root,
    committed_state_is_visible_to_new_overlays,
    empty_blocks_in_one_write_are_the_blocks_one_by_one,
    a_preview_is_the_header_the_commit_gives,
    a_seal_is_stored_with_its_block_and_reverted_with_it,
);

fn a_preview_is_the_header_the_commit_gives(backend: Backend) {
    let fresh = backend.fresh();
    let before = dump(&**fresh.ledger.store());
    let genesis = sample::block(0);
    let previewed = fresh.ledger.preview_header(&genesis).unwrap();
    assert_eq!(dump(&**fresh.ledger.store()), before, "a preview writes nothing");
    assert_eq!(fresh.ledger.commit_block(genesis).unwrap(), previewed);
    for height in 1..20 {
        let block = sample::block(height);
        let previewed = fresh.ledger.preview_header(&block).unwrap();
        assert_eq!(fresh.ledger.latest_height().unwrap(), Some(height - 1));
        assert_eq!(fresh.ledger.commit_block(block).unwrap(), previewed, "height {height}");
    }
    let mut history = Changes::default();
    history.writes.push((Table::History, vec![1], Some(vec![2])));
    let refused = fresh.ledger.preview_header(&NewBlock { time: 0, changes: history, txs: vec![] });
    assert!(matches!(refused, Err(LedgerError::NotStateTable { .. })), "{refused:?}");
}

fn a_seal_is_stored_with_its_block_and_reverted_with_it(backend: Backend) {
    let fresh = backend.fresh();
    let ledger = &fresh.ledger;
    ledger.commit_block(sample::block(0)).unwrap();
    let unsealed = dump(&**ledger.store());
    ledger.commit_block_sealed(sample::block(1), Some(b"certificate 1")).unwrap();
    ledger.commit_block(sample::block(2)).unwrap();
    assert_eq!(ledger.seal(1).unwrap(), Some(b"certificate 1".to_vec()));
    assert_eq!(ledger.seal(2).unwrap(), None);
    assert_eq!(ledger.seal(0).unwrap(), None);
    ledger.revert_to(0).unwrap();
    assert_eq!(ledger.seal(1).unwrap(), None);
    assert_eq!(dump(&**ledger.store()), unsealed, "the revert leaves the store as it was before the sealed block");
}

fn empty_blocks_in_one_write_are_the_blocks_one_by_one(backend: Backend) {
    let (one_by_one, together) = (backend.fresh(), backend.fresh());
    for fresh in [&one_by_one, &together] {
        fresh.ledger.commit_block(sample::block(0)).unwrap();
    }
    let times = [10, 10, 11];
    let mut last = None;
    for time in times {
        last = Some(one_by_one.ledger.commit_block(NewBlock { time, ..NewBlock::default() }).unwrap());
    }
    assert_eq!(together.ledger.commit_empty_blocks(&times).unwrap(), last);
    assert_eq!(together.ledger.commit_empty_blocks(&[]).unwrap(), None);
    assert_eq!(dump(&**together.ledger.store()), dump(&**one_by_one.ledger.store()));
    assert_eq!(together.ledger.latest().unwrap(), last);
    // Each has its own undo record: reverting into the middle works as for single blocks.
    for fresh in [&one_by_one, &together] {
        fresh.ledger.revert_to(1).unwrap();
    }
    assert_eq!(dump(&**together.ledger.store()), dump(&**one_by_one.ledger.store()));
    assert_eq!(together.ledger.latest().unwrap().map(|header| header.height), Some(1));
}

fn heights_count_from_zero_and_headers_chain(backend: Backend) {
    let fresh = backend.fresh();
    let ledger = &fresh.ledger;
    assert_eq!(ledger.latest().unwrap(), None);
    assert_eq!(ledger.latest_height().unwrap(), None);
    let genesis = ledger.commit_block(sample::block(0)).unwrap();
    assert_eq!((genesis.height, genesis.parent_hash), (0, Hash::ZERO));
    let next = ledger.commit_block(sample::block(1)).unwrap();
    assert_eq!((next.height, next.parent_hash), (1, genesis.hash()));
    assert_eq!(ledger.latest().unwrap(), Some(next.clone()));
    assert_eq!(ledger.block(0).unwrap(), Some(genesis));
    assert_eq!(ledger.block(2).unwrap(), None);
    assert_eq!(next.time, sample::block(1).time);
}

fn transactions_and_receipts_are_stored_by_hash(backend: Backend) {
    let fresh = backend.fresh();
    let ledger = &fresh.ledger;
    let tx = BlockTx { hash: Hash([1; 32]), tx: b"signed".to_vec(), receipt: b"ok".to_vec(), events: vec![] };
    let header = ledger.commit_block(NewBlock { time: 5, changes: Changes::default(), txs: vec![tx.clone()] }).unwrap();
    assert_eq!(header.tx_hashes, vec![tx.hash]);
    assert_eq!(ledger.tx(&tx.hash).unwrap(), Some(tx.tx));
    assert_eq!(ledger.receipt(&tx.hash).unwrap(), Some(tx.receipt));
    assert_eq!(ledger.tx(&sample::unknown_hash()).unwrap(), None);
    assert_eq!(ledger.receipt(&sample::unknown_hash()).unwrap(), None);
}

fn history_tables_cannot_be_written_as_changes(backend: Backend) {
    let fresh = backend.fresh();
    let ledger = &fresh.ledger;
    for table in [Table::Meta, Table::Blocks, Table::Undo, Table::Events] {
        let changes = Changes { writes: vec![(table, b"x".to_vec(), Some(b"y".to_vec()))], events: vec![] };
        let result = ledger.commit_block(NewBlock { time: 0, changes, txs: vec![] });
        assert!(matches!(result, Err(LedgerError::NotStateTable { .. })), "{table:?}: {result:?}");
    }
    assert_eq!(ledger.latest().unwrap(), None);
}

fn unchanged_values_do_not_move_the_root(backend: Backend) {
    let [first, second] = [backend.fresh(), backend.fresh()];
    let address = Address([3; 20]);
    for fresh in [&first, &second] {
        let mut overlay = fresh.ledger.overlay();
        overlay.set_account(&address, &Account { nonce: 1, balance: 10 });
        fresh.ledger.commit_block(NewBlock { time: 0, changes: overlay.into_changes(), txs: vec![] }).unwrap();
    }
    // The same account written again, and a key deleted that never existed, against nothing.
    let mut overlay = first.ledger.overlay();
    overlay.set_account(&address, &Account { nonce: 1, balance: 10 });
    overlay.storage_remove(&address, b"never");
    let rewritten =
        first.ledger.commit_block(NewBlock { time: 1, changes: overlay.into_changes(), txs: vec![] }).unwrap();
    let empty = second.ledger.commit_block(NewBlock { time: 1, ..NewBlock::default() }).unwrap();
    assert_eq!(rewritten.state_root, empty.state_root);
    // A real change does move it.
    let mut overlay = first.ledger.overlay();
    overlay.set_account(&address, &Account { nonce: 2, balance: 10 });
    let changed =
        first.ledger.commit_block(NewBlock { time: 2, changes: overlay.into_changes(), txs: vec![] }).unwrap();
    let empty = second.ledger.commit_block(NewBlock { time: 2, ..NewBlock::default() }).unwrap();
    assert_ne!(changed.state_root, empty.state_root);
}

fn committed_state_is_visible_to_new_overlays(backend: Backend) {
    let fresh = backend.fresh();
    let ledger = &fresh.ledger;
    let contract = sample::CONTRACTS[2];
    let mut overlay = ledger.overlay();
    overlay.storage_set(&contract, b"a", b"1");
    // Not committed yet: another overlay does not see it.
    assert_eq!(ledger.overlay().storage_get(&contract, b"a").unwrap(), None);
    ledger.commit_block(NewBlock { time: 0, changes: overlay.into_changes(), txs: vec![] }).unwrap();
    assert_eq!(ledger.overlay().storage_get(&contract, b"a").unwrap(), Some(b"1".to_vec()));
}
