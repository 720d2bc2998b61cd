//! Integration tests of `tidepool-sandbox`, in one binary (as wasmtime and anvil lay theirs out).
//!
//! - [`sandbox`]: accounts, upload, instantiate, execute, queries, errors, snapshots;
//! - [`sandbox_build`]: `build_contract` builds and caches a contract crate;
//! - [`sandbox_gas`]: gas snapshots;
//! - [`sandbox_market`]: the sample lending market at genesis (`Sandbox::with_market`);
//! - [`sandbox_dev`]: manual mining, the next block's time, reset, set_code, state files, price
//!   refreshes;
//! - [`contracts`]: the sample contracts' behaviour — ordinary flows, test vectors, attacks,
//!   invariants, the token and the oracle (their one home).

mod contracts;
mod sandbox;
mod sandbox_build;
mod sandbox_dev;
mod sandbox_gas;
mod sandbox_market;
