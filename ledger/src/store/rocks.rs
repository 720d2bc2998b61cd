//! The RocksDB backend: one column family per [`Table`], the write-ahead log on and synced for
//! every batch, a shared LRU block cache, a row cache for hot rows in table files, and bloom
//! filters where point lookups miss.
//!
//! Start with [`RocksStore::open`]; `column_options` holds the tuning and its reasons; the
//! sibling module `rocks_dir` decides whether a directory is ours before RocksDB touches it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, DBRawIterator,
    DBRecoveryMode, DataBlockIndexType, ErrorKind, LruCacheOptions, Options, ReadOptions, SliceTransform,
    SnapshotWithThreadMode, WriteOptions,
};

use super::reclaim::Reclaimer;
use super::rocks_dir::open_error;
use super::{Direction, Entry, EntryIter, KeyRange, ReadStore, Store, WriteBatch, prefix_successor};
use crate::error::LedgerError;
use crate::table::{STORAGE_PREFIX_LEN, Table};

/// Tuning of a [`RocksStore`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RocksConfig {
    /// Size of the LRU block cache shared by every column family, bytes. It holds data blocks
    /// and (see `column_options` in the source) the index and filter blocks too, so it bounds
    /// the memory RocksDB uses for reads.
    pub block_cache_bytes: usize,
    /// Whether every batch waits for `fsync` of the write-ahead log. On (the default), a
    /// committed block survives power loss; off, it survives a crash of the process but the
    /// last blocks before a power loss may be lost (never half of one: recovery stops at the
    /// last intact batch).
    pub sync_writes: bool,
}

impl Default for RocksConfig {
    fn default() -> RocksConfig {
        // 64 MiB: the hot state of a dev chain (accounts, a few contracts' storage) fits many
        // times over, and it is a small share of a laptop's memory.
        RocksConfig { block_cache_bytes: 64 << 20, sync_writes: true }
    }
}

/// The RocksDB backend.
pub struct RocksStore {
    db: DB,
    path: PathBuf,
    write_options: WriteOptions,
    /// For point reads: made once, because `get_pinned_cf` would create and free a C++
    /// `ReadOptions` on every call.
    read_options: ReadOptions,
    /// Frees each batch once written, off the committing thread.
    reclaimer: Reclaimer<WriteBatch>,
}

/// Bloom filter bits per key: ~1% false positives, the usual sweet spot between memory (10
/// bits per key in the cache) and saved disk reads.
const BLOOM_BITS_PER_KEY: f64 = 10.0;

/// The block cache in 4 shards (RocksDB would pick 64 for 64 MiB: 1 MiB each). An entry
/// larger than its shard is not kept, and a table file's bloom filter is one entry: ~1.2 MiB
/// for a file of a million accounts. With 1 MiB shards it was read from disk again on every
/// point read of that file (workload 5 of BENCHMARKS.md ran 4× slower). Shards of 16 MiB (of
/// the default 64 MiB) keep the filters of files up to ~10 million keys, and with few cores
/// four shards do not contend.
const CACHE_SHARD_BITS: i32 = 2;

/// The row cache: recently read rows of table files, by key, shared by every family (see
/// `open_with`).
const ROW_CACHE_BYTES: usize = 32 << 20;

/// Memtable memory for all column families together (see `open_with`).
const MEMTABLE_BUDGET: usize = 128 << 20;

/// Write-ahead log size that triggers flushing the families that keep old logs alive.
const MAX_WAL_BYTES: u64 = 256 << 20;

/// Open table files kept at once: well inside the common default `ulimit -n` of 1024, which
/// the node also needs for sockets.
const MAX_OPEN_FILES: i32 = 512;

/// Compression by LSM level, newest first (RocksDB's default is seven levels; see
/// `column_options`).
const COMPRESSION_PER_LEVEL: [DBCompressionType; 7] = [
    DBCompressionType::None,
    DBCompressionType::None,
    DBCompressionType::Lz4,
    DBCompressionType::Lz4,
    DBCompressionType::Lz4,
    DBCompressionType::Lz4,
    DBCompressionType::Lz4,
];

