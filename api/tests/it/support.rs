//! What the in-process route tests share: one request through the router (`Router::oneshot`),
//! the checks of the API's error shape, and a node with the sample market.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tidepool_node::{MarketCode, NodeConfig};
use tower::ServiceExt;

/// `config` with the sample lending market deployed at genesis, its compiled contracts kept in
/// the target directory's module cache (so each test does not compile them again).
pub(crate) fn with_market(config: NodeConfig) -> NodeConfig {
    let market =
        MarketCode::new(tidepool_artifacts::TOKEN, tidepool_artifacts::ORACLE, tidepool_artifacts::LENDING_POOL);
    NodeConfig { market: Some(market), module_cache_dir: NodeConfig::target_module_cache(), ..config }
}

/// An answer: status, `Allow` header, body as JSON (`Null` when it is not JSON).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) allow: Option<String>,
    pub(crate) body: Value,
}

pub(crate) async fn call(app: &Router, method: Method, uri: &str, body: Option<Value>) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let allow = response.headers().get(header::ALLOW).map(|v| v.to_str().unwrap().to_owned());
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer { status, allow, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// Asserts `answer` is an error with `status` and `code` in the `{"error":{"code","message"}}`
/// shape.
#[track_caller]
pub(crate) fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], code, "{}", answer.body);
    assert!(answer.body["error"]["message"].is_string(), "{}", answer.body);
    assert_eq!(answer.body.as_object().unwrap().len(), 1, "{}", answer.body);
}
