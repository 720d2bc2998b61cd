//! RocksDB backend benchmarks: point reads from a warm block cache, range scans (one seek against
//! a seek per entry), and block commits of 1,000 writes (reported as writes per second).
//!
//! Run with: `cargo bench -p tidepool-ledger --features rocksdb --profile dev -- --measurement-time 5`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::ops::Bound;

use tidepool_ledger::{
    Address, Direction, KeyRange, Ledger, NewBlock, Overlay, ReadStore, RocksConfig, RocksStore, Table,
};

/// Entries in the store the reads run against: 100k keys of 28 bytes with 32-byte values,
/// about 6 MB, which fits the default 64 MiB block cache.
const ENTRIES: u64 = 100_000;
const CONTRACTS: u64 = 100;
const WRITES_PER_BLOCK: u64 = 1_000;

fn contract(index: u64) -> Address {
    let mut address = [0u8; 20];
    address[12..].copy_from_slice(&index.to_be_bytes());
    Address(address)
}

/// The storage key of entry `index`: one of [`CONTRACTS`] contracts, an 8-byte key.
fn entry_key(index: u64) -> (Address, [u8; 8]) {
    (contract(index % CONTRACTS), index.to_be_bytes())
}

/// A cheap, deterministic spread over `0..n` (so reads are not sequential).
fn spread(step: u64, n: u64) -> u64 {
    step.wrapping_mul(0x9e37_79b9_7f4a_7c15) % n
}

fn populated(dir: &std::path::Path) -> (Arc<RocksStore>, Ledger) {
    let store = Arc::new(RocksStore::open(dir).unwrap());
    let ledger = Ledger::with_store(store.clone()).unwrap();
    for chunk in 0..ENTRIES / 10_000 {
        let mut overlay = ledger.overlay();
        for index in chunk * 10_000..(chunk + 1) * 10_000 {
            let (contract, key) = entry_key(index);
            overlay.storage_set(&contract, &key, &[index as u8; 32]);
        }
        ledger.commit_block(NewBlock { time: chunk, changes: overlay.into_changes(), txs: vec![] }).unwrap();
    }
    // Reads go to table files through the block cache, not to the memtable; one pass warms
    // the cache.
    store.flush().unwrap();
    let overlay = ledger.overlay();
    for index in 0..ENTRIES {
        let (contract, key) = entry_key(index);
        assert!(overlay.storage_get(&contract, &key).unwrap().is_some());
    }
    (store, ledger)
}

fn point_reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (store, ledger) = populated(dir.path());
    let mut group = c.benchmark_group("point_read_warm");
    group.throughput(Throughput::Elements(1));

    let mut step = 0;
    group.bench_function("store_get_hit", |b| {
        b.iter(|| {
            step += 1;
            let (contract, key) = entry_key(spread(step, ENTRIES));
            let raw = tidepool_ledger::table::storage_key(&contract, &key);
            black_box(store.get(Table::Storage, &raw).unwrap())
        })
    });

    let overlay = ledger.overlay();
    group.bench_function("overlay_storage_get_hit", |b| {
        b.iter(|| {
            step += 1;
            let (contract, key) = entry_key(spread(step, ENTRIES));
            black_box(overlay.storage_get(&contract, &key).unwrap())
        })
    });

    // Keys of the same contracts that were never written: the bloom filters answer.
    group.bench_function("overlay_storage_get_miss", |b| {
        b.iter(|| {
            step += 1;
            let (contract, key) = entry_key(ENTRIES + spread(step, ENTRIES));
            black_box(overlay.storage_get(&contract, &key).unwrap())
        })
    });
    group.finish();
}

/// Entries one range scan reads: a page of a contract's map.
const SCAN: usize = 100;

/// [`SCAN`] consecutive entries of one contract's storage, read through an overlay two ways: one
/// iterator (one seek, then steps), and one iterator per entry, each seeking past the last key
/// read — what a contract's storage iterator did at every step before it read ahead
/// (`vm/src/host/cursor.rs`).
fn range_scans(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (_store, ledger) = populated(dir.path());
    let overlay = ledger.overlay();
    let mut group = c.benchmark_group("range_scan_100");
    group.throughput(Throughput::Elements(SCAN as u64));
    let all = KeyRange { start: Bound::Unbounded, end: Bound::Unbounded };

    let mut step = 0;
    group.bench_function("one_seek", |b| {
        b.iter(|| {
            step += 1;
            let contract = contract(step % CONTRACTS);
            for entry in overlay.storage_iter(&contract, &all, Direction::Forward).unwrap().take(SCAN) {
                black_box(entry.unwrap());
            }
        })
    });
    group.bench_function("seek_per_entry", |b| {
        b.iter(|| {
            step += 1;
            let contract = contract(step % CONTRACTS);
            let mut last: Option<Vec<u8>> = None;
            for _ in 0..SCAN {
                let start = last.take().map_or(Bound::Unbounded, Bound::Excluded);
                let range = KeyRange { start, end: Bound::Unbounded };
                let mut entries = overlay.storage_iter(&contract, &range, Direction::Forward).unwrap();
                last = Some(entries.next().unwrap().unwrap().0);
            }
            black_box(last)
        })
    });
    group.finish();
}

/// A block of [`WRITES_PER_BLOCK`] storage writes at spread keys, half of them new.
fn block(seed: u64) -> NewBlock {
    let mut overlay = Overlay::default();
    for write in 0..WRITES_PER_BLOCK {
        let (contract, key) = entry_key(spread(seed * WRITES_PER_BLOCK + write, 2 * ENTRIES));
        overlay.storage_set(&contract, &key, &(seed ^ write).to_be_bytes().repeat(4));
    }
    NewBlock { time: seed, changes: overlay.into_changes(), txs: vec![] }
}

fn block_commits(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit_block_1000_writes");
    group.throughput(Throughput::Elements(WRITES_PER_BLOCK));
    for (name, sync_writes) in [("synced", true), ("unsynced", false)] {
        let dir = tempfile::tempdir().unwrap();
        let config = RocksConfig { sync_writes, ..RocksConfig::default() };
        let ledger = Ledger::open_with(dir.path(), &config).unwrap();
        let mut seed = 0;
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    seed += 1;
                    block(seed)
                },
                |block| ledger.commit_block(block).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, point_reads, range_scans, block_commits);
criterion_main!(benches);