impl RocksStore {
    /// Opens (or creates) the store in `path` with the default [`RocksConfig`].
    ///
    /// # Errors
    /// [`LedgerError::Locked`] if another process holds the directory, [`LedgerError::Corrupt`]
    /// if it holds something other than a Tidepool ledger's column families or is damaged.
    pub fn open(path: &Path) -> Result<RocksStore, LedgerError> {
        RocksStore::open_with(path, &RocksConfig::default())
    }

    /// Opens (or creates) the store in `path`.
    ///
    /// # Errors
    /// As [`RocksStore::open`].
    pub fn open_with(path: &Path, config: &RocksConfig) -> Result<RocksStore, LedgerError> {
        let existing = super::rocks_dir::inspect(path)?;
        let mut options = Options::default();
        // A directory that already holds a database must open as it is: never create a fresh,
        // empty database over what was there, nor column families beside foreign data.
        options.create_if_missing(!existing);
        // Replay the write-ahead log up to the last intact batch and stop there: a torn write at
        // the tail (a crash mid-commit) is dropped whole, so the store holds exactly the last
        // committed block. (This is RocksDB's default; it is set so that it stays so.)
        options.set_wal_recovery_mode(DBRecoveryMode::PointInTime);
        options.set_max_open_files(MAX_OPEN_FILES);
        // RocksDB's info log rolls on every open; a dev node restarts often.
        options.set_keep_log_file_num(4);
        // One memtable budget for all eleven families (each would otherwise take 64 MiB, twice):
        // the busy ones (storage, undo, events) get the room, and memory stays bounded.
        options.set_db_write_buffer_size(MEMTABLE_BUDGET);
        // A write-ahead log file can only go once every family it covers has flushed; the quiet
        // families (meta, blocks) would keep old logs alive for long. Past this size RocksDB
        // flushes them, which bounds both the disk the logs take and the replay on reopen.
        options.set_max_total_wal_size(MAX_WAL_BYTES);
        // Point reads of hot rows that live in table files — a contract's instance record and
        // its hottest storage keys, read by every call and query — cost a table lookup each
        // (index block, data block, from the block cache) of ~3 µs once the memtable holding
        // them has flushed. The row cache answers them by key. RocksDB keys it by table file
        // (and by snapshot only when a read's snapshot is older than the file), so no write
        // ever makes it stale: newer versions sit in the memtable or newer files, read first.
        options.set_row_cache(&Cache::new_lru_cache(ROW_CACHE_BYTES));
        let complete = existing && {
            let found = DB::list_cf(&options, path).map_err(|error| open_error(path, error))?;
            super::rocks_dir::check_column_families(path, &found)?
        };
        options.create_missing_column_families(!complete);

        let cache = {
            let mut cache = LruCacheOptions::default();
            cache.set_capacity(config.block_cache_bytes);
            cache.set_num_shard_bits(CACHE_SHARD_BITS);
            Cache::new_lru_cache_opts(&cache)
        };
        let families = Table::ALL.map(|table| ColumnFamilyDescriptor::new(table.name(), column_options(table, &cache)));
        let db = DB::open_cf_descriptors(&options, path, families).map_err(|error| open_error(path, error))?;

        let mut write_options = WriteOptions::default();
        write_options.set_sync(config.sync_writes);
        // The WAL is what makes a batch survive a crash; it is on by default and must stay so.
        write_options.disable_wal(false);
        Ok(RocksStore {
            db,
            path: path.to_path_buf(),
            write_options,
            read_options: ReadOptions::default(),
            reclaimer: Reclaimer::start(),
        })
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes every column family's memtable to table files and waits for it. Not needed for
    /// durability (the write-ahead log gives that); benchmarks and tests use it to read from
    /// table files and the block cache rather than from the memtable.
    ///
    /// # Errors
    /// [`LedgerError::Backend`] if RocksDB fails to write the files.
    pub fn flush(&self) -> Result<(), LedgerError> {
        for table in Table::ALL {
            self.db.flush_cf(self.family(table)?).map_err(|error| self.error(error))?;
        }
        Ok(())
    }

    fn family(&self, table: Table) -> Result<&ColumnFamily, LedgerError> {
        self.db.cf_handle(table.name()).ok_or_else(|| LedgerError::Corrupt {
            path: self.path.clone(),
            reason: format!("column family {} is missing", table.name()),
        })
    }

    fn error(&self, error: rocksdb::Error) -> LedgerError {
        match error.kind() {
            ErrorKind::Corruption => LedgerError::Corrupt { path: self.path.clone(), reason: error.into_string() },
            _ => LedgerError::Backend(error.into_string()),
        }
    }
}

/// The options of `table`'s column family.
///
/// - Every family shares one LRU block cache, so memory is bounded by one number however the
///   load spreads over tables; index and filter blocks live in that cache too (instead of on
///   the heap, unbounded), with level-0's pinned because every read consults them.
/// - Full (not block-based) bloom filters on the tables read by point lookups that often miss:
///   accounts, code and instances (existence checks on deploy and call), contract storage
///   (`storage_has`, reads of unset keys, and the read of every key a block writes, for its undo
///   record), transactions and receipts (queries by hash, most of them for unknown hashes). The
///   history tables keyed by height are read by range or at known keys: a filter would only cost
///   memory there.
/// - The same tables get a hash index inside each data block: a point lookup finds its key in
///   the block directly instead of by binary search over restart points, for a few bytes per
///   key (0.75 is RocksDB's recommended ratio of keys to hash buckets).
/// - Contract storage also gets a prefix bloom over the 20-byte contract address: a scan of one
///   contract's storage skips every table file that holds nothing of that contract. Its filter
///   still covers whole keys too, for point lookups.
/// - No compression in the two newest levels, LZ4 below them (RocksDB's tuning guide's advice
///   for write-heavy work): every byte a block writes is flushed to level 0 and compacted into
///   level 1 soon after, and compressing it there (and decompressing it to compact it again)
///   was ~2 % of the machine in a token-transfer profile, for data that shrinks little
///   (hashes, signatures, addresses). What stays long enough to reach level 2 is compressed.
fn column_options(table: Table, cache: &Cache) -> Options {
    let mut block = BlockBasedOptions::default();
    block.set_block_cache(cache);
    block.set_cache_index_and_filter_blocks(true);
    block.set_pin_l0_filter_and_index_blocks_in_cache(true);
    let point_lookups = matches!(
        table,
        Table::Accounts | Table::Code | Table::Instances | Table::Storage | Table::Txs | Table::Receipts
    );
    if point_lookups {
        block.set_bloom_filter(BLOOM_BITS_PER_KEY, false);
        block.set_data_block_index_type(DataBlockIndexType::BinaryAndHash);
        block.set_data_block_hash_ratio(0.75);
    }
    let mut options = Options::default();
    if point_lookups {
        // The memtable gets a whole-key bloom filter too: a block's commit reads the previous
        // value of every key it writes (for the undo record), and for the keys that are new —
        // every transaction and receipt hash, new accounts and storage — a miss in a large
        // memtable is a deep skiplist search that the filter answers at once. (RocksDB uses the
        // whole-key filter only with a memtable bloom size set: 2 % of the write buffer.)
        options.set_memtable_prefix_bloom_ratio(0.02);
        options.set_memtable_whole_key_filtering(true);
    }
    if table == Table::Storage {
        options.set_prefix_extractor(SliceTransform::create_fixed_prefix(STORAGE_PREFIX_LEN));
    }
    options.set_block_based_table_factory(&block);
    options.set_compression_type(DBCompressionType::Lz4);
    options.set_compression_per_level(&COMPRESSION_PER_LEVEL);
    options
}

/// Whether a storage scan can use the prefix bloom: RocksDB's prefix mode only promises the
/// keys that share the seek key's prefix, so it is used only for a forward scan whose range
/// lies within one contract's storage. Every other scan of that table asks for total order.
fn within_one_contract(direction: Direction, lower: Option<&[u8]>, upper: Option<&[u8]>) -> bool {
    let Some(lower) = lower.filter(|lower| lower.len() >= STORAGE_PREFIX_LEN) else {
        return false;
    };
    direction == Direction::Forward
        && match prefix_successor(&lower[..STORAGE_PREFIX_LEN]) {
            Some(next_contract) => upper.is_some_and(|upper| upper <= next_contract.as_slice()),
            // The all-`ff` address sorts last: every key from `lower` on is its own.
            None => true,
        }
}

impl RocksStore {
    /// A point read, through `options` (which may carry a snapshot).
    fn get_with(&self, table: Table, key: &[u8], options: &ReadOptions) -> Result<Option<Vec<u8>>, LedgerError> {
        let value = self.db.get_pinned_cf_opt(self.family(table)?, key, options).map_err(|error| self.error(error))?;
        Ok(value.map(|value| value.to_vec()))
    }

