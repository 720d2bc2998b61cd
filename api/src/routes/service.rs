//! Service routes: health, metrics, the OpenAPI document, and the answers for unknown routes.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, NoQuery};
use crate::openapi::Document;
use crate::openapi::statuses::{Internal, Invalid};

/// Health.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `stalled` on a network validator whose consensus has not reached a new height
    /// for longer than three timed-out rounds (see `consensus.idle_ms`). The answer is `200`
    /// either way: the node serves reads and takes transactions while its network is stalled.
    pub status: HealthStatus,
    /// The latest block height.
    pub height: u64,
    /// The chain id.
    pub chain_id: u64,
    /// Whether dev controls are on.
    pub dev: bool,
    /// Connected validators (0 on a node without a network).
    pub peers: u64,
    /// Whether the node is catching up with the network (always false without one).
    pub syncing: bool,
    /// Transactions waiting in the mempool (a network validator; 0 otherwise).
    pub mempool_txs: u64,
    /// The validator's consensus (null on a node without a network).
    pub consensus: Option<tidepool_node::NetworkStatus>,
}

/// What `/health` says of the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The node answers, and on a network its consensus moves.
    Ok,
    /// A network validator whose consensus has not moved for too long.
    Stalled,
}

/// `GET /health`.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health, description = "The node answers; `status` says whether its chain moves."), Invalid, Internal))]
pub async fn health(State(state): State<AppState>, _: NoQuery) -> Result<Json<Health>, ApiError> {
    let config = state.node.config().clone();
    let node = state.node.clone();
    let height = blocking(move || Ok(node.latest_block()?.height)).await?;
    let consensus = state.node.network_status();
    Ok(Json(Health {
        status: if consensus.as_ref().is_some_and(|c| c.stalled) { HealthStatus::Stalled } else { HealthStatus::Ok },
        height,
        chain_id: config.chain_id,
        dev: config.dev,
        peers: consensus.as_ref().map_or(0, |c| c.peers),
        syncing: consensus.as_ref().is_some_and(|c| c.syncing),
        mempool_txs: state.node.mempool().len() as u64,
        consensus,
    }))
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain"), Invalid))]
pub async fn metrics(State(state): State<AppState>, _: NoQuery) -> impl IntoResponse {
    let height = state.node.latest_block().map(|h| h.height).unwrap_or(0);
    let mut text = state.metrics.render(height, state.feed.subscribers());
    if let Some(consensus) = state.node.network_status() {
        crate::metrics::render_network(&mut text, &consensus, state.node.mempool());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// `GET /openapi.json`: this node's document (built once, when the router was).
#[utoipa::path(get, path = "/openapi.json",
    responses((status = 200, body = tidepool_node::openapi::AnyJson, description = "This document: the routes this node serves."),
              Invalid, Internal))]
pub async fn openapi(State(state): State<AppState>, _: NoQuery) -> Result<Document, ApiError> {
    // Set by `router` before it serves this route; only a router assembled without it lacks it.
    state
        .document
        .get()
        .cloned()
        .ok_or_else(|| ApiError::internal("no OpenAPI document: the router was not made by `routes::router`"))
}

/// Any unknown route.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route; see /openapi.json")
}

/// A known route with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
}
