//! Same history, same roots: on both backends, whatever order a block's writes come in, and
//! across a restart of the RocksDB ledger.

use tidepool_ledger::{Hash, Ledger, NewBlock};

use crate::backend::{Backend, dump};
use crate::sample;

const BLOCKS: u64 = 40;

fn roots(ledger: &Ledger, blocks: impl IntoIterator<Item = NewBlock>) -> Vec<Hash> {
    blocks.into_iter().map(|block| ledger.commit_block(block).unwrap().state_root).collect()
}

#[test]
fn every_backend_computes_the_same_roots_and_contents() {
    let runs: Vec<_> = Backend::all()
        .into_iter()
        .map(|backend| {
            let fresh = backend.fresh();
            let roots = roots(&fresh.ledger, (0..BLOCKS).map(sample::block));
            (roots, dump(&**fresh.ledger.store()))
        })
        .collect();
    assert!(runs.windows(2).all(|pair| pair[0] == pair[1]));
    let roots = &runs[0].0;
    let mut distinct = roots.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), roots.len(), "every block moves the root");
}

#[test]
fn the_order_of_a_blocks_writes_does_not_matter() {
    let in_order = roots(&Ledger::memory(), (0..BLOCKS).map(sample::block));
    let reversed = roots(
        &Ledger::memory(),
        (0..BLOCKS).map(|height| {
            let mut block = sample::block(height);
            block.changes.writes.reverse();
            block
        }),
    );
    assert_eq!(in_order, reversed);
}

#[test]
fn a_different_history_gives_a_different_root() {
    let roots_a = roots(&Ledger::memory(), (0..3).map(sample::block));
    let roots_b = roots(&Ledger::memory(), [0, 2, 1].map(sample::block));
    assert_eq!(roots_a[0], roots_b[0]);
    assert_ne!(roots_a[2], roots_b[2]);
}

#[cfg(feature = "rocksdb")]
#[test]
fn a_reopened_rocksdb_ledger_continues_the_same_chain() {
    let dir = tempfile::tempdir().unwrap();
    let expected = roots(&Ledger::memory(), (0..BLOCKS).map(sample::block));
    let mut actual = Vec::new();
    for chunk in (0..BLOCKS).collect::<Vec<_>>().chunks(7) {
        let ledger = Ledger::open(dir.path()).unwrap();
        actual.extend(roots(&ledger, chunk.iter().copied().map(sample::block)));
    }
    assert_eq!(actual, expected);
}
