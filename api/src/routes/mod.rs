//! The HTTP routes: `/v1/*` for everyone, `/dev/*` in dev mode only, plus `/health`, `/metrics`
//! and `/openapi.json`. Each module holds one resource's handlers and request/response types.
//!
//! [`routes()`] is the one list of routes: [`router`] serves it and [`crate::openapi`] documents
//! it, so what is served and what is documented cannot differ.

pub mod accounts;
pub mod blocks;
pub mod code;
pub mod contracts;
pub mod dev;
pub mod dev_state;
pub mod service;
pub mod stream;
pub mod txs;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::any;
use serde::Deserialize;
use tidepool_node::Node;
use utoipa::IntoParams;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::body::BodyGuardLayer;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::openapi::{ApiDoc, Document};
use crate::stream::Feed;

/// Largest request body: a transaction carrying the largest wasm module (hex doubles it) fits.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// What every handler gets: one reference-counted pointer, so that extracting it for a request
/// costs one count up and down rather than one per member.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

/// The members of an [`AppState`].
pub struct AppStateInner {
    /// The node.
    pub node: Node,
    /// Request and transaction counters.
    pub metrics: Arc<Metrics>,
    /// The block feed behind `/v1/stream`.
    pub feed: Feed,
    /// The latest committed height, changed after every commit (`?wait=true` waits on it).
    pub heads: tokio::sync::watch::Receiver<u64>,
    /// `/openapi.json`'s document, made once by [`router`] (it needs the routes). Kept here
    /// rather than in a request extension, which cost every request of every route an insert
    /// and a layer.
    pub document: OnceLock<Document>,
}

impl AppState {
    /// The state of a router over `node`: fresh counters, a feed that starts with the first
    /// stream.
    pub fn new(node: Node) -> AppState {
        let latest = node.ledger().head().map_or(0, |head| head.height);
        let (sender, heads) = tokio::sync::watch::channel(latest);
        // Kept while anyone watches; a router dropped with its state unhooks it.
        node.on_new_head(move |head| sender.send(head.height).is_ok());
        AppState(Arc::new(AppStateInner {
            feed: Feed::new(node.clone()),
            node,
            metrics: Arc::default(),
            heads,
            document: OnceLock::new(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// Runs `work` (contract execution, ledger I/O) on the blocking pool, off the async executor.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)?
}

/// Every route a node serves, each listed once with its documentation; `dev` adds the `/dev/*`
/// controls. Each `POST` route has its body's limit and checks ([`BodyGuardLayer`]): `json`
/// for a route that reads a JSON body, `no_body` for one that takes none.
pub fn routes(dev: bool) -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(json(routes!(txs::submit)))
        .routes(json(routes!(txs::submit_batch)))
        .routes(routes!(txs::get))
        .routes(routes!(txs::trace))
        .routes(no_body(routes!(txs::replay)))
        .routes(json(routes!(txs::simulate)))
        .routes(json(routes!(code::upload)))
        .routes(routes!(code::get))
        .routes(routes!(contracts::instance))
        .routes(json(routes!(contracts::query, contracts::query_in_url)))
        .routes(routes!(contracts::state))
        .routes(routes!(accounts::account))
        .routes(routes!(accounts::balances))
        .routes(routes!(blocks::latest))
        .routes(routes!(blocks::by_height))
        .routes(routes!(blocks::events))
        .routes(routes!(stream::stream))
        .routes(routes!(service::health))
        .routes(routes!(service::metrics))
        .routes(routes!(service::openapi));
    if !dev {
        return routes;
    }
    // A state file is far larger than a transaction: its route has its own body limit.
    let (schemas, paths, load_state) = guarded(routes!(dev_state::load_state), STATE_BODY);
    let load_state = load_state.layer(DefaultBodyLimit::max(dev_state::MAX_STATE_BYTES));
    routes
        .routes(json(routes!(dev::faucet)))
        .routes(json(routes!(dev::set_balance)))
        .routes(json(routes!(dev::set_storage)))
        .routes(json(routes!(dev::set_code)))
        .routes(json(routes!(dev::warp)))
        .routes(json(routes!(dev::set_next_block_time)))
        .routes(json(routes!(dev::mine)))
        .routes(json(routes!(dev::mining, dev::set_mining)))
        .routes(no_body(routes!(dev::snapshot)))
        .routes(json(routes!(dev::revert)))
        .routes(json(routes!(dev::impersonate)))
        .routes(no_body(routes!(dev_state::reset)))
        .routes(no_body(routes!(dev_state::dump_state)))
        .routes((schemas, paths, load_state))
}

/// A route as `routes!` makes it: its schemas, its documented paths, its handlers.
type Route = UtoipaMethodRouter<AppState>;

/// The body checks of `/dev/load_state`, whose limit is its own.
const STATE_BODY: BodyGuardLayer = BodyGuardLayer::json(dev_state::MAX_STATE_BYTES);

/// `route`, whose `POST` reads a JSON body of at most [`MAX_BODY_BYTES`].
fn json(route: Route) -> Route {
    guarded(route, BodyGuardLayer::json(MAX_BODY_BYTES))
}

/// `route`, whose `POST` takes no body (and drops one of at most [`MAX_BODY_BYTES`]).
fn no_body(route: Route) -> Route {
    guarded(route, BodyGuardLayer::dropped(MAX_BODY_BYTES))
}

fn guarded((schemas, paths, handlers): Route, guard: BodyGuardLayer) -> Route {
    (schemas, paths, handlers.layer(guard))
}

/// The whole router over `state`'s node, with its document at `/openapi.json`.
pub fn router(state: AppState) -> Router {
    let dev = state.node.config().dev;
    let (mut router, openapi) = routes(dev).split_for_parts();
    if !dev {
        // Not a documented route (a node without --dev has no dev controls): it only says why,
        // rather than "no such route", to a dev script pointed at the wrong node.
        router = router.route("/dev/{*control}", any(dev::disabled));
    }
    state.document.get_or_init(|| Document::new(openapi, &state.node));
    router
        .fallback(service::not_found)
        .method_not_allowed_fallback(service::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// `?height=N`: a read as of the end of block `N` (the latest when absent). Unknown parameters
/// are refused, like unknown body fields.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AtHeight {
    /// Read the state as of the end of this block (default: the latest). Above the latest: 404;
    /// below the history the node keeps (`--history-blocks`): 410.
    pub height: Option<u64>,
}

/// Most entries one page of `/v1/events` or `/v1/contracts/{address}/state` holds.
pub const MAX_PAGE: u32 = 1000;

/// Entries in a page when the request does not say.
pub const DEFAULT_PAGE: u32 = 100;

/// A `type` filter of events: absent, or a type an event can have (the VM refuses an empty
/// one, so `type=` would match nothing, and is refused instead).
fn event_type(ty: Option<String>) -> Result<Option<String>, ApiError> {
    match ty {
        Some(ty) if ty.is_empty() => {
            Err(ApiError::bad_request("type is empty: every event has a type; leave the parameter out to take all"))
        }
        ty => Ok(ty),
    }
}

/// A page's `limit` parameter: [`DEFAULT_PAGE`] when absent, else `1..=`[`MAX_PAGE`].
fn page_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        limit @ 1..=MAX_PAGE => Ok(limit as usize),
        limit => {
            Err(ApiError::bad_request(format!("limit {limit} is out of range: it must be between 1 and {MAX_PAGE}")))
        }
    }
}
