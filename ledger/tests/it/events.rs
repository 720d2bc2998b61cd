//! Event queries through the indexes: by contract, by type, by both, by height range, with a
//! limit and the ledger's cap; and what a revert does to them.

use tidepool_ledger::{
    Address, BlockTx, Event, EventFilter, EventRecord, Hash, Ledger, MAX_EVENTS_PER_QUERY, NewBlock,
};

use crate::backend::{Backend, on_both_backends};
use crate::sample::{self, CONTRACTS, EVENT_TYPES};

on_both_backends!(
    queries_match_a_scan_of_every_event,
    limits_are_applied_and_capped,
    reverted_blocks_lose_their_events
);

const BLOCKS: u64 = 30;

/// Every committed event, oldest first, from the blocks' own transactions.
fn all_events() -> Vec<EventRecord> {
    let mut out = Vec::new();
    for height in 0..BLOCKS {
        for (tx_index, tx) in sample::block(height).txs.into_iter().enumerate() {
            for (event_index, event) in tx.events.into_iter().enumerate() {
                out.push(EventRecord {
                    height,
                    tx_index: tx_index as u32,
                    event_index: event_index as u32,
                    tx_hash: tx.hash,
                    event,
                });
            }
        }
    }
    out
}

fn expected(filter: &EventFilter, events: &[EventRecord]) -> Vec<EventRecord> {
    events
        .iter()
        .filter(|record| filter.contract.is_none_or(|contract| record.event.contract == contract))
        .filter(|record| filter.ty.as_ref().is_none_or(|ty| &record.event.ty == ty))
        .filter(|record| record.height >= filter.from_height.unwrap_or(0))
        .filter(|record| record.height <= filter.to_height.unwrap_or(u64::MAX))
        .take(if filter.limit == 0 { MAX_EVENTS_PER_QUERY } else { filter.limit })
        .cloned()
        .collect()
}

fn committed(backend: Backend) -> crate::backend::Fresh {
    let fresh = backend.fresh();
    for height in 0..BLOCKS {
        fresh.ledger.commit_block(sample::block(height)).unwrap();
    }
    fresh
}

fn queries_match_a_scan_of_every_event(backend: Backend) {
    let fresh = committed(backend);
    let events = all_events();
    assert!(events.len() > 20, "the sample blocks emit events");
    let contracts = [None, Some(CONTRACTS[0]), Some(CONTRACTS[4]), Some(Address([0x77; 20]))];
    let types = [None, Some(EVENT_TYPES[0]), Some("unknown")];
    let heights = [
        (None, None),
        (Some(3), Some(3)),
        (Some(10), None),
        (None, Some(12)),
        (Some(20), Some(5)),
        (Some(25), Some(999)),
    ];
    let mut non_empty = 0;
    for contract in contracts {
        for ty in types {
            for (from_height, to_height) in heights {
                for limit in [0, 2] {
                    let filter = EventFilter { contract, ty: ty.map(String::from), from_height, to_height, limit };
                    let found = fresh.ledger.events(&filter).unwrap();
                    assert_eq!(found, expected(&filter, &events), "{filter:?}");
                    non_empty += usize::from(!found.is_empty());
                }
            }
        }
    }
    // A third of the combinations select nothing by construction (unknown contract or type,
    // `from` after `to`); most of the rest must select something.
    assert!(non_empty >= 40, "the filters select something: {non_empty}");
}

fn limits_are_applied_and_capped(backend: Backend) {
    let fresh = backend.fresh();
    let contract = Address([9; 20]);
    let event = |index: u32| Event { contract, ty: "tick".into(), data: index.to_be_bytes().to_vec() };
    let txs = (0..3u8)
        .map(|tx| BlockTx {
            hash: Hash([tx; 32]),
            tx: vec![],
            receipt: vec![],
            events: (0..500).map(|index| event(u32::from(tx) * 500 + index)).collect(),
        })
        .collect();
    fresh.ledger.commit_block(NewBlock { time: 0, changes: Default::default(), txs }).unwrap();
    for filter in [
        EventFilter::default(),
        EventFilter { contract: Some(contract), ..EventFilter::default() },
        EventFilter { ty: Some("tick".into()), limit: 5000, ..EventFilter::default() },
    ] {
        let found = fresh.ledger.events(&filter).unwrap();
        assert_eq!(found.len(), MAX_EVENTS_PER_QUERY, "{filter:?}");
        let order: Vec<Vec<u8>> = found.iter().map(|record| record.event.data.clone()).collect();
        let oldest_first: Vec<Vec<u8>> =
            (0..MAX_EVENTS_PER_QUERY as u32).map(|index| index.to_be_bytes().to_vec()).collect();
        assert_eq!(order, oldest_first);
    }
    let filter = EventFilter { contract: Some(contract), ty: Some("tick".into()), limit: 7, ..EventFilter::default() };
    assert_eq!(fresh.ledger.events(&filter).unwrap().len(), 7);
}

fn reverted_blocks_lose_their_events(backend: Backend) {
    let fresh = committed(backend);
    fresh.ledger.revert_to(9).unwrap();
    let events: Vec<EventRecord> = all_events().into_iter().filter(|record| record.height <= 9).collect();
    let filter = EventFilter { contract: Some(CONTRACTS[1]), ..EventFilter::default() };
    assert_eq!(fresh.ledger.events(&filter).unwrap(), expected(&filter, &events));
    assert_eq!(fresh.ledger.events(&EventFilter::default()).unwrap(), events);
}

#[test]
fn an_empty_ledger_has_no_events() {
    assert!(Ledger::memory().events(&EventFilter::default()).unwrap().is_empty());
}
