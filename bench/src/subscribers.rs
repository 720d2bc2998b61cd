//! What live streams cost the writer: workload 2 (token transfers, each with a receipt, a trace
//! and an event) while 100 clients follow `GET /v1/stream`, against the same transfers with no
//! one listening — in alternating runs, so drift hits both alike. Three times: with every topic
//! (each client reads every transaction and event) and with blocks only (little to read), both
//! gzip-compressed as browsers and `fetch` ask for them, which tells the cost of the streams'
//! traffic from the cost of being listened to; and every topic uncompressed, as `curl` without
//! `--compressed` asks, whose bytes are ~9× more. The clients count the bytes they read and
//! decode nothing (they stand for clients on other machines).
//!
//! The figure that matters is the writer's CPU time per transaction: streams are fed by their
//! own thread and the server's workers, so the writer should pay nothing but waking them. The
//! throughput ratio is shown too; on two cores it also counts the subscribers' share of the CPU.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde::Serialize;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use super::fixture::{Fixture, Picker};
use super::http::{Server, connect};
use super::workloads::{Throughput, timed_run, token_transfer};
use super::{Options, Progress};
use crate::BenchError;

/// How long a subscriber may take to get its stream's headers.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Workload 2 with and without subscribers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StreamCost {
    /// Clients following the stream during the `with` runs.
    pub subscribers: usize,
    /// What they follow (`topics=`).
    pub topics: String,
    /// Whether they ask for the stream gzip-compressed (`Accept-Encoding: gzip`).
    pub gzip: bool,
    /// Token transfers with nobody listening.
    pub without: Throughput,
    /// The same with every subscriber following every topic.
    pub with: Throughput,
    /// Bytes of stream the subscribers read, in all.
    pub bytes_read: u64,
    /// Streams the node ended before the bench did (a `close` message: a subscriber lagged).
    pub ended_early: usize,
}

impl StreamCost {
    /// Writer CPU per transaction with subscribers ÷ without (1.0: they cost it nothing).
    pub fn writer_ratio(&self) -> Option<f64> {
        (self.without.writer_us_per_tx > 0.0).then(|| self.with.writer_us_per_tx / self.without.writer_us_per_tx)
    }

    /// Throughput with subscribers ÷ without.
    pub fn throughput_ratio(&self) -> Option<f64> {
        (self.without.median > 0.0).then(|| self.with.median / self.without.median)
    }
}

/// Clients reading one stream each until dropped.
struct Subscribers {
    tasks: Vec<JoinHandle<()>>,
    bytes: Arc<AtomicU64>,
    ended: Arc<AtomicUsize>,
}

impl Subscribers {
    /// Opens `count` streams of `topics`, live from now; returns once each has its headers.
    async fn open(addr: SocketAddr, count: usize, topics: &str, gzip: bool) -> crate::Result<Subscribers> {
        let bytes = Arc::new(AtomicU64::new(0));
        let ended = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::with_capacity(count);
        for _ in 0..count {
            let body = tokio::time::timeout(CONNECT_TIMEOUT, subscribe(addr, topics, gzip))
                .await
                .map_err(|_| BenchError::workload("a stream did not open in time"))??;
            let (bytes, ended) = (bytes.clone(), ended.clone());
            tasks.push(tokio::spawn(async move {
                let mut body = body;
                while let Some(Ok(frame)) = body.frame().await {
                    if let Some(data) = frame.data_ref() {
                        bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                    }
                }
                ended.fetch_add(1, Ordering::Relaxed);
            }));
        }
        Ok(Subscribers { tasks, bytes, ended })
    }

    /// Drops every stream; the bytes read and how many streams had ended by themselves.
    fn close(self) -> (u64, usize) {
        let ended = self.ended.load(Ordering::Relaxed);
        for task in &self.tasks {
            task.abort();
        }
        (self.bytes.load(Ordering::Relaxed), ended)
    }
}

/// One `GET /v1/stream?topics=…` on its own connection; the body, once the status is 200.
async fn subscribe(addr: SocketAddr, topics: &str, gzip: bool) -> crate::Result<hyper::body::Incoming> {
    let mut sender = connect(addr).await?;
    let mut request = Request::get(format!("/v1/stream?topics={topics}")).header(hyper::header::HOST, addr.to_string());
    if gzip {
        request = request.header(hyper::header::ACCEPT_ENCODING, "gzip");
    }
    let request = request
        .body(Full::new(Bytes::new()))
        .map_err(|e| BenchError::workload(format!("building the stream request: {e}")))?;
    let response = sender.send_request(request).await?;
    if !response.status().is_success() {
        return Err(BenchError::workload(format!("GET /v1/stream answered {}", response.status())));
    }
    let compressed = response.headers().get(hyper::header::CONTENT_ENCODING).is_some_and(|v| v == "gzip");
    if compressed != gzip {
        return Err(BenchError::workload(format!("GET /v1/stream: asked for gzip {gzip}, answered gzip {compressed}")));
    }
    Ok(response.into_body())
}

/// Token transfers without and with `subscribers` following the stream's `topics` (asking for
/// gzip if `gzip`), `options.runs` each, alternating.
///
/// # Errors
/// A transaction failed, or a stream could not be opened.
pub fn stream_cost(
    fixture: &mut Fixture,
    options: &Options,
    runtime: &Runtime,
    subscribers: usize,
    topics: &str,
    gzip: bool,
    progress: &Progress,
) -> crate::Result<StreamCost> {
    let encoding = if gzip { "gzip" } else { "uncompressed" };
    progress.step(format_args!(
        "live streams: token transfers with and without {subscribers} subscribers to {topics}, {encoding}"
    ));
    let server = runtime.block_on(Server::node(fixture.node.clone()))?;
    let mut action = token_transfer(fixture);
    let mut picker = Picker::new(13);
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let (mut bytes_read, mut ended_early) = (0, 0);
    for run in 0..options.runs {
        let label = format!("no subscribers, run {}/{}", run + 1, options.runs);
        without.push(timed_run(fixture, options, options.token_transfers, &label, progress, &mut picker, &mut action)?);
        let listening = runtime.block_on(Subscribers::open(server.addr, subscribers, topics, gzip))?;
        let label = format!("{subscribers} subscribers, run {}/{}", run + 1, options.runs);
        let measured = timed_run(fixture, options, options.token_transfers, &label, progress, &mut picker, &mut action);
        // Let the streams take the last blocks before they are dropped.
        std::thread::sleep(Duration::from_millis(200));
        let (bytes, ended) = listening.close();
        with.push(measured?);
        bytes_read += bytes;
        ended_early += ended;
    }
    runtime.block_on(server.stop())?;
    let cost = StreamCost {
        subscribers,
        topics: topics.to_owned(),
        gzip,
        without: Throughput::new(options.batch, &without),
        with: Throughput::new(options.batch, &with),
        bytes_read,
        ended_early,
    };
    progress.step(format_args!(
        "  writer {:.1} → {:.1} µs/tx, {:.0} → {:.0} tx/s; subscribers read {:.1} MB, {} streams ended early",
        cost.without.writer_us_per_tx,
        cost.with.writer_us_per_tx,
        cost.without.median,
        cost.with.median,
        bytes_read as f64 / 1e6,
        ended_early
    ));
    Ok(cost)
}
