//! The HTTP routes: `/v1/*` for everyone, `/dev/*` in dev mode only, plus `/health`, `/metrics`
//! and `/openapi.json`. Each module holds one resource's handlers and request/response types.

pub mod accounts;
pub mod blocks;
pub mod contracts;
pub mod dev;
pub mod service;
pub mod txs;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};
use tidepool_node::Node;

use crate::error::ApiError;
use crate::metrics::Metrics;

/// Largest request body: a transaction carrying the largest wasm module (hex doubles it) fits.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The node.
    pub node: Node,
    /// Request and transaction counters.
    pub metrics: Arc<Metrics>,
}

/// Runs `work` (contract execution, ledger I/O) on the blocking pool, off the async executor.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)?
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/v1/txs", post(txs::submit))
        .route("/v1/txs/batch", post(txs::submit_batch))
        .route("/v1/txs/{hash}", get(txs::get))
        .route("/v1/simulate", post(txs::simulate))
        .route("/v1/code", post(contracts::upload))
        .route("/v1/code/{hash}", get(contracts::code))
        .route("/v1/contracts/{address}", get(contracts::instance))
        .route("/v1/contracts/{address}/query", post(contracts::query))
        .route("/v1/contracts/{address}/state", get(contracts::state))
        .route("/v1/accounts/{address}", get(accounts::account))
        .route("/v1/accounts/{address}/balances", get(accounts::balances))
        .route("/v1/blocks/latest", get(blocks::latest))
        .route("/v1/blocks/{height}", get(blocks::by_height))
        .route("/v1/events", get(blocks::events))
        .route("/health", get(service::health))
        .route("/metrics", get(service::metrics))
        .route("/openapi.json", get(service::openapi));
    if state.node.config().dev {
        router = router
            .route("/dev/faucet", post(dev::faucet))
            .route("/dev/set_balance", post(dev::set_balance))
            .route("/dev/set_storage", post(dev::set_storage))
            .route("/dev/warp", post(dev::warp))
            .route("/dev/mine", post(dev::mine))
            .route("/dev/snapshot", post(dev::snapshot))
            .route("/dev/revert", post(dev::revert))
            .route("/dev/impersonate", post(dev::impersonate));
    } else {
        // Say why rather than "no such route": the caller is probably pointing a dev script at
        // a node started without --dev.
        router = router.route("/dev/{*control}", any(dev::disabled));
    }
    router
        .fallback(service::not_found)
        .method_not_allowed_fallback(service::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
