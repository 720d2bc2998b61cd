//! The ledger's metadata in [`Table::Meta`]: the schema version, checked on every open, the
//! latest committed height, and how far history was pruned.

use std::path::Path;

use crate::error::LedgerError;
use crate::store::{Direction, KeyRange, ReadStore, Store};
use crate::table::Table;

/// The version of the on-disk layout this build reads and writes. Bump it with every change
/// to tables, key encodings or record encodings.
pub const SCHEMA_VERSION: u32 = 2;

/// `schema_version` → [`SCHEMA_VERSION`] as 4 bytes big-endian.
pub(super) const SCHEMA_KEY: &[u8] = b"schema_version";

/// `latest_height` → the latest committed height as 8 bytes big-endian (absent before genesis).
pub(super) const LATEST_KEY: &[u8] = b"latest_height";

/// `pruned_through` → the highest height whose state history and undo record were pruned, as 8
/// bytes big-endian (absent: nothing pruned). State is readable at that height and above.
pub(super) const PRUNED_KEY: &[u8] = b"pruned_through";

/// The highest pruned height, or `None` if nothing was pruned.
pub(super) fn pruned_through(store: &dyn ReadStore) -> Result<Option<u64>, LedgerError> {
    read_height(store, PRUNED_KEY, "pruned height")
}

/// The latest committed height, or `None` before genesis.
pub(super) fn latest_height(store: &dyn ReadStore) -> Result<Option<u64>, LedgerError> {
    read_height(store, LATEST_KEY, "latest height")
}

fn read_height(store: &dyn ReadStore, key: &[u8], what: &str) -> Result<Option<u64>, LedgerError> {
    let Some(bytes) = store.get(Table::Meta, key)? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = bytes
        .try_into()
        .map_err(|_| LedgerError::Decode { table: Table::Meta.name(), reason: format!("{what} is not 8 bytes") })?;
    Ok(Some(u64::from_be_bytes(bytes)))
}

/// Checks that `store` holds a ledger of this schema version, or stamps an empty store with it.
/// `location` names the store in errors.
///
/// # Errors
/// [`LedgerError::Corrupt`] for another schema version, for data without a schema version, and
/// for a latest height without its block.
pub(super) fn check_or_init(store: &dyn Store, location: &Path) -> Result<(), LedgerError> {
    let corrupt = |reason: String| LedgerError::Corrupt { path: location.to_path_buf(), reason };
    match store.get(Table::Meta, SCHEMA_KEY)? {
        Some(bytes) if bytes == SCHEMA_VERSION.to_be_bytes() => {}
        Some(bytes) => {
            let found = <[u8; 4]>::try_from(bytes.as_slice())
                .map_or_else(|_| format!("{bytes:02x?}"), |version| u32::from_be_bytes(version).to_string());
            return Err(corrupt(format!("schema version {found}, but this build reads version {SCHEMA_VERSION}")));
        }
        // Stamped only when there is nothing at all: a crash while creating the store leaves it
        // empty and it is stamped on the next open, but data without a version is not ours.
        None if is_empty(store)? => store.put(Table::Meta, SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?,
        None => return Err(corrupt("no schema version, but the tables hold data".into())),
    }
    if let Some(height) = latest_height(store)?
        && store.get(Table::Blocks, &crate::table::height_key(height))?.is_none()
    {
        return Err(corrupt(format!("the latest height is {height}, but that block is missing")));
    }
    Ok(())
}

fn is_empty(store: &dyn Store) -> Result<bool, LedgerError> {
    for table in Table::ALL {
        if store.iter(table, &KeyRange::all(), Direction::Forward)?.next().transpose()?.is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn an_empty_store_is_stamped_and_then_accepted() {
        let store = MemoryStore::default();
        check_or_init(&store, Path::new("m")).unwrap();
        assert_eq!(store.get(Table::Meta, SCHEMA_KEY).unwrap(), Some(SCHEMA_VERSION.to_be_bytes().to_vec()));
        check_or_init(&store, Path::new("m")).unwrap();
    }

    #[test]
    fn another_version_or_unversioned_data_is_refused() {
        let store = MemoryStore::default();
        store.put(Table::Meta, SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes()).unwrap();
        let error = check_or_init(&store, Path::new("m")).unwrap_err().to_string();
        assert!(error.contains(&format!("schema version {}", SCHEMA_VERSION + 1)), "{error}");

        let store = MemoryStore::default();
        store.put(Table::Storage, b"k", b"v").unwrap();
        assert!(matches!(check_or_init(&store, Path::new("m")), Err(LedgerError::Corrupt { .. })));
    }

    #[test]
    fn a_latest_height_without_its_block_is_refused() {
        let store = MemoryStore::default();
        check_or_init(&store, Path::new("m")).unwrap();
        store.put(Table::Meta, LATEST_KEY, &3u64.to_be_bytes()).unwrap();
        assert!(matches!(check_or_init(&store, Path::new("m")), Err(LedgerError::Corrupt { .. })));
    }
}
