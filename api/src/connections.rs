//! Accepting and serving connections (HTTP/1.1), with limits a client cannot outwait.
//!
//! Every connection costs the node a file descriptor, and the process has a fixed number. Without
//! limits, a client that opened connections and sent nothing (or a request's head one byte at a
//! time, or half a body) held each for ever, and a few hundred such connections on a host with
//! the common limit of 1,024 descriptors locked everyone else out. So:
//!
//! - a request's head must arrive whole within [`ConnectionLimits::head_timeout`], counted from
//!   when the connection is ready for it — which also closes a keep-alive connection left idle
//!   that long;
//! - a request's body may not pause longer than [`ConnectionLimits::body_idle_timeout`] between
//!   two pieces (the request then fails with `408`);
//! - at most [`ConnectionLimits::max_connections`] are served at once; past it the node stops
//!   accepting, and new connections wait in the kernel's backlog until one closes.
//!
//! A response streams as long as it likes (`/v1/stream`): the limits are on what the client
//! sends, never on what the node sends.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

/// Descriptors kept for everything but connections: RocksDB's table files (it keeps at most 512
/// open), its logs, the peer-to-peer network, and some slack.
const RESERVED_DESCRIPTORS: u64 = 1_024;

/// What a connection may cost the node: see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest wait for a request's head, whole.
    pub head_timeout: Duration,
    /// Longest pause in a request's body.
    pub body_idle_timeout: Duration,
    /// Most connections served at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    /// 30 s for a head and for a pause in a body; as many connections as the process's limit of
    /// open files leaves after the 1,024 kept for the store and the network (at least 64, at most 65,536).
    fn default() -> ConnectionLimits {
        let descriptors = open_file_limit().unwrap_or(1_024);
        let max_connections = descriptors.saturating_sub(RESERVED_DESCRIPTORS).clamp(64, 65_536);
        ConnectionLimits {
            head_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(30),
            max_connections: usize::try_from(max_connections).unwrap_or(65_536),
        }
    }
}

/// Raises the process's soft limit of open files to its hard limit (as Go's runtime does at
/// start): a host's default soft limit, often 1,024, is what a node serving many clients runs out
/// of first. Returns the limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: `getrlimit` and `setrlimit` read and write only the `rlimit` passed.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            }
        }
        Some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    None
}

/// The process's soft limit of open files.
fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: `getrlimit` writes only the `rlimit` passed.
        (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0).then_some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    None
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves; then stops accepting,
/// lets each connection finish the request in hand (closing idle ones at once), and returns when
/// every connection has closed, or after 10 s (the rest are dropped). [`crate::server::serve`]
/// serves the node's application with it; the benchmarks serve their bare baselines with it too,
/// so that both pay the same for it.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    // Dropped to tell every connection to shut down gracefully.
    let (stopping, stop) = watch::channel(());
    // Each connection holds a receiver: `closed()` resolves when the last has gone.
    let (all_closed, alive) = watch::channel(());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.head_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A permit first: at the cap, connections wait in the backlog, not in the node.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // The client gave up before it was accepted: nothing to do.
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    // Out of descriptors, say: wait a moment rather than spin.
                    tracing::error!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let body_idle_timeout = limits.body_idle_timeout;
        let service = app.clone().map_request(move |request: Request<Incoming>| {
            request.map(|body| Body::new(TimeoutBody::new(body_idle_timeout, body)))
        });
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let (mut stop, alive) = (stop.clone(), alive.clone());
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection.with_upgrades());
            tokio::select! {
                result = connection.as_mut() => log_end(result),
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    log_end(connection.await);
                }
            }
            drop((permit, alive));
        });
    }
    // Refuse new connections at once (rather than leave them in the backlog), tell every
    // connection to finish, and wait for them — but not for ever: a client that stopped reading
    // can keep a response from ever being written, and the node still has its pending block to
    // commit.
    drop(listener);
    drop((stopping, alive));
    if tokio::time::timeout(DRAIN_TIMEOUT, all_closed.closed()).await.is_err() {
        tracing::warn!("connections still open {DRAIN_TIMEOUT:?} after shutdown began were dropped");
    }
}

/// The longest a shutdown waits for connections to finish what they are sending.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `error` concerns only the connection being accepted, not the listener.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(error.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset)
}

/// A connection that ended with an error: a client that timed out or went away, which is the
/// client's business (logged at debug level).
fn log_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%error, "a connection ended with an error");
    }
}
