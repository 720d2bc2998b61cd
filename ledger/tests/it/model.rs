//! Model-based property test: random put / delete / checkpoint / revert / commit sequences,
//! block commits and block reverts, run against a `BTreeMap` model on every backend in
//! lockstep. After every step the overlay reads and iterates as the model says; after every
//! block the committed state equals the model, the backends agree on the root, and a block
//! revert restores the exact bytes of every table.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use proptest::prelude::*;
use tidepool_ledger::{BlockHeader, Checkpoint, Direction, KeyRange, NewBlock, Overlay, Table};

use crate::backend::{Backend, Dump, Fresh, dump, dump_tables};

type Key = (Table, Vec<u8>);
type State = BTreeMap<Key, Vec<u8>>;

#[derive(Clone, Debug)]
enum Op {
    Put(Table, Vec<u8>, Vec<u8>),
    Delete(Table, Vec<u8>),
    Checkpoint,
    RevertCheckpoint,
    CommitCheckpoint,
    CommitBlock,
    RevertBlocks(usize),
    /// Moves RocksDB's memtables to table files (a no-op on memory).
    Flush,
    Get(Table, Vec<u8>),
    Scan(Table, KeyRange, Direction),
}

/// Short keys over a tiny alphabet, with the edge bytes: keys collide, extend each other and
/// sit at the ends of the key space.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0x7f), Just(0xff)], 0..4)
}

fn table() -> impl Strategy<Value = Table> {
    prop_oneof![Just(Table::Accounts), Just(Table::Storage)]
}

fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![Just(Bound::Unbounded), key().prop_map(Bound::Included), key().prop_map(Bound::Excluded)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (table(), key(), prop::collection::vec(any::<u8>(), 0..3)).prop_map(|(t, k, v)| Op::Put(t, k, v)),
        3 => (table(), key()).prop_map(|(t, k)| Op::Delete(t, k)),
        2 => Just(Op::Checkpoint),
        2 => Just(Op::RevertCheckpoint),
        2 => Just(Op::CommitCheckpoint),
        2 => Just(Op::CommitBlock),
        1 => (0usize..4).prop_map(Op::RevertBlocks),
        1 => Just(Op::Flush),
        2 => (table(), key()).prop_map(|(t, k)| Op::Get(t, k)),
        2 => (table(), bound(), bound(), any::<bool>()).prop_map(|(t, start, end, reverse)| {
            Op::Scan(t, KeyRange { start, end }, if reverse { Direction::Reverse } else { Direction::Forward })
        }),
    ]
}

/// What the overlays and ledgers should hold.
#[derive(Default)]
struct Model {
    /// The overlay's view: committed state plus its writes.
    view: State,
    /// Per open checkpoint: the view when it was taken, and the keys written since (at its
    /// level, plus those of inner checkpoints committed into it).
    checkpoints: Vec<(State, BTreeSet<Key>)>,
    /// The committed state after each block.
    blocks: Vec<State>,
}

/// One backend under test.
struct Subject {
    overlay: Overlay,
    checkpoints: Vec<Checkpoint>,
    /// Per block: its header and a dump of every table right after it.
    blocks: Vec<(BlockHeader, Dump)>,
    /// Last, as fields drop in order: the overlay holds the store open, and the directory must
    /// outlive it (removed under an open RocksDB, it came back with the files the close wrote).
    fresh: Fresh,
}

impl Subject {
    fn new(backend: Backend) -> Subject {
        let fresh = backend.fresh();
        let overlay = fresh.ledger.overlay();
        Subject { overlay, checkpoints: Vec::new(), blocks: Vec::new(), fresh }
    }
}

