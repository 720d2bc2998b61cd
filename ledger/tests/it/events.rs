//! Event queries through the indexes: by contract, by type, by both, by height range, with a
//! limit and the ledger's cap; and what a revert does to them.

use tidepool_ledger::{
    Address, BlockTx, Event, EventFilter, EventPosition, EventRecord, Hash, Ledger, MAX_EVENTS_PER_QUERY, NewBlock,
};

use crate::backend::{Backend, on_both_backends};
use crate::sample::{self, CONTRACTS, EVENT_TYPES};

on_both_backends!(
    queries_match_a_scan_of_every_event,
    limits_are_applied_and_capped,
    pages_after_an_event_read_every_event_once,
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
    let mut selected: Vec<EventRecord> = events
        .iter()
        .filter(|record| filter.contract.is_none_or(|contract| record.event.contract == contract))
        .filter(|record| filter.ty.as_ref().is_none_or(|ty| &record.event.ty == ty))
        .filter(|record| record.height >= filter.from_height.unwrap_or(0))
        .filter(|record| record.height <= filter.to_height.unwrap_or(u64::MAX))
        .cloned()
        .collect();
    if filter.newest_first {
        selected.reverse();
    }
    selected
        .into_iter()
        .filter(|record| {
            filter.after.is_none_or(|after| {
                if filter.newest_first { record.position() < after } else { record.position() > after }
            })
        })
        .take(if filter.limit == 0 { MAX_EVENTS_PER_QUERY } else { filter.limit })
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
                for (limit, newest_first) in [(0, false), (2, false), (0, true), (2, true)] {
                    let ty = ty.map(String::from);
                    let filter = EventFilter { contract, ty, from_height, to_height, newest_first, after: None, limit };
                    let found = fresh.ledger.events(&filter).unwrap();
                    assert_eq!(found, expected(&filter, &events), "{filter:?}");
                    non_empty += usize::from(!found.is_empty());
                }
            }
        }
    }
    // A third of the combinations select nothing by construction (unknown contract or type,
    // `from` after `to`); most of the rest must select something.
    assert!(non_empty >= 80, "the filters select something: {non_empty}");
}

/// The contract of [`crowded_block`]'s events.
const TICKER: Address = Address([9; 20]);

/// Three transactions of 500 `tick` events each from [`TICKER`], numbered 0 to 1,499 in their
/// data: more events in one block than a query answers.
fn crowded_block() -> Vec<BlockTx> {
    let event = |index: u32| Event { contract: TICKER, ty: "tick".into(), data: index.to_be_bytes().to_vec() };
    (0..3u8)
        .map(|tx| BlockTx {
            hash: Hash([tx; 32]),
            tx: vec![],
            receipt: vec![],
            events: (0..500).map(|index| event(u32::from(tx) * 500 + index)).collect(),
        })
        .collect()
}

fn limits_are_applied_and_capped(backend: Backend) {
    let fresh = backend.fresh();
    let contract = TICKER;
    fresh.ledger.commit_block(NewBlock { time: 0, changes: Default::default(), txs: crowded_block() }).unwrap();
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

/// Pages read with `after` (each page's last event) cover every event once, in order, even
/// where one block holds more events than a page; `after` combines with the other filters.
fn pages_after_an_event_read_every_event_once(backend: Backend) {
    let fresh = committed(backend);
    // Block BLOCKS holds 1,500 events, more than a page; the block after it the sample's.
    let contract = TICKER;
    let crowded = crowded_block();
    let after_it = sample::block(BLOCKS + 1);
    let mut all = all_events();
    for (height, txs) in [(BLOCKS, &crowded), (BLOCKS + 1, &after_it.txs)] {
        for (tx_index, tx) in txs.iter().enumerate() {
            for (event_index, event) in tx.events.iter().enumerate() {
                let (tx_index, event_index) = (tx_index as u32, event_index as u32);
                all.push(EventRecord { height, tx_index, event_index, tx_hash: tx.hash, event: event.clone() });
            }
        }
    }
    fresh.ledger.commit_block(NewBlock { time: 0, changes: Default::default(), txs: crowded }).unwrap();
    fresh.ledger.commit_block(after_it).unwrap();

    // Every page, each read after the last event of the one before.
    let paged = |filter: &EventFilter| {
        let mut events = Vec::new();
        let mut filter = filter.clone();
        loop {
            let page = fresh.ledger.events(&filter).unwrap();
            let Some(last) = page.last() else { break };
            assert!(page.len() <= filter.limit);
            filter.after = Some(last.position());
            events.extend(page);
            assert!(events.len() <= all.len(), "paging ends");
        }
        events
    };
    for newest_first in [false, true] {
        for filter in [
            EventFilter { limit: 1000, ..EventFilter::default() },
            EventFilter { limit: 7, from_height: Some(BLOCKS), ..EventFilter::default() },
            EventFilter { contract: Some(contract), limit: 333, ..EventFilter::default() },
            EventFilter { ty: Some("tick".into()), limit: 1000, to_height: Some(BLOCKS), ..EventFilter::default() },
            EventFilter { contract: Some(CONTRACTS[0]), limit: 3, to_height: Some(20), ..EventFilter::default() },
        ] {
            let filter = EventFilter { newest_first, ..filter };
            let reference = expected(&EventFilter { limit: usize::MAX, ..filter.clone() }, &all);
            assert!(reference.len() > filter.limit, "more than a page: {filter:?}");
            assert_eq!(paged(&filter), reference, "{filter:?}");
        }
    }

    // Oldest first, an `after` before `from` leaves `from` in charge, and the last event (or
    // any place past it) leaves nothing; newest first, the same the other way round.
    let from = EventFilter { from_height: Some(BLOCKS), limit: 5, ..EventFilter::default() };
    let early = EventPosition { height: 2, tx_index: 0, event_index: 0 };
    let beyond = EventPosition { height: u64::MAX, tx_index: u32::MAX, event_index: u32::MAX };
    let (first, last) = (all[0].position(), all.last().unwrap().position());
    let events = |filter: EventFilter| fresh.ledger.events(&filter).unwrap();
    assert_eq!(events(EventFilter { after: Some(early), ..from.clone() }), events(from.clone()));
    assert!(events(EventFilter { after: Some(last), ..from.clone() }).is_empty());
    assert!(events(EventFilter { after: Some(beyond), ..EventFilter::default() }).is_empty());
    let newest = EventFilter { newest_first: true, limit: 5, ..EventFilter::default() };
    assert_eq!(events(EventFilter { after: Some(beyond), ..newest.clone() }), events(newest.clone()));
    assert_eq!(events(newest.clone())[0].position(), last);
    assert!(events(EventFilter { after: Some(first), ..newest.clone() }).is_empty());
    assert!(events(EventFilter { after: Some(early), from_height: Some(BLOCKS), ..newest }).is_empty());
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