    /// An iteration of `range`, reading the store as of `snapshot` if one is given.
    fn iter_with<'a>(
        &'a self,
        table: Table,
        range: &KeyRange,
        direction: Direction,
        snapshot: Option<&SnapshotWithThreadMode<'_, DB>>,
    ) -> Result<EntryIter<'a>, LedgerError> {
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let family = self.family(table)?;
        let lower = range.lower_inclusive();
        let upper = range.upper_exclusive();
        let mut options = ReadOptions::default();
        if let Some(snapshot) = snapshot {
            options.set_snapshot(snapshot);
        }
        if table == Table::Storage && !within_one_contract(direction, lower.as_deref(), upper.as_deref()) {
            options.set_total_order_seek(true);
        }
        if let Some(lower) = &lower {
            options.set_iterate_lower_bound(lower.clone());
        }
        if let Some(upper) = upper {
            options.set_iterate_upper_bound(upper);
        }
        let mut raw = self.db.raw_iterator_cf_opt(family, options);
        match (direction, lower) {
            (Direction::Forward, Some(lower)) => raw.seek(lower),
            (Direction::Forward, None) => raw.seek_to_first(),
            // With an upper bound set, this lands on the last key below it.
            (Direction::Reverse, _) => raw.seek_to_last(),
        }
        Ok(Box::new(RocksIter { store: self, raw, direction, done: false }))
    }
}