fn run(backends: &[Backend], ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut subjects: Vec<Subject> = backends.iter().map(|&backend| Subject::new(backend)).collect();
    let mut model = Model::default();
    for op in ops {
        match op {
            Op::Put(table, key, value) => {
                subjects.iter_mut().for_each(|subject| subject.overlay.put(table, &key, &value));
                model.written(table, &key);
                model.view.insert((table, key), value);
            }
            Op::Delete(table, key) => {
                subjects.iter_mut().for_each(|subject| subject.overlay.delete(table, &key));
                model.written(table, &key);
                model.view.remove(&(table, key));
            }
            Op::Checkpoint => {
                subjects.iter_mut().for_each(|subject| {
                    let checkpoint = subject.overlay.checkpoint();
                    subject.checkpoints.push(checkpoint);
                });
                model.checkpoints.push((model.view.clone(), BTreeSet::new()));
            }
            Op::RevertCheckpoint => {
                let Some((view, _)) = model.checkpoints.pop() else { continue };
                for subject in &mut subjects {
                    let checkpoint = subject.checkpoints.pop().unwrap();
                    subject.overlay.revert_to(checkpoint);
                }
                model.view = view;
            }
            Op::CommitCheckpoint => {
                let Some((_, written)) = model.checkpoints.pop() else { continue };
                let expected: Vec<_> = written
                    .iter()
                    .map(|(table, key)| (*table, key.clone(), model.view.get(&(*table, key.clone())).cloned()))
                    .collect();
                for subject in &mut subjects {
                    let checkpoint = subject.checkpoints.pop().unwrap();
                    prop_assert_eq!(&subject.overlay.changes_since(checkpoint), &expected);
                    subject.overlay.commit(checkpoint);
                }
                if let Some((_, parent)) = model.checkpoints.last_mut() {
                    parent.extend(written);
                }
            }
            Op::CommitBlock => {
                let height = model.blocks.len() as u64;
                let mut roots = BTreeSet::new();
                for subject in &mut subjects {
                    let changes = std::mem::take(&mut subject.overlay).into_changes();
                    let header =
                        subject.fresh.ledger.commit_block(NewBlock { time: height, changes, txs: vec![] }).unwrap();
                    prop_assert_eq!(header.height, height);
                    roots.insert(header.state_root);
                    subject.overlay = subject.fresh.ledger.overlay();
                    subject.checkpoints.clear();
                    let state = dump_tables(&**subject.fresh.ledger.store(), &[Table::Accounts, Table::Storage]);
                    let expected: Vec<_> = model.view.iter().map(|((t, k), v)| (*t, k.clone(), v.clone())).collect();
                    prop_assert_eq!(state, expected);
                    subject.blocks.push((header, dump(&**subject.fresh.ledger.store())));
                }
                prop_assert_eq!(roots.len(), 1, "the backends agree on the root");
                model.checkpoints.clear();
                model.blocks.push(model.view.clone());
            }
            Op::RevertBlocks(back) => {
                let Some(target) = model.blocks.len().checked_sub(back + 1) else { continue };
                for subject in &mut subjects {
                    subject.fresh.ledger.revert_to(target as u64).unwrap();
                    subject.blocks.truncate(target + 1);
                    let (header, tables) = &subject.blocks[target];
                    prop_assert_eq!(&dump(&**subject.fresh.ledger.store()), tables);
                    let latest = subject.fresh.ledger.latest().unwrap();
                    prop_assert_eq!(latest.as_ref(), Some(header));
                    subject.overlay = subject.fresh.ledger.overlay();
                    subject.checkpoints.clear();
                }
                model.blocks.truncate(target + 1);
                model.view = model.blocks[target].clone();
                model.checkpoints.clear();
            }
            Op::Flush => subjects.iter().for_each(|subject| subject.fresh.flush()),
            Op::Get(table, key) => {
                let expected = model.view.get(&(table, key.clone())).cloned();
                for subject in &subjects {
                    prop_assert_eq!(subject.overlay.get(table, &key).unwrap(), expected.clone());
                }
            }
            Op::Scan(table, range, direction) => {
                let mut expected: Vec<_> = model
                    .view
                    .iter()
                    .filter(|((t, k), _)| *t == table && range.contains(k))
                    .map(|((_, k), v)| (k.clone(), v.clone()))
                    .collect();
                if direction == Direction::Reverse {
                    expected.reverse();
                }
                for subject in &subjects {
                    let found: Vec<_> =
                        subject.overlay.iter(table, &range, direction).unwrap().map(Result::unwrap).collect();
                    prop_assert_eq!(&found, &expected, "{:?} {:?}", range, direction);
                }
            }
        }
    }
    Ok(())
}

impl Model {
    fn written(&mut self, table: Table, key: &[u8]) {
        if let Some((_, written)) = self.checkpoints.last_mut() {
            written.insert((table, key.to_vec()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn memory_backend_follows_the_model(ops in prop::collection::vec(op(), 1..80)) {
        run(&[Backend::Memory], ops)?;
    }
}

#[cfg(feature = "rocksdb")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rocksdb_and_memory_backends_follow_the_model_in_lockstep(ops in prop::collection::vec(op(), 1..80)) {
        run(&[Backend::Rocks, Backend::Memory], ops)?;
    }
}
