//! `POST /v1/contracts/{a}/query`: short queries are answered on the async worker, long ones on
//! the blocking pool (`View::try_quick_query`); either way the answer is the contract's, at the
//! height read, with its gas.

use axum::Router;
use axum::http::Method;
use serde_json::json;
use tidepool_api::routes::{AppState, router};
use tidepool_node::{MarketCode, Node, NodeConfig, QUICK_QUERY_GAS, dev_accounts};

use crate::support::{assert_error, call};

/// A dev node with the sample market deployed, and its router.
fn dev_node_with_market() -> (Node, Router) {
    let market =
        MarketCode::new(tidepool_artifacts::TOKEN, tidepool_artifacts::ORACLE, tidepool_artifacts::LENDING_POOL);
    let node = Node::open(NodeConfig { market: Some(market), ..NodeConfig::dev() }).unwrap();
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
        let answer = call(&app, Method::POST, &format!("/v1/contracts/{contract}/query"), Some(msg)).await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
        let result: serde_json::Value = serde_json::from_slice(&expected.return_data).unwrap();
        assert_eq!(answer.body, json!({"height": view.height(), "result": result, "gas_used": expected.gas_used}));
        gas.push(expected.gas_used);
    }
    assert!(gas[..2].iter().all(|&g| g < QUICK_QUERY_GAS) && gas[2] > QUICK_QUERY_GAS, "both paths taken: {gas:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_messages_follow_the_transaction_number_rules() {
    let (node, app) = dev_node_with_market();
    let path = format!("/v1/contracts/{}/query", node.market().unwrap().pool);

    // A whole number written with a fraction or an exponent is an integer, as in a transaction.
    let plain = call(&app, Method::POST, &path, Some(json!({"positions": {"limit": 10}}))).await;
    assert_eq!(plain.status.as_u16(), 200, "{}", plain.body);
    for limit in [json!(10.0), json!(1e1)] {
        let whole = call(&app, Method::POST, &path, Some(json!({"positions": {"limit": limit}}))).await;
        assert_eq!(whole.status.as_u16(), 200, "{limit}: {}", whole.body);
        assert_eq!(whole.body, plain.body, "{limit}");
    }

    // A fraction is refused before the contract runs, with the transaction's error code.
    for limit in [json!(1.5), json!(-0.25), json!(1.0e300)] {
        let refused = call(&app, Method::POST, &path, Some(json!({"positions": {"limit": limit}}))).await;
        assert_error(&refused, 400, "unsupported_number");
    }
}
