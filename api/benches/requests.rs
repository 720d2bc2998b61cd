//! The server's own work per request: the full application (`server::app`, middleware and all)
//! called in-process, without sockets or hyper, against an empty handler behind a bare router in
//! the same run, on a dev node in memory and on one on RocksDB (the store `tidepool node` runs
//! on). What the HTTP rows of `tidepool bench` (workload 4) cannot show within their
//! run-to-run noise: loopback TCP, hyper and the load generator are most of those figures.
//!
//! `cargo bench -p tidepool-api --profile dev --bench requests`. The last case installs the
//! log subscriber `tidepool node` runs with; `tidepool bench` runs the node without one.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, header};
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use tidepool_node::{MarketCode, Node, NodeConfig, StoreConfig, dev_accounts};
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// Sends `iters` requests that `request` builds through `app`, reading each body, and returns
/// the time taken.
fn run(runtime: &Runtime, app: &Router, iters: u64, request: impl Fn() -> Request<Body>) -> Duration {
    runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let response = app.clone().oneshot(request()).await.expect("infallible");
            assert!(response.status().is_success(), "{}", response.status());
            std::hint::black_box(to_bytes(response.into_body(), usize::MAX).await.expect("a body"));
        }
        start.elapsed()
    })
}

fn requests(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let market =
        MarketCode::new(tidepool_artifacts::TOKEN, tidepool_artifacts::ORACLE, tidepool_artifacts::LENDING_POOL);
    let node = Node::open(NodeConfig { market: Some(market.clone()), ..NodeConfig::dev() }).expect("a dev node");
    let usdc = node.market().expect("the market").tokens[0].address;
    // As `axum::serve` does: the router with its state applied once.
    let app = runtime.block_on(async { tidepool_api::server::app(node).with_state(()) });
    // The same node on RocksDB, the store `tidepool node` runs on.
    let data = tempfile::tempdir().expect("a temporary directory");
    let rocks_config = NodeConfig {
        market: Some(market),
        store: StoreConfig::RocksDb(data.path().to_path_buf()),
        ..NodeConfig::dev()
    };
    let rocks_node = Node::open(rocks_config).expect("a dev node on RocksDB");
    let rocks_app = runtime.block_on(async { tidepool_api::server::app(rocks_node).with_state(()) });
    let empty = Router::new().route("/", get(|| async {})).with_state(());
    let user = dev_accounts(1)[0].address;
    let account = format!("/v1/accounts/{user}");
    let query_path = format!("/v1/contracts/{usdc}/query");
    let query_body = format!(r#"{{"balance":{{"address":"{user}"}}}}"#);

    let mut group = c.benchmark_group("request");
    group.bench_function("empty handler, bare router", |b| {
        b.iter_custom(|iters| run(&runtime, &empty, iters, || Request::get("/").body(Body::empty()).unwrap()))
    });
    group.bench_function("GET /v1/accounts/{a}", |b| {
        b.iter_custom(|iters| run(&runtime, &app, iters, || Request::get(&account).body(Body::empty()).unwrap()))
    });
    let query = || {
        Request::post(&query_path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(query_body.clone()))
            .unwrap()
    };
    group.bench_function("POST /v1/contracts/{USDC}/query (balance)", |b| {
        b.iter_custom(|iters| run(&runtime, &app, iters, query))
    });
    group.bench_function("GET /v1/accounts/{a}, RocksDB", |b| {
        b.iter_custom(|iters| run(&runtime, &rocks_app, iters, || Request::get(&account).body(Body::empty()).unwrap()))
    });
    group.bench_function("POST /v1/contracts/{USDC}/query (balance), RocksDB", |b| {
        b.iter_custom(|iters| run(&runtime, &rocks_app, iters, query))
    });
    // Last, as it stays installed: `tidepool node`'s log subscriber (cli/src/node.rs), writing
    // nowhere. The request span (server.rs) is created and its fields formatted for every request.
    let filter = tracing_subscriber::EnvFilter::new("info,tower_http=info");
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::sink).init();
    group.bench_function("GET /v1/accounts/{a}, with the node's log subscriber", |b| {
        b.iter_custom(|iters| run(&runtime, &app, iters, || Request::get(&account).body(Body::empty()).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, requests);
criterion_main!(benches);
