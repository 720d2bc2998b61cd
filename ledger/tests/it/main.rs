//! Integration tests of the ledger. Most run the same test on both backends (see
//! [`backend::on_both_backends`]); the RocksDB-only ones (crash, data-directory errors) are
//! gated on the `rocksdb` feature.

mod backend;
mod blocks;
#[cfg(feature = "rocksdb")]
mod crash;
mod determinism;
mod events;
mod history;
mod model;
#[cfg(feature = "rocksdb")]
mod open;
mod prefix;
mod replace;
mod revert;
mod sample;
