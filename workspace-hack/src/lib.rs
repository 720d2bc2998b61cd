//! The workspace hack: a crate with no code whose dependencies name every third-party crate
//! that the workspace's members would otherwise build with different features depending on which
//! of them a command selects (`cargo test --workspace --all-targets` against `cargo run --bin
//! tidepool` or `cargo bench -p tidepool-vm`). Every member depends on it, so every command asks
//! for the union of features and cargo builds each third-party crate once.
//!
//! `cargo hakari generate` writes its `Cargo.toml` (`.config/hakari.toml` configures it); run it
//! after changing any dependency. CONTRIBUTING.md says when, and `make test` fails if a build
//! after the tests compiles a third-party crate again.
//!
//! Members depend on it under `[target.'cfg(tidepool_workspace)'.dependencies]`, a cfg that only
//! this repository's `.cargo/config.toml` sets: a crate outside the workspace that depends on ours
//! (a contract scaffolded by `tidepool new`) does not pull in the union of our features (RocksDB,
//! axum, …), which it has no use for.
