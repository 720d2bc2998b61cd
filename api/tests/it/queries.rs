//! `POST /v1/contracts/{a}/query` and its `GET …/query?msg=` form: short queries are answered
//! on the async worker, long ones on the blocking pool (`View::try_quick_query`); either way the
//! answer is the contract's, at the height read, with its gas, and both forms answer alike.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, header};
use serde_json::json;
use tidepool_api::routes::{AppState, router};
use tidepool_node::{Node, NodeConfig, QUICK_QUERY_GAS, dev_accounts};
use tower::ServiceExt;

use crate::support::{Answer, assert_error, call, with_market};

/// The two forms of a query: the message as the body, or in the URL.
#[derive(Clone, Copy, Debug)]
enum Form {
    Body,
    Url,
}

/// Queries `contract` with `msg` in `form`, with `params` (`height=…`, or nothing) in the URL.
async fn ask(
    app: &Router,
    form: Form,
    contract: impl std::fmt::Display,
    msg: &serde_json::Value,
    params: &str,
) -> Answer {
    let path = format!("/v1/contracts/{contract}/query");
    match form {
        Form::Body => {
            let uri = if params.is_empty() { path } else { format!("{path}?{params}") };
            call(app, Method::POST, &uri, Some(msg.clone())).await
        }
        Form::Url => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("msg", &msg.to_string());
            let uri = format!("{path}?{}", query.finish());
            let uri = if params.is_empty() { uri } else { format!("{uri}&{params}") };
            call(app, Method::GET, &uri, None).await
        }
    }
}

