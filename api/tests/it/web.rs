//! The full application ([`tidepool_api::server::app_with`]) around the API: the dashboard's
//! paths answer HTML without shadowing the API's, and CORS answers preflights by the node's
//! policy while requests without `Origin` (and an `OPTIONS` that is not a preflight) are the
//! router's as before; every answer carries a request id and is counted.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use tidepool_api::cors::Cors;
use tidepool_api::server::app_with;
use tidepool_node::{Node, NodeConfig};
use tower::ServiceExt;

fn app(dev: bool, cors: Option<Cors>) -> Router {
    let config = if dev { NodeConfig::dev() } else { NodeConfig { dev: false, ..NodeConfig::dev() } };
    app_with(Node::open(config).unwrap(), cors)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::builder().uri(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn dashboard_paths_answer_html_and_api_paths_stay_the_apis() {
    let app = app(true, Some(Cors::AnyOrigin));
    for path in [
        "/",
        "/markets",
        "/positions",
        "/positions/0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
        "/explorer/txs/0x12",
        "/panel",
    ] {
        let (status, headers, body) = send(&app, get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{path}");
        assert!(body.contains("<html") || body.contains("<!doctype html>"), "{path}");
    }
    for path in ["/v1/nothing", "/nothing", "/dev/nothing/else", "/assets/missing.js"] {
        let (status, headers, body) = send(&app, get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{path}");
        assert!(body.contains("not_found"), "{path}: {body}");
    }
    let (status, _, body) = send(&app, get("/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"status\":\"ok\""));
    let post = Request::builder().method(Method::POST).uri("/markets").body(Body::empty()).unwrap();
    let (status, _, body) = send(&app, post).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body.contains("method_not_allowed"), "{body}");
}

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/v1/txs")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_dev_node_answers_any_origin() {
    let app = app(true, Cors::for_node(true, &[]).unwrap());
    let (status, headers, _) = send(&app, preflight("http://localhost:5173")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(headers[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().unwrap().contains("POST"));
    assert!(headers[header::ACCESS_CONTROL_ALLOW_HEADERS].to_str().unwrap().contains("content-type"));
    let request =
        Request::builder().uri("/health").header(header::ORIGIN, "http://a.example").body(Body::empty()).unwrap();
    let (status, headers, _) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    // Not a preflight: the router's 405 with Allow, and no CORS headers.
    let options = Request::builder().method(Method::OPTIONS).uri("/v1/txs").body(Body::empty()).unwrap();
    let (status, headers, _) = send(&app, options).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(headers.contains_key(header::ALLOW));
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[tokio::test]
async fn allow_origin_restricts_it_and_turns_it_on_without_dev() {
    let allowed = vec!["http://localhost:5173".to_owned()];
    for dev in [true, false] {
        let app = app(dev, Cors::for_node(dev, &allowed).unwrap());
        let (_, headers, _) = send(&app, preflight("http://localhost:5173")).await;
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://localhost:5173", "dev {dev}");
        let (_, headers, _) = send(&app, preflight("http://evil.example")).await;
        assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN), "dev {dev}");
    }
    // No --dev, no --allow-origin: no CORS at all.
    let app = app(false, Cors::for_node(false, &[]).unwrap());
    let (status, headers, _) = send(&app, preflight("http://localhost:5173")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[test]
fn the_dashboards_prefixes_are_not_the_apis() {
    let document = tidepool_api::openapi::document(true);
    for page in tidepool_api::dashboard::PAGES {
        for path in document["paths"].as_object().unwrap().keys() {
            assert!(!path.starts_with(&format!("/{page}")), "/{page} shadows {path}");
        }
        assert!(!["v1", "dev", "health", "metrics", "openapi.json"].contains(page));
    }
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_is_counted() {
    // The middleware stack (server.rs: one stack over every route): ids in order, a client's
    // own id kept, every answer counted whatever its status.
    let app = app(true, Some(Cors::AnyOrigin));
    let counted = |metrics: &str| -> u64 {
        let line = metrics.lines().find(|l| l.starts_with("tidepool_http_requests_total ")).expect("the counter");
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let before = counted(&send(&app, get("/metrics")).await.2);
    let (_, first, _) = send(&app, get("/health")).await;
    let (_, second, _) = send(&app, get("/v1/nothing")).await;
    let id = |headers: &axum::http::HeaderMap| {
        headers["x-request-id"].to_str().unwrap().strip_prefix("req-").unwrap().parse::<u64>().unwrap()
    };
    assert_eq!(id(&second), id(&first) + 1);
    let own = Request::builder().uri("/health").header("x-request-id", "mine-7").body(Body::empty()).unwrap();
    assert_eq!(send(&app, own).await.1["x-request-id"], "mine-7");
    // Counted: the /metrics read itself, the three requests, and the read below.
    assert_eq!(counted(&send(&app, get("/metrics")).await.2), before + 4);
}
