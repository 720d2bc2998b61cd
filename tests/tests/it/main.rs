//! End-to-end tests: the real `tidepool` binary on a temporary RocksDB directory, over real HTTP.
//!
//! [`harness`] starts and stops nodes (read it first: it explains how the binary is found). The
//! other modules test what a user does: [`deploy`] a contract and use it (also with the [`cli`]), [`rejections`] of bad
//! input, [`dev_controls`], [`persistence`] across restarts and shutdown, and the README's
//! [`walkthrough`]; [`prerequisites`] checks the set-up script's libclang detection. Each test
//! starts its own node, so they run in parallel.

mod cli;
mod deploy;
mod dev_controls;
mod harness;
mod persistence;
mod prerequisites;
mod rejections;
mod walkthrough;
