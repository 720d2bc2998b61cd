//! Integration tests of `tidepool-node`'s public API, in one binary (as wasmtime and anvil lay
//! theirs out).
//!
//! - [`web3_vector`]: a signature published by web3.js verifies, and our signer reproduces it.
//! - [`signing`]: signing Tidepool transactions with that key, and every way of tampering.
//! - [`keys`]: dev accounts and key files, used to sign.
//! - [`chain`]: transactions into blocks, rejections, dev controls, determinism.
//! - [`failed_commits`]: blocks whose write fails, and the blocks built on them.
//! - [`mempool`]: a network node's mempool: admission, proposal order, bounds, expiry.
//! - [`devctl`]: mining modes, the next block's time, reset, set_code, state files, price refresh.
//! - [`client_vectors`]: the signing vectors the TypeScript client checks itself against.

mod chain;
mod client_vectors;
mod devctl;
mod failed_commits;
mod keys;
mod mempool;
mod signing;
mod web3_vector;