impl ReadStore for RocksStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        self.get_with(table, key, &self.read_options)
    }

    /// One batched `MultiGet`: RocksDB takes its view of the memtables and files once for all
    /// the keys and probes their filters together, where a `get` per key pays that each time.
    fn get_sorted(&self, table: Table, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, LedgerError> {
        let family = self.family(table)?;
        self.db
            .batched_multi_get_cf_opt(family, keys.iter().copied(), true, &self.read_options)
            .into_iter()
            .map(|value| value.map(|value| value.map(|value| value.to_vec())).map_err(|error| self.error(error)))
            .collect()
    }

    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        self.iter_with(table, range, direction, None)
    }
}

impl Store for RocksStore {
    fn write(&self, batch: WriteBatch) -> Result<(), LedgerError> {
        // Sized once: a block's batch is megabytes, and RocksDB's buffer grown by doubling was
        // copied over and over (in a lending profile, 7 % of the commit's samples).
        let mut rocks_batch = rocksdb::WriteBatch::with_capacity_bytes(encoded_size(&batch));
        // In key order within each table: a memtable is a skiplist, and RocksDB keeps the
        // position of its last insert; a key just after it is placed without searching the
        // list from the top again (in a token block's write, a third fewer skiplist samples).
        // The sort is stable, so the later of two operations on one key still comes later
        // and wins, as the batch's contract says.
        let mut ops: Vec<_> = batch.ops.iter().collect();
        ops.sort_by(|(table_a, key_a, _), (table_b, key_b, _)| (table_a, key_a).cmp(&(table_b, key_b)));
        for (table, key, value) in ops {
            let family = self.family(*table)?;
            match value {
                Some(value) => rocks_batch.put_cf(family, key, value),
                None => rocks_batch.delete_cf(family, key),
            }
        }
        let written = self.db.write_opt(rocks_batch, &self.write_options).map_err(|error| self.error(error));
        self.reclaimer.free(batch);
        written
    }

    fn snapshot(self: Arc<Self>) -> Arc<dyn ReadStore> {
        Arc::new(RocksSnapshot::new(self))
    }
}

