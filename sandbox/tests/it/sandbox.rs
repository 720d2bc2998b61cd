//! The Sandbox with the sample token: accounts, native balances, upload and instantiate,
//! transfers, allowances, permission errors, events, typed queries, rejections, traces — every
//! call a signed transaction through the node.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tidepool_node::error::Rejection;
use tidepool_node::{NodeError, ONE_TOKEN};
use tidepool_sandbox::{ACCOUNT_BALANCE, Account, Contract, ErrorKind, GENESIS_TIME, HasAddress, Sandbox, TxResultExt};

/// The token's execute messages, as a contract author would type them.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum TokenMsg {
    Transfer { to: String, amount: String },
    TransferFrom { owner: String, to: String, amount: String },
    Approve { spender: String, amount: String },
    Mint { to: String, amount: String },
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum TokenQuery {
    Balance { address: String },
    Allowance { owner: String, spender: String },
    TokenInfo {},
}

#[derive(Deserialize, Debug, PartialEq)]
struct BalanceResponse {
    balance: String,
}

#[derive(Deserialize, Debug)]
struct AllowanceResponse {
    allowance: String,
}

#[derive(Deserialize, Debug)]
struct TokenInfo {
    symbol: String,
    decimals: u8,
    total_supply: String,
    minter: Option<String>,
}

fn addr(who: &impl HasAddress) -> String {
    who.address().to_string()
}

/// A Sandbox with alice (holding 1,000,000 COIN and minter), bob and the token.
fn token_sandbox() -> (Sandbox, Account, Account, Contract) {
    let sandbox = Sandbox::new();
    let alice = sandbox.account("alice");
    let bob = sandbox.account("bob");
    let code = sandbox.upload(tidepool_artifacts::TOKEN).expect_success();
    let init = json!({
        "name": "Coin", "symbol": "COIN", "decimals": 6,
        "initial_balances": [{"address": alice.address(), "amount": "1000000"}],
        "minter": alice.address(),
    });
    let token = sandbox.instantiate(&code, &alice, &init, "coin").expect_success();
    (sandbox, alice, bob, token)
}

fn balance(token: &Contract, who: &impl HasAddress) -> u128 {
    let answer: BalanceResponse = token.query(&TokenQuery::Balance { address: addr(who) }).unwrap();
    answer.balance.parse().unwrap()
}

#[test]
fn accounts_are_named_funded_and_deterministic() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.block_height(), 0);
    assert_eq!(sandbox.block_time(), GENESIS_TIME);
    let alice = sandbox.account("alice");
    assert_eq!(alice.address(), Account::from_name("alice").address());
    assert_eq!(alice.address(), Sandbox::new().account("alice").address(), "same name, same address everywhere");
    assert_ne!(alice.address(), sandbox.account("bob").address());
    sandbox.assert_balance(&alice, ACCOUNT_BALANCE);
    // Asking again neither re-funds nor changes anything.
    sandbox.account("alice");
    sandbox.assert_balance(&alice, ACCOUNT_BALANCE);

    sandbox.faucet(&alice, 5);
    sandbox.assert_balance(&alice, ACCOUNT_BALANCE + 5);
    sandbox.set_balance(&alice, 7 * ONE_TOKEN);
    assert_eq!(sandbox.balance(&alice.address()), 7 * ONE_TOKEN);

    // An empty chain has no dev accounts (Sandbox::with_market has ten).
    let none = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sandbox.dev_account(0)));
    assert!(none.is_err());
}

#[test]
fn native_transfers_are_signed_transactions_with_nonces() {
    let sandbox = Sandbox::new();
    let (alice, bob) = (sandbox.account("alice"), sandbox.account("bob"));
    let carol = Account::from_name("carol"); // never funded
    assert_eq!(sandbox.nonce(&alice), 0);
    let sent = sandbox.transfer(&alice, &carol, 300).expect_success();
    assert_eq!(sent.gas_used(), tidepool_node::apply::TX_BASE_GAS);
    assert!(sent.trace().is_none(), "a native transfer runs no contract");
    sandbox.transfer(&alice, &bob, 1).expect_success();
    assert_eq!(sandbox.nonce(&alice), 2);
    sandbox.assert_balance(&carol, 300);
    sandbox.assert_balance(&alice, ACCOUNT_BALANCE - 301);

    // The node stored it as a signed transaction.
    let (stored, receipt) = sandbox.node().transaction(&sent.tx_hash()).unwrap().expect("stored");
    assert!(stored.signature.is_some());
    assert_eq!(stored.tx.from, alice.address());
    assert_eq!(&receipt, sent.receipt());

    // An unfunded sender is refused by the node: nothing changes, not even the nonce.
    let error = sandbox.transfer(&carol, &alice, 1000).expect_error("insufficient funds");
    assert_eq!(error.kind(), ErrorKind::Rejected);
    assert!(matches!(
        error.node_error(),
        Some(NodeError::Rejected(Rejection::InsufficientFunds { needed: 1000, available: 300 }))
    ));
    assert_eq!(sandbox.nonce(&carol), 0);
}

