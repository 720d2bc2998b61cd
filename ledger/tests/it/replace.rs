//! Replacing the chain in place: the new first block is exactly what an empty ledger would
//! commit at that height (root, header, tables), nothing of the old chain is left, and the chain
//! goes on — and reverts — from there.

use tidepool_ledger::{Address, Hash, Ledger, LedgerError, NewBlock, Table, genesis_root};

use crate::backend::{Backend, dump, dump_tables, on_both_backends};
use crate::sample;

on_both_backends!(
    a_replaced_chain_is_a_fresh_chain_starting_at_that_height,
    the_first_block_is_the_first_revertible_height,
    hooks_are_told_which_blocks_were_replaced
);

const STATE: [Table; 4] = [Table::Accounts, Table::Code, Table::Instances, Table::Storage];

/// A state to load: a few storage entries of one contract.
fn state() -> NewBlock {
    let mut overlay = Ledger::memory().overlay();
    for i in 0..5u8 {
        overlay.storage_set(&Address([9; 20]), &[i], &[i; 3]);
    }
    NewBlock { time: 1_800_000_000, changes: overlay.into_changes(), txs: vec![] }
}

fn a_replaced_chain_is_a_fresh_chain_starting_at_that_height(backend: Backend) {
    let fresh = backend.fresh();
    for height in 0..10 {
        fresh.ledger.commit_block(sample::block(height)).unwrap();
    }
    let header = fresh.ledger.replace_chain(42, state()).unwrap();
    assert_eq!((header.height, header.time, header.parent_hash), (42, 1_800_000_000, Hash::ZERO));
    assert_eq!(fresh.ledger.latest().unwrap(), Some(header.clone()));
    let state_entries = dump_tables(&**fresh.ledger.store(), &STATE);
    assert_eq!(state_entries.len(), 5, "only the loaded state is left");
    assert_eq!(header.state_root, genesis_root(state_entries));
    assert_eq!(fresh.ledger.block(3).unwrap(), None, "no block below the first");

    // Byte for byte what replacing an empty ledger's (nothing) gives.
    let empty = backend.fresh();
    assert_eq!(empty.ledger.replace_chain(42, state()).unwrap(), header);
    assert_eq!(dump(&**empty.ledger.store()), dump(&**fresh.ledger.store()));

    // The chain goes on from there, and reopening the store finds it.
    let next = fresh.ledger.commit_block(sample::block(0)).unwrap();
    assert_eq!((next.height, next.parent_hash), (43, header.hash()));
    let reopened = Ledger::with_store(fresh.ledger.store().clone()).unwrap();
    assert_eq!(reopened.latest().unwrap(), Some(next));
}

fn the_first_block_is_the_first_revertible_height(backend: Backend) {
    let fresh = backend.fresh();
    let first = fresh.ledger.replace_chain(7, state()).unwrap();
    let loaded = dump(&**fresh.ledger.store());
    for height in 0..3 {
        fresh.ledger.commit_block(sample::block(height)).unwrap();
    }
    fresh.ledger.revert_to(7).unwrap();
    assert_eq!(dump(&**fresh.ledger.store()), loaded);
    assert_eq!(fresh.ledger.latest().unwrap(), Some(first));
    assert!(matches!(fresh.ledger.view_at(6), Err(LedgerError::UnknownHeight(6))));
}

/// Publish hooks hear of every new head, and of the blocks each replaced: none for commits, from
/// the first reverted block for a revert (none for a revert to the latest height, which
/// changes nothing), and all of them for a new chain in place.
fn hooks_are_told_which_blocks_were_replaced(backend: Backend) {
    let fresh = backend.fresh();
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = heard.clone();
    fresh.ledger.on_publish(move |published| {
        log.lock().unwrap().push((published.view.height(), published.replaced_from));
        true
    });
    for height in 0..4 {
        fresh.ledger.commit_block(sample::block(height)).unwrap();
    }
    fresh.ledger.revert_to(3).unwrap();
    fresh.ledger.revert_to(1).unwrap();
    fresh.ledger.replace_chain(7, state()).unwrap();
    fresh.ledger.commit_block(sample::block(0)).unwrap();
    let expected = vec![(0, None), (1, None), (2, None), (3, None), (1, Some(2)), (7, Some(0)), (8, None)];
    assert_eq!(*heard.lock().unwrap(), expected);
}
