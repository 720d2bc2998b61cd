//! End-to-end tests: the real `tidepool` binary on a temporary RocksDB directory, over real HTTP.
//! They are `tidepool-cli`'s integration tests (`cargo test -p tidepool-cli --test e2e`).
//!
//! [`harness`] starts and stops nodes (read it first: it explains which binary runs). The other
//! modules test what a user does: [`deploy`] a contract and use it (also with the [`cli`]),
//! [`rejections`] of bad input, [`dev_controls`] and the anvil-grade ones with their flags
//! ([`devctl`]), every control as a `tidepool dev` command ([`dev_cli`]), [`persistence`] across
//! restarts and shutdown, a [`network`] of four validator processes, and the README's
//! [`walkthrough`]; [`prerequisites`] checks the set-up script's libclang detection. Each test
//! starts its own node, so they run in parallel.

mod cli;
mod deploy;
mod dev_cli;
mod dev_controls;
mod devctl;
mod harness;
mod network;
mod persistence;
mod prerequisites;
mod rejections;
mod walkthrough;
