//! What a route checks of a request body before reading it: a content coding is refused (415), a
//! declared length over the route's limit is a 413 before any byte is read (and with
//! `Expect: 100-continue`, no `100 Continue`), a body read past the limit is a 413 naming it,
//! and a content type with white space before its `;` is read as JSON.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::http::{Request, header};
use serde_json::{Value, json};
use tidepool_api::routes::{AppState, router};
use tidepool_node::{Node, NodeConfig, dev_accounts};
use tower::ServiceExt;

use crate::support::{Answer, assert_error};

fn app() -> (Node, Router) {
    let node = Node::open(NodeConfig::dev()).unwrap();
    (node.clone(), router(AppState::new(node)))
}

fn faucet_body() -> String {
    json!({ "address": dev_accounts(2)[1].address, "amount": "1" }).to_string()
}

/// `request` through `app`, given at most 10 s (a route that waited for a body never sent would
/// hang).
async fn send(app: &Router, request: Request<Body>) -> (Answer, axum::http::HeaderMap) {
    let response = tokio::time::timeout(Duration::from_secs(10), app.clone().oneshot(request))
        .await
        .expect("answered without reading the body")
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (Answer { status: parts.status, allow: None, body }, parts.headers)
}

/// A body that never sends a byte.
fn never() -> Body {
    Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>())
}

fn message(answer: &Answer) -> &str {
    answer.body["error"]["message"].as_str().unwrap()
}

#[tokio::test]
async fn a_content_coding_is_a_415_before_the_body_is_acted_on() {
    let (node, app) = app();
    for coding in ["gzip", "br", "identity, gzip", "x-anything"] {
        let request = Request::post("/dev/faucet")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_ENCODING, coding)
            .body(Body::from(faucet_body()))
            .unwrap();
        let (answer, headers) = send(&app, request).await;
        assert_error(&answer, 415, "unsupported_content_encoding");
        assert!(message(&answer).contains("Content-Encoding"), "{}", answer.body);
        assert_eq!(headers[header::ACCEPT_ENCODING], "identity");
    }
    assert_eq!(node.latest_block().unwrap().height, 0, "the faucet mined nothing");
    // `identity` is no coding at all.
    let request = Request::post("/dev/faucet")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_ENCODING, "identity")
        .body(Body::from(faucet_body()))
        .unwrap();
    let (answer, _) = send(&app, request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(node.latest_block().unwrap().height, 1);
    // The operations that read a body document the 415 with its code.
    let doc = tidepool_api::openapi::document(true);
    for (path, method) in [("/dev/faucet", "post"), ("/v1/txs", "post"), ("/v1/contracts/{address}/query", "post")] {
        let description = doc["paths"][path][method]["responses"]["415"]["description"].as_str().unwrap();
        assert!(description.contains("unsupported_content_encoding"), "{method} {path}: {description}");
    }
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_a_413_naming_it_before_any_byte_is_read() {
    let (node, app) = app();
    // The body is never sent: the answer must not wait for it.
    for (uri, length, limit) in [
        ("/dev/faucet", 9_000_000u64, "8 MiB (8388608 bytes)"),
        ("/v1/txs", 8 * 1024 * 1024 + 1, "8 MiB (8388608 bytes)"),
        ("/dev/snapshot", 9_000_000, "8 MiB (8388608 bytes)"),
        ("/dev/load_state", 300 * 1024 * 1024, "256 MiB (268435456 bytes)"),
    ] {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, length)
            .header(header::EXPECT, "100-continue")
            .body(never())
            .unwrap();
        let (answer, _) = send(&app, request).await;
        assert_error(&answer, 413, "body_too_large");
        assert!(message(&answer).contains(limit), "{uri}: {}", answer.body);
        assert!(message(&answer).contains(&length.to_string()), "{uri}: {}", answer.body);
    }
    assert_eq!(node.latest_block().unwrap().height, 0);
}

#[tokio::test]
async fn a_body_read_past_the_limit_is_a_413_naming_it() {
    let (node, app) = app();
    // Chunks with no declared length, past 8 MiB.
    let chunks = (0..9).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 1024 * 1024])));
    let request = Request::post("/dev/faucet")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    let (answer, _) = send(&app, request).await;
    assert_error(&answer, 413, "body_too_large");
    assert!(message(&answer).contains("8 MiB (8388608 bytes)"), "{}", answer.body);
    assert_eq!(node.latest_block().unwrap().height, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_with_a_length_over_the_limit_gets_the_413_and_no_100() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tidepool_api::server::serve(listener, Node::open(NodeConfig::dev()).unwrap(), async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = "POST /dev/faucet HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
                   content-length: 9000000\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.contains("8 MiB"), "{answer}");
    drop(stream);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), server).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn a_json_content_type_is_read_with_white_space_before_its_parameters_and_as_a_json_suffix() {
    let (node, app) = app();
    for content_type in [
        "application/json ; charset=utf-8",
        "application/json\t;charset=utf-8",
        "application/json;;charset=utf-8",
        "Application/JSON; charset=UTF-8",
        "application/vnd.example+json",
    ] {
        let request = Request::post("/dev/faucet")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(faucet_body()))
            .unwrap();
        let (answer, _) = send(&app, request).await;
        assert_eq!(answer.status, 200, "{content_type:?}: {}", answer.body);
    }
    for content_type in ["text/json", "application/x-www-form-urlencoded", "json"] {
        let request = Request::post("/dev/faucet")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(faucet_body()))
            .unwrap();
        let (answer, _) = send(&app, request).await;
        assert_error(&answer, 415, "malformed_json");
    }
    assert_eq!(node.latest_block().unwrap().height, 5);
}

/// What hyper answers itself, before the API reads the request, with an empty body (docs/api.md,
/// the 400, 414 and 431 rows): the status line and the whole answer of `head`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_server_refuses_a_malformed_head_itself_with_an_empty_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tidepool_api::server::serve(listener, Node::open(NodeConfig::dev()).unwrap(), async {
        let _ = stopped.await;
    }));
    let answer_to = |head: String| async move {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        // The server may answer before it has read everything, and close.
        let _ = stream.write_all(head.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await.unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    };
    let many_headers: String = (0..200).map(|i| format!("x-header-{i}: {i}\r\n")).collect();
    let long_url = format!("/v1/blocks/{}", "9".repeat(1_000_000));
    let post = |length: &str| {
        format!("POST /dev/faucet HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n{length}\r\n{{}}")
    };
    for (head, status) in [
        (format!("GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n{many_headers}\r\n"), "431"),
        (format!("GET {long_url} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"), "431"),
        (post("content-length: -1\r\n"), "400"),
        (post(&format!("content-length: {}\r\n", "9".repeat(20))), "400"),
        (post("content-length: 2\r\ncontent-length: 3\r\n"), "400"),
    ] {
        let answer = answer_to(head.clone()).await;
        let (status_line, rest) = answer.split_once("\r\n").unwrap_or((&answer, ""));
        assert!(status_line.starts_with(&format!("HTTP/1.1 {status} ")), "{:.80}: {answer}", head);
        assert!(rest.to_ascii_lowercase().contains("content-length: 0") && rest.ends_with("\r\n\r\n"), "{answer}");
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), server).await.unwrap().unwrap().unwrap();
}
