//! Whether a data directory is a Tidepool ledger, decided before RocksDB opens it: RocksDB
//! would happily create a fresh database inside any directory, or open any RocksDB database.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

use rocksdb::{DB, ErrorKind, IteratorMode, Options};

use crate::error::LedgerError;
use crate::table::Table;

/// Whether `path` already holds a database (`true`) or a new one may be created there
/// (`false`: the path does not exist, is an empty directory, or holds only the files of a
/// database creation that was interrupted before it could hold any data).
///
/// # Errors
/// [`LedgerError::Corrupt`] if `path` is not a directory, or is a directory with other
/// contents and no database.
pub(super) fn inspect(path: &Path) -> Result<bool, LedgerError> {
    let corrupt = |reason: String| LedgerError::Corrupt { path: path.to_path_buf(), reason };
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) if error.kind() == io::ErrorKind::NotADirectory => {
            return Err(corrupt("it is not a directory".into()));
        }
        Err(error) => return Err(LedgerError::Backend(format!("reading {}: {error}", path.display()))),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| LedgerError::Backend(format!("reading {}: {error}", path.display())))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    if names.iter().any(|name| name == "CURRENT") {
        return Ok(true);
    }
    match names.iter().find(|name| !is_creation_leftover(name)) {
        None => Ok(false),
        Some(name) => Err(corrupt(format!("it holds `{name}` but no database (no CURRENT file)"))),
    }
}

/// Files RocksDB writes while creating a database, before `CURRENT` names its manifest: the
/// lock, info logs, identity, options, manifest and the temporary file that becomes `CURRENT`.
/// None of them holds data (write-ahead logs `*.log` and tables `*.sst` do, and are absent).
fn is_creation_leftover(name: &str) -> bool {
    matches!(name, "LOCK" | "LOG" | "IDENTITY")
        || name.starts_with("LOG.old.")
        || name.starts_with("MANIFEST-")
        || name.starts_with("OPTIONS-")
        || name.ends_with(".dbtmp")
}

/// Checks the column families of an existing database: `Ok(true)` if they are exactly the
/// ledger's; `Ok(false)` if some are missing but none is foreign and every one present is empty
/// (a creation interrupted between making the database and its column families: the caller
/// creates the rest).
///
/// # Errors
/// [`LedgerError::Corrupt`] naming the missing and unexpected families otherwise.
pub(super) fn check_column_families(path: &Path, found: &[String]) -> Result<bool, LedgerError> {
    let found_set: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    let expected: BTreeSet<&str> = Table::ALL.iter().map(|table| table.name()).chain(["default"]).collect();
    if found_set == expected {
        return Ok(true);
    }
    let missing: Vec<&str> = expected.difference(&found_set).copied().collect();
    let unexpected: Vec<&str> = found_set.difference(&expected).copied().collect();
    if unexpected.is_empty() && all_empty(path, found)? {
        return Ok(false);
    }
    Err(LedgerError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("not a Tidepool ledger: column families missing {missing:?}, unexpected {unexpected:?}"),
    })
}

/// Whether the column families `names` of the database in `path` hold no entry, read through
/// a read-only open (which neither takes the lock nor changes a file).
fn all_empty(path: &Path, names: &[String]) -> Result<bool, LedgerError> {
    let db =
        DB::open_cf_for_read_only(&Options::default(), path, names, false).map_err(|error| open_error(path, error))?;
    for name in names {
        let Some(family) = db.cf_handle(name) else { return Ok(false) };
        if db.iterator_cf(family, IteratorMode::Start).next().is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Maps an error of opening the database: the lock file held elsewhere is
/// [`LedgerError::Locked`]; missing or unreadable database files are [`LedgerError::Corrupt`].
pub(super) fn open_error(path: &Path, error: rocksdb::Error) -> LedgerError {
    let message = error.to_string();
    let lock = message.contains("While lock file") || message.contains("lock hold by current process");
    match error.kind() {
        ErrorKind::IOError if lock => LedgerError::Locked { path: path.to_path_buf() },
        ErrorKind::Corruption | ErrorKind::NotFound | ErrorKind::InvalidArgument | ErrorKind::NotSupported => {
            LedgerError::Corrupt { path: path.to_path_buf(), reason: message }
        }
        ErrorKind::IOError if message.contains("No such file or directory") => {
            LedgerError::Corrupt { path: path.to_path_buf(), reason: message }
        }
        _ => LedgerError::Backend(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_directory_is_new() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!inspect(&dir.path().join("absent")).unwrap());
        assert!(!inspect(dir.path()).unwrap());
    }

    #[test]
    fn an_interrupted_creation_is_new_but_foreign_files_are_not_a_ledger() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["LOCK", "LOG", "IDENTITY", "MANIFEST-000001", "000001.dbtmp"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        assert!(!inspect(dir.path()).unwrap());
        std::fs::write(dir.path().join("000004.log"), b"").unwrap();
        assert!(matches!(inspect(dir.path()), Err(LedgerError::Corrupt { .. })));
    }

    #[test]
    fn a_file_is_not_a_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"hello").unwrap();
        assert!(matches!(inspect(&file), Err(LedgerError::Corrupt { .. })));
    }

    #[test]
    fn column_families_must_be_the_ledgers() {
        let dir = tempfile::tempdir().unwrap();
        let mut found: Vec<String> = Table::ALL.iter().map(|table| table.name().to_string()).collect();
        found.push("default".into());
        assert!(check_column_families(dir.path(), &found).unwrap());
        found.pop();
        found.push("extra".into());
        let error = check_column_families(dir.path(), &found).unwrap_err().to_string();
        assert!(error.contains("default") && error.contains("extra"), "{error}");
    }
}
