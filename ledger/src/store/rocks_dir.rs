//! Whether a data directory is a Tidepool ledger, decided before RocksDB opens it: RocksDB
//! would happily create a fresh database inside any directory, or open any RocksDB database.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

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

/// Checks that an existing database has exactly the ledger's column families.
///
/// # Errors
/// [`LedgerError::Corrupt`] naming the missing and unexpected families.
pub(super) fn check_column_families(path: &Path, found: &[String]) -> Result<(), LedgerError> {
    let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    let expected: BTreeSet<&str> = Table::ALL.iter().map(|table| table.name()).chain(["default"]).collect();
    if found == expected {
        return Ok(());
    }
    let missing: Vec<&str> = expected.difference(&found).copied().collect();
    let unexpected: Vec<&str> = found.difference(&expected).copied().collect();
    Err(LedgerError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("not a Tidepool ledger: column families missing {missing:?}, unexpected {unexpected:?}"),
    })
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
    fn column_families_must_match_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut found: Vec<String> = Table::ALL.iter().map(|table| table.name().to_string()).collect();
        found.push("default".into());
        assert!(check_column_families(dir.path(), &found).is_ok());
        found.pop();
        found.push("extra".into());
        let error = check_column_families(dir.path(), &found).unwrap_err().to_string();
        assert!(error.contains("default") && error.contains("extra"), "{error}");
    }
}
