//! Opening a data directory: a second opener gets [`LedgerError::Locked`]; anything that is not
//! a Tidepool ledger, or a damaged one, gets [`LedgerError::Corrupt`] — never a panic.

use std::path::Path;

use tidepool_ledger::{Ledger, LedgerError, SCHEMA_VERSION, Table};

use crate::crash::Writer;
use crate::sample;

fn open_error(path: &Path) -> LedgerError {
    match Ledger::open(path) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(error) => error,
    }
}

fn assert_corrupt(path: &Path) {
    let error = open_error(path);
    assert!(matches!(error, LedgerError::Corrupt { .. }), "{error:?}");
    // The message names the directory, for the operator.
    assert!(error.to_string().contains(&path.display().to_string()), "{error}");
}

/// A ledger with a few blocks in `path`, closed again.
fn ledger_in(path: &Path) {
    let ledger = Ledger::open(path).unwrap();
    for height in 0..3 {
        ledger.commit_block(sample::block(height)).unwrap();
    }
}

#[test]
fn a_missing_directory_is_created_and_reopens_with_its_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/ledger");
    ledger_in(&path);
    assert_eq!(Ledger::open(&path).unwrap().latest_height().unwrap(), Some(2));
}

#[test]
fn a_second_opener_in_this_process_is_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    let error = open_error(dir.path());
    assert!(matches!(&error, LedgerError::Locked { path } if path == dir.path()), "{error:?}");
    drop(ledger);
    Ledger::open(dir.path()).unwrap();
}

#[test]
fn a_second_process_is_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Writer::spawn(dir.path());
    writer.wait_ready();
    let error = open_error(dir.path());
    writer.kill();
    assert!(matches!(error, LedgerError::Locked { .. }), "{error:?}");
    Ledger::open(dir.path()).unwrap();
}

#[test]
fn a_directory_of_other_files_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"my files").unwrap();
    assert_corrupt(dir.path());
    // Untouched.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_file_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    assert_corrupt(&file);
}

#[test]
fn another_rocksdb_database_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = rocksdb::Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    drop(rocksdb::DB::open_cf(&options, dir.path(), ["default", "other"]).unwrap());
    assert_corrupt(dir.path());

    let plain = tempfile::tempdir().unwrap();
    let db = rocksdb::DB::open(&options, plain.path()).unwrap();
    db.put(b"key", b"value").unwrap();
    drop(db);
    assert_corrupt(plain.path());
}

#[test]
fn a_creation_interrupted_before_the_column_families_is_completed() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = rocksdb::Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    drop(rocksdb::DB::open_cf(&options, dir.path(), ["default", "meta", "accounts"]).unwrap());
    let ledger = Ledger::open(dir.path()).unwrap();
    ledger.commit_block(sample::block(0)).unwrap();
    drop(ledger);
    assert_eq!(Ledger::open(dir.path()).unwrap().latest_height().unwrap(), Some(0));

    // The same families, but holding data: not an interrupted creation.
    let other = tempfile::tempdir().unwrap();
    let db = rocksdb::DB::open_cf(&options, other.path(), ["default", "accounts"]).unwrap();
    db.put_cf(db.cf_handle("accounts").unwrap(), b"key", b"value").unwrap();
    drop(db);
    assert_corrupt(other.path());
}

#[test]
fn a_garbled_current_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    ledger_in(dir.path());
    std::fs::write(dir.path().join("CURRENT"), b"\x00garbage").unwrap();
    assert_corrupt(dir.path());
}

#[test]
fn a_missing_manifest_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    ledger_in(dir.path());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("MANIFEST-") {
            std::fs::remove_file(path).unwrap();
        }
    }
    assert_corrupt(dir.path());
}

#[test]
fn another_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ledger = Ledger::open(dir.path()).unwrap();
        ledger.store().put(Table::Meta, b"schema_version", &(SCHEMA_VERSION + 1).to_be_bytes()).unwrap();
    }
    assert_corrupt(dir.path());
}
