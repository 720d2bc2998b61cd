//! The `positions` query: every account with a position, a page at a time in address order,
//! each valued like `position` when its prices are fresh and with the reason when they are not.

use serde_json::{Value, json};

use super::harness::*;

/// Every page of `positions` with `limit`, following `next`.
fn all_pages(m: &Market, limit: u32) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut start_after = Value::Null;
    for _ in 0..100 {
        let page = m.query(json!({"positions": {"start_after": start_after, "limit": limit}}));
        entries.extend(page["positions"].as_array().unwrap().iter().cloned());
        if page["next"].is_null() {
            return entries;
        }
        start_after = page["next"].clone();
    }
    panic!("more than 100 pages");
}

#[test]
fn pages_list_every_account_once_in_address_order() {
    let m = Market::borrowed_to_the_limit();
    m.supply(CAROL, m.weth, E18).unwrap();
    m.supply(DAVE, m.usdc, 5_000_000).unwrap();
    // Alice, Bob, Carol, Dave and the pool itself (the listing seeds' shares).
    let mut expected: Vec<String> =
        [m.addr(ALICE), m.addr(BOB), m.addr(CAROL), m.addr(DAVE), m.pool].iter().map(|a| a.to_string()).collect();
    expected.sort_by_key(|a| a.to_lowercase());
    for limit in [1, 2, 3, 30] {
        let users: Vec<String> = all_pages(&m, limit).iter().map(|e| e["user"].as_str().unwrap().to_owned()).collect();
        assert_eq!(users, expected, "limit {limit}");
    }
    let first = m.query(json!({"positions": {"limit": 2}}));
    assert_eq!(first["positions"].as_array().unwrap().len(), 2);
    assert_eq!(first["next"], first["positions"][1]["user"]);
    // No arguments: the default page holds them all, and it is the last.
    let all = m.query(json!({"positions": {}}));
    assert_eq!(all["positions"].as_array().unwrap().len(), 5);
    assert_eq!(all["next"], Value::Null);
}

#[test]
fn each_entry_is_what_position_answers() {
    let m = Market::borrowed_to_the_limit();
    let alice = m.addr(ALICE);
    let page = m.query(json!({"positions": {}}));
    let entry = page["positions"].as_array().unwrap().iter().find(|e| e["user"] == json!(alice)).unwrap().clone();
    let position = m.position(alice);
    assert_eq!(entry["markets"], position["markets"]);
    for field in ["collateral_value", "borrow_capacity", "debt_value", "health_factor"] {
        assert_eq!(entry["valuation"][field], position[field], "{field}");
    }
    assert_eq!(entry["error"], Value::Null);
}

#[test]
fn stale_prices_leave_the_valuation_out_with_the_reason() {
    let m = Market::borrowed_to_the_limit();
    m.chain.warp(2 * 3600);
    let page = m.query(json!({"positions": {}}));
    let alice = page["positions"].as_array().unwrap().iter().find(|e| e["user"] == json!(m.addr(ALICE))).unwrap();
    assert_eq!(alice["valuation"], Value::Null);
    assert!(alice["error"].as_str().unwrap().contains("stale price"), "{alice}");
    assert_eq!(alice["markets"].as_array().unwrap().len(), 2, "balances need no price");
}

#[test]
fn emptied_positions_leave_the_list() {
    let m = Market::new();
    m.supply(CAROL, m.weth, E18).unwrap();
    let listed = |m: &Market| all_pages(m, 30).iter().any(|e| e["user"] == json!(m.addr(CAROL)));
    assert!(listed(&m));
    m.withdraw(CAROL, m.weth, json!("all")).unwrap();
    assert!(!listed(&m));
}

#[test]
fn limits_are_clamped_and_unknown_fields_refused() {
    let m = Market::borrowed_to_the_limit();
    let zero = m.query(json!({"positions": {"limit": 0}}));
    assert_eq!(zero["positions"].as_array().unwrap().len(), 1, "a limit of 0 reads as 1");
    let huge = m.query(json!({"positions": {"limit": 4_000_000_000u32}}));
    assert_eq!(huge["next"], Value::Null);
    let err = m.chain.query(m.pool, &json!({"positions": {"offset": 3}})).unwrap_err();
    assert!(err.contains("unknown field"), "{err}");
}