#[test]
fn token_transfers_move_balances_and_emit_events() {
    let (sandbox, alice, bob, token) = token_sandbox();
    assert_eq!(token.instantiation().unwrap().events().len(), 1, "the initial balance is a mint event");
    assert_eq!(balance(&token, &alice), 1_000_000);

    let sent = token.execute(&alice, &TokenMsg::Transfer { to: addr(&bob), amount: "2500".into() }).expect_success();
    sent.assert_event("transfer", &json!({"from": addr(&alice), "to": addr(&bob), "amount": 2500}))
        .assert_event_from(&token, "transfer", &json!({"delivered": "2500"}))
        .assert_no_event("mint");
    assert_eq!(sent.events().len(), 1);
    assert_eq!(sent.event("transfer").unwrap().contract, token.address());
    assert_eq!(sent.trace().unwrap().entry_point, "execute");
    assert_eq!(sent.trace().unwrap().contract, token.address());
    // The receipt's gas is the base cost plus what the call tree used.
    assert_eq!(sent.gas_used(), tidepool_node::apply::TX_BASE_GAS + sent.trace().unwrap().gas_used);
    assert_eq!(balance(&token, &alice), 997_500);
    assert_eq!(balance(&token, &bob), 2_500);
    // What it changed: both balances, keys read along the SDK's layout, values as JSON.
    let changed = |who: &Account| {
        let suffix = format!("[{}]", who.address());
        sent.state_diff()
            .storage
            .iter()
            .find(|c| c.decoded_key.as_deref().is_some_and(|k| k.ends_with(&suffix)))
            .cloned()
    };
    let (from, to) = (changed(&alice).expect("alice's balance changed"), changed(&bob).expect("bob's balance changed"));
    assert_eq!((from.before_json, from.after_json), (Some(json!("1000000")), Some(json!("997500"))));
    assert_eq!((to.before, to.after_json), (None, Some(json!("2500"))));

    // Typed answers.
    let info: TokenInfo = token.query(&TokenQuery::TokenInfo {}).unwrap();
    assert_eq!((info.symbol.as_str(), info.decimals, info.total_supply.as_str()), ("COIN", 6, "1000000"));
    assert_eq!(info.minter.unwrap(), addr(&alice), "the contract spells it as the node does (EIP-55)");
    let (raw, query_gas): (Value, u64) = token.query_with_gas(&json!({"balance": {"address": bob.address()}})).unwrap();
    assert_eq!(raw, json!({"balance": "2500"}));
    assert!(query_gas > 0);

    // The contract and its code are on chain, named in traces.
    let info = token.info();
    assert_eq!(info.label, "coin");
    assert_eq!(info.creator, alice.address());
    assert_eq!(info.admin, Some(alice.address()));
    assert!(format!("{token:?}").contains("coin ["), "{token:?}");
    assert!(sandbox.block_height() > 0);
}

#[test]
fn allowances_and_their_errors() {
    let (sandbox, alice, bob, token) = token_sandbox();
    let carol = sandbox.account("carol");
    token
        .execute(&alice, &TokenMsg::Approve { spender: addr(&bob), amount: "100".into() })
        .expect_success()
        .assert_event("approve", &json!({"owner": addr(&alice), "spender": addr(&bob), "amount": "100"}));
    let allowance: AllowanceResponse =
        token.query(&TokenQuery::Allowance { owner: addr(&alice), spender: addr(&bob) }).unwrap();
    assert_eq!(allowance.allowance, "100");

    let spend = |amount: &str| TokenMsg::TransferFrom { owner: addr(&alice), to: addr(&carol), amount: amount.into() };
    token.execute(&bob, &spend("60")).expect_success().assert_event("transfer", &json!({"to": addr(&carol)}));
    let error = token.execute(&bob, &spend("41")).expect_error("insufficient allowance: have 40, need 41");
    assert_eq!(error.kind(), ErrorKind::Reverted);
    // Carol was never approved.
    token.execute(&carol, &spend("1")).expect_error("insufficient allowance: have 0, need 1");
    assert_eq!(balance(&token, &carol), 60);
    assert_eq!(balance(&token, &alice), 1_000_000 - 60);
}

