//! Intentionally empty. It exists so that the optional `[build-dependencies]` of Cargo.toml count:
//! they pin the features of RocksDB's bindgen dependencies (regex) to the workspace-wide set, so
//! every cargo invocation, whichever packages it selects, shares one librocksdb-sys build.
fn main() {}
