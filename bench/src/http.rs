//! The HTTP side of the bench: a router served on `127.0.0.1`, and a load generator with one
//! hyper HTTP/1.1 connection per simulated client, so "64 connections" means exactly 64 sockets
//! each with one request in flight (a closed loop: the next request leaves when the answer is in).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::BenchError;
use axum::Router;
use axum::body::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, header};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tidepool_node::Node;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Barrier, oneshot};
use tokio::task::JoinHandle;

/// Safety cap on the requests of one timed measurement, whatever its duration.
const MAX_REQUESTS: u64 = 10_000_000;

/// How long a server may take to finish after its clients are gone.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A server on `127.0.0.1` (any free port) in the current runtime.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), tidepool_api::server::ServeError>>,
}

impl Server {
    /// Serves the node's full application, as `tidepool node` does ([`tidepool_api::server::serve`]).
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn node(node: Node) -> crate::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(tidepool_api::server::serve(listener, node, async move {
            let _ = stopped.await;
        }));
        Ok(Server { addr, stop, task })
    }

    /// Serves a bare router (the baselines), as the node serves its application
    /// ([`tidepool_api::connections::serve_connections`]).
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn router(router: Router) -> crate::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        // The node's own accept loop and limits, so the baseline pays what the node pays for them.
        let limits = tidepool_api::connections::ConnectionLimits::default();
        let task = tokio::spawn(async move {
            tidepool_api::connections::serve_connections(listener, router, limits, async move {
                let _ = stopped.await;
            })
            .await;
            Ok(())
        });
        Ok(Server { addr, stop, task })
    }

    /// Stops accepting, waits for the requests in flight, and returns.
    ///
    /// # Errors
    /// The server failed, or did not stop in time.
    pub async fn stop(self) -> crate::Result<()> {
        let _ = self.stop.send(());
        tokio::time::timeout(STOP_TIMEOUT, self.task)
            .await
            .map_err(|_| BenchError::workload("the server did not stop in time"))???;
        Ok(())
    }
}

/// One request, prepared before timing starts.
#[derive(Clone, Debug)]
pub struct Call {
    method: Method,
    path: String,
    body: Bytes,
}

impl Call {
    /// A GET.
    pub fn get(path: impl Into<String>) -> Call {
        Call { method: Method::GET, path: path.into(), body: Bytes::new() }
    }

    /// A POST with a JSON body.
    pub fn post(path: impl Into<String>, body: Vec<u8>) -> Call {
        Call { method: Method::POST, path: path.into(), body: Bytes::from(body) }
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut builder =
            Request::builder().method(self.method.clone()).uri(&self.path).header(header::HOST, "127.0.0.1");
        if !self.body.is_empty() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        builder.body(Full::new(self.body.clone())).expect("a valid request")
    }
}

/// What a load measurement saw. Latencies are per request, client side, in microseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Load {
    /// Connections (each with one request in flight).
    pub connections: usize,
    /// Requests answered with a 2xx.
    pub requests: u64,
    /// Requests answered otherwise, or lost with their connection.
    pub errors: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Answered requests per second.
    pub per_s: f64,
    /// Median latency.
    pub p50_us: u64,
    /// 99th percentile latency.
    pub p99_us: u64,
    /// Largest latency.
    pub max_us: u64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// One HTTP/1.1 connection to `addr`, without Nagle's delay.
pub(crate) async fn connect(addr: SocketAddr) -> crate::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer; `Ok(false)` for a non-2xx status.
async fn send(sender: &mut SendRequest<Full<Bytes>>, call: &Call) -> crate::Result<bool> {
    sender.ready().await?;
    let response = sender.send_request(call.request()).await?;
    let ok = response.status().is_success();
    response.into_body().collect().await?;
    Ok(ok)
}

struct ConnectionResult {
    histogram: Histogram<u64>,
    errors: u64,
}

impl ConnectionResult {
    fn new() -> ConnectionResult {
        ConnectionResult { histogram: histogram(), errors: 0 }
    }

    /// Sends `call` and records its latency (or an error); `false` once the connection is
    /// broken, and the client stops.
    async fn time(&mut self, sender: &mut SendRequest<Full<Bytes>>, call: &Call) -> bool {
        let t = Instant::now();
        match send(sender, call).await {
            Ok(true) => {
                let _ = self.histogram.record(t.elapsed().as_micros() as u64);
                true
            }
            Ok(false) => {
                self.errors += 1;
                true
            }
            Err(_) => {
                self.errors += 1;
                false
            }
        }
    }
}

/// Each of `connections` clients sends requests back to back for `duration`, cycling through
/// `calls` from its own starting point.
///
/// # Errors
/// A connection could not be made.
pub async fn closed_loop(
    addr: SocketAddr,
    connections: usize,
    duration: Duration,
    calls: Arc<Vec<Call>>,
) -> crate::Result<Load> {
    let per_connection_cap = MAX_REQUESTS / connections.max(1) as u64;
    let start_line = Arc::new(Barrier::new(connections + 1));
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let mut sender = connect(addr).await?;
        let calls = calls.clone();
        let start_line = start_line.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = ConnectionResult::new();
            start_line.wait().await;
            let deadline = Instant::now() + duration;
            let mut i = c * calls.len() / connections.max(1);
            let mut sent = 0;
            while Instant::now() < deadline && sent < per_connection_cap {
                let call = &calls[i % calls.len()];
                i += 1;
                sent += 1;
                if !out.time(&mut sender, call).await {
                    break;
                }
            }
            out
        }));
    }
    collect(connections, start_line, tasks).await
}

/// Each connection sends its own list of calls, in order (so a connection's transactions keep
/// their nonce order); returns when all are answered.
///
/// # Errors
/// A connection could not be made.
pub async fn fixed(addr: SocketAddr, lists: Vec<Vec<Call>>) -> crate::Result<Load> {
    let connections = lists.len();
    let start_line = Arc::new(Barrier::new(connections + 1));
    let mut tasks = Vec::with_capacity(connections);
    for list in lists {
        let mut sender = connect(addr).await?;
        let start_line = start_line.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = ConnectionResult::new();
            start_line.wait().await;
            for call in &list {
                if !out.time(&mut sender, call).await {
                    break;
                }
            }
            out
        }));
    }
    collect(connections, start_line, tasks).await
}

async fn collect(
    connections: usize,
    start_line: Arc<Barrier>,
    tasks: Vec<JoinHandle<ConnectionResult>>,
) -> crate::Result<Load> {
    start_line.wait().await;
    let start = Instant::now();
    let mut all = histogram();
    let mut errors = 0;
    for task in tasks {
        let result = task.await?;
        all.add(&result.histogram).expect("same bounds");
        errors += result.errors;
    }
    let seconds = start.elapsed().as_secs_f64();
    if all.is_empty() && errors > 0 {
        return Err(BenchError::workload(format!("every request failed ({errors})")));
    }
    Ok(Load {
        connections,
        requests: all.len(),
        errors,
        seconds,
        per_s: all.len() as f64 / seconds,
        p50_us: all.value_at_quantile(0.5),
        p99_us: all.value_at_quantile(0.99),
        max_us: all.max(),
    })
}