/// An upper bound of `batch`'s size in RocksDB's encoding: a 12-byte header, then per entry a
/// tag, the column family and the lengths (varints, at most 5 bytes each) and the bytes.
fn encoded_size(batch: &WriteBatch) -> usize {
    const HEADER: usize = 12;
    const PER_ENTRY: usize = 1 + 5 + 5 + 5;
    HEADER
        + batch
            .ops
            .iter()
            .map(|(_, key, value)| PER_ENTRY + key.len() + value.as_ref().map_or(0, Vec::len))
            .sum::<usize>()
}

/// A [`RocksStore`] at one moment: a RocksDB snapshot (a sequence number the store keeps the
/// versions of) and the store it belongs to.
struct RocksSnapshot {
    /// Point reads through the snapshot (made once, as for the store's own reads).
    read_options: ReadOptions,
    /// Declared before `store`, so it is released first.
    snapshot: SnapshotWithThreadMode<'static, DB>,
    store: Arc<RocksStore>,
}

impl RocksSnapshot {
    fn new(store: Arc<RocksStore>) -> RocksSnapshot {
        let snapshot = store.db.snapshot();
        // SAFETY: the snapshot borrows the `DB` inside `store`. That `DB` lives on the heap in
        // the `Arc`, which never moves it, and this struct holds a strong reference to the
        // `Arc` in a field declared after `snapshot`, so the `DB` outlives the snapshot (fields
        // drop in declaration order). The `'static` lifetime never escapes: the snapshot is
        // private and only lent out for calls on `&self`.
        let snapshot: SnapshotWithThreadMode<'static, DB> = unsafe { std::mem::transmute(snapshot) };
        let mut read_options = ReadOptions::default();
        read_options.set_snapshot(&snapshot);
        RocksSnapshot { read_options, snapshot, store }
    }
}

impl ReadStore for RocksSnapshot {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        self.store.get_with(table, key, &self.read_options)
    }

    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        self.store.iter_with(table, range, direction, Some(&self.snapshot))
    }
}

/// A RocksDB iterator as an [`Iterator`] of owned entries; it reports the iterator's error
/// status once, at the end.
struct RocksIter<'a> {
    store: &'a RocksStore,
    raw: DBRawIterator<'a>,
    direction: Direction,
    done: bool,
}

