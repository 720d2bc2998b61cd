//! The backends the shared tests run on, and a full dump of a store to compare them by.

use tempfile::TempDir;
use tidepool_ledger::{Direction, KeyRange, Ledger, Store, Table};

/// A backend to run a test on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Memory,
    #[cfg(feature = "rocksdb")]
    Rocks,
}

/// A fresh, empty ledger, and the directory it lives in (if any), removed on drop.
pub(crate) struct Fresh {
    pub ledger: Ledger,
    #[cfg(feature = "rocksdb")]
    rocks: Option<std::sync::Arc<tidepool_ledger::RocksStore>>,
    _dir: Option<TempDir>,
}

impl Fresh {
    /// Moves RocksDB's memtables to table files, so that reads go through table files, their
    /// filters and the block cache (a no-op on memory).
    pub(crate) fn flush(&self) {
        #[cfg(feature = "rocksdb")]
        if let Some(rocks) = &self.rocks {
            rocks.flush().unwrap();
        }
    }
}

impl Backend {
    /// Every backend this build has.
    pub(crate) fn all() -> Vec<Backend> {
        vec![
            Backend::Memory,
            #[cfg(feature = "rocksdb")]
            Backend::Rocks,
        ]
    }

    pub(crate) fn fresh(self) -> Fresh {
        match self {
            Backend::Memory => Fresh {
                ledger: Ledger::memory(),
                #[cfg(feature = "rocksdb")]
                rocks: None,
                _dir: None,
            },
            #[cfg(feature = "rocksdb")]
            Backend::Rocks => {
                let dir = tempfile::tempdir().unwrap();
                let rocks = std::sync::Arc::new(tidepool_ledger::RocksStore::open(&dir.path().join("ledger")).unwrap());
                let ledger = Ledger::with_store(rocks.clone()).unwrap();
                Fresh { ledger, rocks: Some(rocks), _dir: Some(dir) }
            }
        }
    }
}

/// Entries of tables, as `(table, key, value)`.
pub(crate) type Dump = Vec<(Table, Vec<u8>, Vec<u8>)>;

/// Every entry of every table, in table then key order.
pub(crate) fn dump(store: &dyn Store) -> Dump {
    dump_tables(store, &Table::ALL)
}

/// Every entry of `tables`, in table then key order.
pub(crate) fn dump_tables(store: &dyn Store, tables: &[Table]) -> Dump {
    let mut out = Vec::new();
    for &table in tables {
        for entry in store.iter(table, &KeyRange::all(), Direction::Forward).unwrap() {
            let (key, value) = entry.unwrap();
            out.push((table, key, value));
        }
    }
    out
}

/// Runs each named `fn(Backend)` of the enclosing module as a test on every backend:
/// `memory::name` and, with the `rocksdb` feature, `rocksdb::name`.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod memory {
            $(#[test]
            fn $test() {
                super::$test(crate::backend::Backend::Memory)
            })*
        }
        #[cfg(feature = "rocksdb")]
        mod rocksdb {
            $(#[test]
            fn $test() {
                super::$test(crate::backend::Backend::Rocks)
            })*
        }
    };
}
pub(crate) use on_both_backends;
