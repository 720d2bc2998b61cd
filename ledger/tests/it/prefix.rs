//! Contract storage iteration never crosses from one contract's storage into another's: with
//! adjacent addresses, the all-`00` and all-`ff` addresses, empty and `ff`-laden keys, with
//! entries both committed and in the overlay, in both directions and over partial ranges.

use std::collections::BTreeMap;
use std::ops::Bound;

use tidepool_ledger::{Address, Direction, KeyRange, NewBlock};

use crate::backend::{Backend, on_both_backends};
use crate::sample::CONTRACTS;

on_both_backends!(storage_iteration_stays_inside_its_contract);

const KEYS: [&[u8]; 7] = [b"", b"\x00", b"\x01", b"a", b"a\xff", b"\xff", b"\xff\xff\xff"];

fn ranges() -> Vec<KeyRange> {
    let mut ranges = vec![KeyRange::all(), KeyRange::prefix(b"a"), KeyRange::prefix(b"\xff"), KeyRange::prefix(b"")];
    for start in [Bound::Unbounded, Bound::Included(b"\x01".to_vec()), Bound::Excluded(b"a".to_vec())] {
        for end in [Bound::Unbounded, Bound::Excluded(b"\xff".to_vec()), Bound::Included(b"\xff".to_vec())] {
            ranges.push(KeyRange { start: start.clone(), end });
        }
    }
    ranges
}

fn storage_iteration_stays_inside_its_contract(backend: Backend) {
    let fresh = backend.fresh();
    let ledger = &fresh.ledger;
    // Half the keys committed, the other half (and an overwrite and a delete) in the overlay.
    let mut model: BTreeMap<Address, BTreeMap<Vec<u8>, Vec<u8>>> = BTreeMap::new();
    let mut committed = ledger.overlay();
    for (index, contract) in CONTRACTS.iter().enumerate() {
        for key in KEYS.iter().step_by(2) {
            let value = vec![index as u8, key.len() as u8];
            committed.storage_set(contract, key, &value);
            model.entry(*contract).or_default().insert(key.to_vec(), value);
        }
    }
    ledger.commit_block(NewBlock { time: 0, changes: committed.into_changes(), txs: vec![] }).unwrap();
    fresh.flush();
    // A second table file with only some contracts: the prefix bloom filters of the files
    // differ, so a filter consulted for the wrong contract would hide entries.
    let mut more = ledger.overlay();
    for contract in &CONTRACTS[..2] {
        more.storage_set(contract, b"\x01", b"second file");
        model.entry(*contract).or_default().insert(b"\x01".to_vec(), b"second file".to_vec());
    }
    ledger.commit_block(NewBlock { time: 1, changes: more.into_changes(), txs: vec![] }).unwrap();
    fresh.flush();
    let committed_model = model.clone();
    let mut overlay = ledger.overlay();
    for (index, contract) in CONTRACTS.iter().enumerate() {
        for key in KEYS.iter().skip(1).step_by(2) {
            let value = vec![index as u8, 0xaa];
            overlay.storage_set(contract, key, &value);
            model.entry(*contract).or_default().insert(key.to_vec(), value);
        }
        overlay.storage_set(contract, b"", b"over");
        model.entry(*contract).or_default().insert(b"".to_vec(), b"over".to_vec());
        overlay.storage_remove(contract, b"a");
        model.entry(*contract).or_default().remove(b"a".as_slice());
    }

    let in_range = |model: &BTreeMap<Address, BTreeMap<Vec<u8>, Vec<u8>>>, contract: &Address, range: &KeyRange| {
        model[contract]
            .iter()
            .filter(|(key, _)| range.contains(key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect::<Vec<_>>()
    };
    for contract in CONTRACTS {
        for range in ranges() {
            let expected = in_range(&model, &contract, &range);
            let forward: Vec<_> =
                overlay.storage_iter(&contract, &range, Direction::Forward).unwrap().map(Result::unwrap).collect();
            assert_eq!(forward, expected, "{contract} {range:?}");
            let mut reverse: Vec<_> =
                overlay.storage_iter(&contract, &range, Direction::Reverse).unwrap().map(Result::unwrap).collect();
            reverse.reverse();
            assert_eq!(reverse, expected, "{contract} {range:?} reverse");
            // The same through the committed state alone (no overlay writes to merge).
            let fresh_overlay = ledger.overlay();
            for direction in [Direction::Forward, Direction::Reverse] {
                let mut committed: Vec<_> =
                    fresh_overlay.storage_iter(&contract, &range, direction).unwrap().map(Result::unwrap).collect();
                if direction == Direction::Reverse {
                    committed.reverse();
                }
                assert_eq!(
                    committed,
                    in_range(&committed_model, &contract, &range),
                    "{contract} {range:?} {direction:?}"
                );
            }
        }
    }
}