impl Iterator for RocksIter<'_> {
    type Item = Result<Entry, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some((key, value)) = self.raw.item() {
            let entry = (key.to_vec(), value.to_vec());
            match self.direction {
                Direction::Forward => self.raw.next(),
                Direction::Reverse => self.raw.prev(),
            }
            return Some(Ok(entry));
        }
        self.done = true;
        self.raw.status().err().map(|error| Err(self.store.error(error)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_served_from_the_row_cache_follow_writes_deletes_and_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(RocksStore::open(&dir.path().join("ledger")).unwrap());
        let key = b"instance".to_vec();
        let write = |value: Option<&[u8]>| {
            let mut batch = WriteBatch::default();
            match value {
                Some(value) => batch.put(Table::Instances, key.clone(), value.to_vec()),
                None => batch.delete(Table::Instances, key.clone()),
            }
            store.write(batch).unwrap();
            store.flush().unwrap();
        };
        let read = |store: &dyn ReadStore| store.get(Table::Instances, &key).unwrap();

        // A read after a flush comes from a table file, and fills the row cache for the next.
        write(Some(b"one"));
        assert_eq!(read(&*store).as_deref(), Some(&b"one"[..]));
        assert_eq!(read(&*store).as_deref(), Some(&b"one"[..]));
        let before = store.clone().snapshot();
        assert_eq!(read(&*before).as_deref(), Some(&b"one"[..]));

        // A newer version in a newer file wins over the cached row; a snapshot taken before it
        // still reads the old one, cached or not.
        write(Some(b"two"));
        for _ in 0..2 {
            assert_eq!(read(&*store).as_deref(), Some(&b"two"[..]));
            assert_eq!(read(&*before).as_deref(), Some(&b"one"[..]));
        }
        let middle = store.clone().snapshot();
        write(None);
        for _ in 0..2 {
            assert_eq!(read(&*store), None);
            assert_eq!(read(&*middle).as_deref(), Some(&b"two"[..]));
            assert_eq!(read(&*before).as_deref(), Some(&b"one"[..]));
        }
        // After compaction merges the files, the same.
        store.db.compact_range_cf(store.family(Table::Instances).unwrap(), None::<&[u8]>, None::<&[u8]>);
        assert_eq!(read(&*store), None);
        assert_eq!(read(&*middle).as_deref(), Some(&b"two"[..]));
        assert_eq!(read(&*before).as_deref(), Some(&b"one"[..]));
    }

    #[test]
    fn sorted_reads_answer_as_single_reads_from_memtables_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(&dir.path().join("ledger")).unwrap();
        let write = |ops: &[(&[u8], Option<&[u8]>)]| {
            let mut batch = WriteBatch::default();
            for (key, value) in ops {
                match value {
                    Some(value) => batch.put(Table::Txs, key.to_vec(), value.to_vec()),
                    None => batch.delete(Table::Txs, key.to_vec()),
                }
            }
            store.write(batch).unwrap();
        };
        // In a table file: `b` (later deleted in the memtable) and `d`; in the memtable: `a`,
        // and `d` again, newer. `c` and `e` were never written.
        write(&[(b"b", Some(b"file")), (b"d", Some(b"file"))]);
        store.flush().unwrap();
        write(&[(b"a", Some(b"memtable")), (b"b", None), (b"d", Some(b"newer"))]);
        let keys: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b"e"];

        let sorted = store.get_sorted(Table::Txs, &keys).unwrap();
        let single: Vec<_> = keys.iter().map(|key| store.get(Table::Txs, key).unwrap()).collect();
        assert_eq!(sorted, single);
        assert_eq!(sorted, vec![Some(b"memtable".to_vec()), None, None, Some(b"newer".to_vec()), None]);
        assert_eq!(store.get_sorted(Table::Txs, &[]).unwrap(), Vec::<Option<Vec<u8>>>::new());
    }

    #[test]
    fn a_batch_written_in_key_order_keeps_its_last_operation_on_each_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(&dir.path().join("ledger")).unwrap();
        let mut batch = WriteBatch::default();
        // Out of key order, across tables, with several operations on some keys.
        batch.put(Table::Storage, b"z".to_vec(), b"first".to_vec());
        batch.put(Table::Accounts, b"z".to_vec(), b"account".to_vec());
        batch.put(Table::Storage, b"a".to_vec(), b"kept".to_vec());
        batch.delete(Table::Storage, b"z".to_vec());
        batch.put(Table::Storage, b"m".to_vec(), b"gone".to_vec());
        batch.put(Table::Storage, b"z".to_vec(), b"last".to_vec());
        batch.delete(Table::Storage, b"m".to_vec());
        store.write(batch).unwrap();
        let read = |table, key: &[u8]| store.get(table, key).unwrap();
        assert_eq!(read(Table::Storage, b"z").as_deref(), Some(&b"last"[..]));
        assert_eq!(read(Table::Storage, b"a").as_deref(), Some(&b"kept"[..]));
        assert_eq!(read(Table::Storage, b"m"), None);
        assert_eq!(read(Table::Accounts, b"z").as_deref(), Some(&b"account"[..]));
    }

    #[test]
    fn prefix_mode_only_for_forward_scans_inside_one_contract() {
        let contract = [5u8; 20];
        let mut key = contract.to_vec();
        key.push(1);
        let next_contract = prefix_successor(&contract).unwrap();
        assert!(within_one_contract(Direction::Forward, Some(&key), Some(&next_contract)));
        assert!(within_one_contract(Direction::Forward, Some(&contract), Some(&key)));
        assert!(!within_one_contract(Direction::Reverse, Some(&key), Some(&next_contract)));
        assert!(!within_one_contract(Direction::Forward, Some(&key), None));
        assert!(!within_one_contract(Direction::Forward, Some(&key), Some(&[6u8; 21])));
        assert!(!within_one_contract(Direction::Forward, Some(&contract[..19]), Some(&next_contract)));
        assert!(within_one_contract(Direction::Forward, Some(&[0xff; 21]), None));
    }
}
