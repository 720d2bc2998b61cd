//! Serving the router: request ids, tracing, metrics, CORS, the dashboard beside the API, and a
//! graceful shutdown that finishes the block in hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::HeaderValue;
use axum::response::Response;
use tidepool_node::{Mining, Node};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::time::MissedTickBehavior;
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::connections::{ConnectionLimits, raise_open_file_limit, serve_connections};
use crate::cors::{Cors, CrossOriginLayer};
use crate::routes::{AppState, router};

/// Request ids: a process-unique counter, echoed in `x-request-id` and in every log line.
#[derive(Clone, Default)]
struct CountingRequestId(Arc<AtomicU64>);

impl MakeRequestId for CountingRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = self.0.fetch_add(1, Ordering::Relaxed);
        HeaderValue::try_from(format!("req-{id}")).ok().map(RequestId::new)
    }
}

/// The full application: routes plus middleware, with the CORS policy of a node started without
/// `--allow-origin` (any origin on a dev node, none otherwise; [`Cors::for_node`]).
pub fn app(node: Node) -> Router {
    let cors = if node.config().dev { Some(Cors::AnyOrigin) } else { None };
    app_with(node, cors)
}

/// The full application with the CORS policy `cors` (`None`: no CORS headers).
pub fn app_with(node: Node, cors: Option<Cors>) -> Router {
    app_over(AppState::new(node), cors)
}

/// The full application over `state` (whose feed [`serve`] closes when it shuts down).
///
/// The middleware is one stack, applied once: axum wraps every route in a boxed service per
/// `layer` call and clones that box for every request, so a `layer` call per middleware cost a
/// nested allocation and clone per middleware per request (40 % of a balance GET's own time).
/// For the same reason none of it is a `from_fn` middleware, which boxes the rest of the stack
/// and its own future for every request: the counter maps the response, and CORS is a service
/// of its own ([`CrossOriginLayer`]).
/// Outermost first: request ids, the trace span, the request counter, CORS.
fn app_over(state: AppState, cors: Option<Cors>) -> Router {
    let metrics = state.metrics.clone();
    let count = MapResponseLayer::new(move |response: Response| {
        metrics.count_request(response.status().as_u16());
        response
    });
    let cors = cors.as_ref().map(CrossOriginLayer::new);
    let trace = TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
        let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", id, method = %req.method(), uri = %req.uri())
    });
    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(CountingRequestId::default()))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(count)
        .option_layer(cors);
    router(state).merge(crate::dashboard::routes()).layer(stack)
}

/// Serves `node` on `listener` until `shutdown` resolves; then stops accepting, lets requests in
/// flight finish, and commits the pending block (manual and interval mining) so nothing accepted
/// is lost. An interval miner runs all along, mining whenever the node's mode is interval
/// mining, whether it started so or was switched to it (`POST /dev/mining`). When it returns,
/// nothing it started holds the node any more: a caller that drops its last handle closes the
/// data directory.
///
/// # Errors
/// A ledger failure while committing the last block.
pub async fn serve(
    listener: TcpListener,
    node: Node,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let cors = if node.config().dev { Some(Cors::AnyOrigin) } else { None };
    serve_with(listener, node, cors, shutdown).await
}

/// [`serve`] with the CORS policy `cors` (`tidepool node --allow-origin`; [`Cors::for_node`]).
///
/// # Errors
/// As [`serve`].
pub async fn serve_with(
    listener: TcpListener,
    node: Node,
    cors: Option<Cors>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    raise_open_file_limit();
    serve_within(listener, node, cors, ConnectionLimits::default(), shutdown).await
}

/// [`serve_with`] within `limits` (time limits on what clients send, a cap on connections).
///
/// # Errors
/// As [`serve`].
pub async fn serve_within(
    listener: TcpListener,
    node: Node,
    cors: Option<Cors>,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let stop_miner = Arc::new(Notify::new());
    let miner = spawn_interval_miner(&node, stop_miner.clone());
    let state = AppState::new(node.clone());
    // A graceful shutdown waits for every response to end, and a stream does not by itself.
    let streams = state.feed.clone();
    let shutdown = async move {
        shutdown.await;
        streams.close();
    };
    // No `ConnectInfo`: nothing reads the peer's address, and adding it to every request's
    // extensions was work per request for no one.
    serve_connections(listener, app_over(state, cors), limits, shutdown).await;
    // The miner is told to stop and waited for (it finishes a block it is mining): when `serve`
    // returns, nothing of the server holds the node, so a caller that drops its own handle
    // closes the data directory and can open it again at once. (It was aborted and not waited
    // for: its task, and the node in it, could outlive `serve`, and the bench's restarts found
    // the directory still locked.)
    stop_miner.notify_one();
    if let Err(error) = miner.await {
        tracing::error!(%error, "the interval miner panicked");
    }
    let flush_node = node.clone();
    let flushed = tokio::task::spawn_blocking(move || flush_node.flush()).await.map_err(ServeError::Flush)?;
    if let Some(header) = flushed.map_err(ServeError::LastBlock)? {
        tracing::info!(height = header.height, "committed the pending block on shutdown");
    }
    Ok(())
}

/// Why [`serve`] stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The task committing the pending block on shutdown did not finish.
    #[error("committing the pending block on shutdown: {0}")]
    Flush(#[source] tokio::task::JoinError),
    /// Committing the pending block on shutdown failed; its transactions were not committed.
    #[error("committing the pending block on shutdown: {0}")]
    LastBlock(#[source] tidepool_node::NodeError),
}

/// The shortest interval the miner keeps, whatever the node says.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Mines a block every interval while the node's mode is interval mining; otherwise waits for
/// the mode to change ([`Node::watch_mining`]). A switch restarts the interval. Returns once
/// `stop` is notified (after finishing a block it is mining).
fn spawn_interval_miner(node: &Node, stop: Arc<Notify>) -> tokio::task::JoinHandle<()> {
    let node = node.clone();
    let switched = Arc::new(Notify::new());
    // `notify_one` keeps a permit when nobody waits, so a switch between reading the mode and
    // waiting is not missed.
    let watch = node.watch_mining({
        let switched = switched.clone();
        move || switched.notify_one()
    });
    tokio::spawn(async move {
        let _watch = watch;
        loop {
            let Mining::Interval(every) = node.mining() else {
                tokio::select! {
                    _ = stop.notified() => return,
                    _ = switched.notified() => continue,
                }
            };
            let mut ticker = tokio::time::interval(every.max(MIN_INTERVAL));
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = stop.notified() => return,
                    _ = switched.notified() => break,
                    _ = ticker.tick() => {
                        let node = node.clone();
                        match tokio::task::spawn_blocking(move || node.mine_interval_block()).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => tracing::error!(error = %e, "mining the pending block failed"),
                            Err(e) => tracing::error!(error = %e, "mining task panicked"),
                        }
                    }
                }
            }
        }
    })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