/// A dev node with the sample market deployed, and its router.
fn dev_node_with_market() -> (Node, Router) {
    let node = Node::open(with_market(NodeConfig::dev())).unwrap();
    let app = router(AppState::new(node.clone()));
    (node, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_and_long_queries_answer_as_the_node_does() {
    let (node, app) = dev_node_with_market();
    let market = node.market().unwrap();
    let user = dev_accounts(2)[1].address;
    let queries = [
        (market.tokens[0].address, json!({"balance": {"address": user}})),
        (market.pool, json!({"position": {"user": user}})),
        (market.pool, json!({"positions": {"limit": 100}})),
    ];
    let view = node.view().unwrap();
    let mut gas = Vec::new();
    for (contract, msg) in queries {
        let expected = view.query(&contract, msg.to_string().as_bytes()).unwrap();
        let result: serde_json::Value = serde_json::from_slice(&expected.return_data).unwrap();
        for form in [Form::Body, Form::Url] {
            let answer = ask(&app, form, contract, &msg, "").await;
            assert_eq!(answer.status.as_u16(), 200, "{form:?}: {}", answer.body);
            assert_eq!(
                answer.body,
                json!({"height": view.height(), "result": result, "gas_used": expected.gas_used}),
                "{form:?}"
            );
        }
        gas.push(expected.gas_used);
    }
    assert!(gas[..2].iter().all(|&g| g < QUICK_QUERY_GAS) && gas[2] > QUICK_QUERY_GAS, "both paths taken: {gas:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_messages_follow_the_transaction_number_rules() {
    let (node, app) = dev_node_with_market();
    let pool = node.market().unwrap().pool;
    for form in [Form::Body, Form::Url] {
        // A whole number written with a fraction or an exponent is an integer, as in a transaction.
        let plain = ask(&app, form, pool, &json!({"positions": {"limit": 10}}), "").await;
        assert_eq!(plain.status.as_u16(), 200, "{form:?}: {}", plain.body);
        for limit in [json!(10.0), json!(1e1)] {
            let whole = ask(&app, form, pool, &json!({"positions": {"limit": limit}}), "").await;
            assert_eq!(whole.status.as_u16(), 200, "{form:?} {limit}: {}", whole.body);
            assert_eq!(whole.body, plain.body, "{form:?} {limit}");
        }

        // A fraction is refused before the contract runs, with the transaction's error code.
        for limit in [json!(1.5), json!(-0.25), json!(1.0e300)] {
            let refused = ask(&app, form, pool, &json!({"positions": {"limit": limit}}), "").await;
            assert_error(&refused, 400, "unsupported_number");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_forms_read_the_height_asked_and_refuse_alike() {
    let (node, app) = dev_node_with_market();
    let market = node.market().unwrap();
    let user = dev_accounts(2)[1].address;
    let token = market.tokens[0].address;
    let balance = json!({"balance": {"address": user}});
    let before = node.latest_block().unwrap().height;
    let minted = ask(&app, Form::Body, token, &balance, "").await.body["result"].clone();
    node.mine(1).unwrap();
    for form in [Form::Body, Form::Url] {
        // A past height reads that block's state; one above the latest is not there yet.
        let past = ask(&app, form, token, &balance, &format!("height={before}")).await;
        assert_eq!(past.status.as_u16(), 200, "{form:?}: {}", past.body);
        assert_eq!((past.body["height"].as_u64(), &past.body["result"]), (Some(before), &minted), "{form:?}");
        assert_error(&ask(&app, form, token, &balance, &format!("height={}", before + 2)).await, 404, "not_found");
        // No contract there; a message the contract refuses; an unknown parameter.
        assert_error(&ask(&app, form, user, &balance, "").await, 404, "not_found");
        assert_error(&ask(&app, form, token, &json!({"no_such_query": {}}), "").await, 422, "query_failed");
        assert_error(&ask(&app, form, token, &balance, "extra=1").await, 400, "bad_request");
    }

    // In the URL, the message is a required parameter, and must be JSON (as the body must).
    let path = format!("/v1/contracts/{token}/query");
    for (query, why, code) in [
        ("", "no msg", "bad_request"),
        ("?height=1", "no msg", "bad_request"),
        ("?msg=%7Bbalance", "not JSON", "malformed_json"),
        ("?msg=", "empty", "malformed_json"),
    ] {
        let refused = call(&app, Method::GET, &format!("{path}{query}"), None).await;
        assert_error(&refused, 400, code);
        assert!(refused.body["error"]["message"].as_str().unwrap().contains("msg"), "{why}: {}", refused.body);
    }
    assert_eq!(node.latest_block().unwrap().height, before + 1, "queries made no block");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_past_the_servers_limit_is_a_414_as_documented() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::{Duration, timeout};

    let (node, _) = dev_node_with_market();
    let token = node.market().unwrap().tokens[0].address;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tidepool_api::server::serve(listener, node, async {
        let _ = stopped.await;
    }));
    // The status line of a GET of a URL `length` bytes long, a query whose message is a string.
    let status_of = |length: usize| async move {
        let prefix = format!("/v1/contracts/{token}/query?msg=%22");
        let uri = format!("{prefix}{}%22", "a".repeat(length - prefix.len() - 3));
        assert_eq!(uri.len(), length);
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let request = format!("GET {uri} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
    };
    // The limit the 414's description gives: at it, the contract reads the message (and refuses
    // a string); one byte over, the server refuses the URL.
    let at_limit = timeout(Duration::from_secs(30), status_of(65_534)).await.unwrap();
    assert_eq!(at_limit, "HTTP/1.1 422 Unprocessable Entity");
    let over = timeout(Duration::from_secs(30), status_of(65_535)).await.unwrap();
    assert_eq!(over, "HTTP/1.1 414 URI Too Long");
    stop.send(()).unwrap();
    timeout(Duration::from_secs(30), server).await.unwrap().unwrap().unwrap();
}

/// Queries `contract` with the message text `msg` (JSON or not) in `form`.
async fn ask_text(app: &Router, form: Form, contract: impl std::fmt::Display, msg: &str) -> Answer {
    let path = format!("/v1/contracts/{contract}/query");
    let request = match form {
        Form::Body => {
            Request::post(path).header(header::CONTENT_TYPE, "application/json").body(Body::from(msg.to_owned()))
        }
        Form::Url => {
            let query = form_urlencoded::Serializer::new(String::new()).append_pair("msg", msg).finish();
            Request::get(format!("{path}?{query}")).body(Body::empty())
        }
    };
    let response = app.clone().oneshot(request.unwrap()).await.unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer { status, allow: None, body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_forms_refuse_a_message_that_is_not_one_alike() {
    let (node, app) = dev_node_with_market();
    let pool = node.market().unwrap().pool;
    let deep = |levels: usize| "[".repeat(levels) + &"]".repeat(levels);
    // Each refused text, its code, and what the message says.
    for (msg, code, says) in [
        (r#"{"config":"#.to_owned(), "malformed_json", "EOF while parsing"),
        ("{balance".to_owned(), "malformed_json", "key must be a string"),
        (String::new(), "malformed_json", "EOF while parsing"),
        // JSON, but not a number a message holds: refused as a fraction is.
        ("1e400".to_owned(), "unsupported_number", "1e400"),
        (r#"{"positions":{"limit":-1E+999}}"#.to_owned(), "unsupported_number", "-1E+999"),
        (r#"{"positions":{"limit":1.5}}"#.to_owned(), "unsupported_number", "1.5"),
        // Deeper than serde_json reads.
        (deep(128), "malformed_json", "nested deeper than 127 levels"),
    ] {
        let body = ask_text(&app, Form::Body, pool, &msg).await;
        let url = ask_text(&app, Form::Url, pool, &msg).await;
        assert_error(&body, 400, code);
        assert_error(&url, 400, code);
        let said = |answer: &Answer| answer.body["error"]["message"].as_str().unwrap().to_owned();
        assert!(said(&body).contains(says), "{msg:.40}: {}", body.body);
        assert_eq!(said(&body).replace("the request body", "the msg parameter"), said(&url), "{msg:.40}");
        if code == "malformed_json" {
            assert!(said(&body).starts_with("Failed to parse the request body as JSON: "), "{}", body.body);
        }
    }
    // 127 levels are a message: the contract reads it (and refuses an array).
    for form in [Form::Body, Form::Url] {
        assert_error(&ask_text(&app, form, pool, &deep(127)).await, 422, "query_failed");
    }
    // The limit is the body's, in every body: a simulated transaction's message is two levels
    // into it, so it may have 125.
    let from = dev_accounts(1)[0].address;
    let tx = tidepool_node::Transaction {
        chain_id: tidepool_node::DEV_CHAIN_ID,
        nonce: 0,
        from,
        gas_limit: 1_000_000,
        action: tidepool_node::Action::Execute { contract: pool, msg: json!("DEEP"), funds: 0 },
    };
    let tx = serde_json::to_string(&tx).unwrap();
    let simulate_with = |body: &str| {
        Request::post("/v1/simulate")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let simulate = |levels: usize| simulate_with(&tx.replace("\"DEEP\"", &deep(levels)));
    let response = app.clone().oneshot(simulate(125)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "125 levels are read");
    let response = app.clone().oneshot(simulate_with(&tx.replace("\"DEEP\"", "[1e400]"))).await.unwrap();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("\"unsupported_number\""), "{text}");
    let request = simulate(126);
    let response = app.clone().oneshot(request).await.unwrap();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("malformed_json") && text.contains("nested deeper than 127 levels"), "{text}");
}