#[test]
fn permission_errors_are_reverted_receipts_with_a_trace() {
    let (sandbox, alice, bob, token) = token_sandbox();
    let nonce = sandbox.nonce(&bob);
    let error = token.execute(&bob, &TokenMsg::Mint { to: addr(&bob), amount: "5".into() }).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Reverted);
    assert_eq!(error.message(), "reverted: unauthorized: only the minter can mint");
    error.assert_message("only the minter");
    assert!(error.contains("unauthorized"));
    // Mined: the nonce moved, gas was used, nothing else changed.
    assert_eq!(sandbox.nonce(&bob), nonce + 1);
    let receipt = error.receipt().expect("a reverted transaction has a receipt");
    assert_eq!(receipt.from, bob.address());
    assert!(error.gas_used() > 0 && error.gas_used() == receipt.gas_used);
    assert_eq!(balance(&token, &bob), 0);
    let frame = error.trace().unwrap();
    assert_eq!(frame.error.as_deref(), Some("reverted: unauthorized: only the minter can mint"));

    // The readable trace names who did what.
    let report = format!("{error:?}");
    assert!(report.starts_with("reverted: unauthorized: only the minter can mint  (tx 0x"), "{report}");
    assert!(report.contains("by bob, height"), "{report}");
    assert!(report.contains("coin [0x"), "{report}");
    assert!(report.contains("execute · gas"), "{report}");
    assert!(report.contains("failed: reverted: unauthorized"), "{report}");
    assert_eq!(error.to_string(), error.message());

    // The minter may.
    token.execute(&alice, &TokenMsg::Mint { to: addr(&bob), amount: "5".into() }).expect_success();
    assert_eq!(balance(&token, &bob), 5);
}

#[test]
fn expect_success_panics_with_the_trace() {
    let (_sandbox, _alice, bob, token) = token_sandbox();
    let failed = token.execute(&bob, &TokenMsg::Transfer { to: addr(&bob), amount: "1".into() });
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| failed.expect_success())).unwrap_err();
    let message = panic.downcast_ref::<String>().expect("a formatted panic message");
    assert!(message.starts_with("expected success, got:\nreverted: insufficient balance: have 0, need 1"), "{message}");
    assert!(message.contains("call tree:\n  coin [0x"), "{message}");

    // And expect_error on a success shows what happened instead.
    let ok = token.query::<Value>(&TokenQuery::TokenInfo {});
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ok.expect_error("anything"))).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("but the call succeeded"), "{message}");
    assert!(message.contains("COIN"), "{message}");
}

#[test]
fn executed_prints_a_readable_trace() {
    let (_sandbox, alice, bob, token) = token_sandbox();
    let sent = token.execute(&alice, &TokenMsg::Transfer { to: addr(&bob), amount: "1".into() }).unwrap();
    let report = sent.report();
    // The token answers what it delivered; the report shows the answer after the status.
    assert!(report.starts_with(r#"success: {"delivered":"1"}  (tx 0x"#), "{report}");
    assert!(report.contains("by alice"), "{report}");
    assert!(report.contains("\ncall tree:\n  coin [0x"), "{report}");
    assert!(report.contains(" ok\n"), "{report}");
    assert!(report.contains("\nevents:\n  coin transfer {"), "{report}");
}

#[test]
fn rejections_and_query_failures_are_typed() {
    let (sandbox, alice, _bob, token) = token_sandbox();
    // Not wasm at all.
    let error = sandbox.upload(b"not wasm").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
    assert!(error.message().starts_with("rejected: invalid code"), "{error:?}");
    // A contract that does not exist.
    let ghost = sandbox.contract_at(alice.address());
    let error = ghost.execute(&alice, &json!({})).unwrap_err();
    assert!(matches!(error.node_error(), Some(NodeError::Rejected(Rejection::UnknownContract(_)))), "{error:?}");
    // The contract refuses a message it does not know.
    let error = token.query::<Value>(&json!({"no_such_query": {}})).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::QueryFailed);
    assert!(error.trace().is_some(), "{error:?}");
    assert!(format!("{error:?}").starts_with("query failed: "), "{error:?}");
    // The answer is not the type asked for.
    let error = token.query::<AllowanceResponse>(&TokenQuery::TokenInfo {}).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("does not decode as"), "{error}");
    // Attached funds the sender does not have.
    let error = token.execute_with_funds(&alice, &json!({}), ACCOUNT_BALANCE * 2).unwrap_err();
    assert!(matches!(error.node_error(), Some(NodeError::Rejected(Rejection::InsufficientFunds { .. }))), "{error:?}");
}

#[test]
fn funds_attached_to_calls_reach_the_contract() {
    let sandbox = Sandbox::new();
    let alice = sandbox.account("alice");
    let code = sandbox.upload(tidepool_artifacts::ORACLE).unwrap();
    let oracle = sandbox.instantiate_with(&code, &alice, &json!({}), "oracle", 1_000, None).expect_success();
    sandbox.assert_balance(&oracle, 1_000);
    assert_eq!(oracle.info().admin, None);
    oracle
        .execute_with_funds(&alice, &json!({"set_price": {"asset": alice.address(), "price": "1"}}), 500)
        .expect_success();
    sandbox.assert_balance(&oracle, 1_500);
    sandbox.assert_balance(&alice, ACCOUNT_BALANCE - 1_500);
}
