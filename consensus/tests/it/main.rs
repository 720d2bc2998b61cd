//! tidepool-consensus's integration tests: validators on 127.0.0.1 inside this test process,
//! over a toy application (`toy.rs`), started, stopped and compared by `cluster.rs`. Every test
//! is bounded by `cluster::TEST_BUDGET` and stops all its validators before it returns.
//!
//! `RUST_LOG=tidepool_consensus=info cargo test -p tidepool-consensus --test it` shows the
//! heights being decided.

mod cluster;
mod toy;

mod agreement;
mod catch_up;
mod listen;
mod lying_proposer;
mod other_network;
mod quorum_loss;
mod stopped_in_commit;

/// Runs `test` within the test budget.
async fn bounded<F: std::future::Future<Output = ()>>(test: F) {
    tokio::time::timeout(cluster::TEST_BUDGET, test).await.expect("the test ran out of time");
}
