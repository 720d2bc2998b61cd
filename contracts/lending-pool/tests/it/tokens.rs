//! The token and the oracle on their own: permissions, allowances, events.

use tidepool_sdk::serde_json::{Value, json};
use tidepool_sdk::testing::MockChain;

use crate::*;

#[test]
fn token_transfer_allowance_mint_burn() {
    let chain = MockChain::new();
    let t = chain.deploy(token::ENTRY_POINTS, OWNER, &token_msg("TKN", 6, &[(ALICE, 100)])).unwrap();
    let balance = |who| -> u128 {
        let v: Value = chain.query(t, &json!({"balance": {"address": who}})).unwrap();
        amount(&v["balance"])
    };
    chain.execute(ALICE, t, &json!({"transfer": {"to": BOB, "amount": "30"}}), 0).unwrap();
    assert_eq!((balance(ALICE), balance(BOB)), (70, 30));
    let err = chain.execute(ALICE, t, &json!({"transfer": {"to": BOB, "amount": "71"}}), 0).unwrap_err();
    assert!(err.contains("insufficient balance"), "{err}");

    // transfer_from needs an allowance and spends it.
    let err =
        chain.execute(BOB, t, &json!({"transfer_from": {"owner": ALICE, "to": BOB, "amount": "1"}}), 0).unwrap_err();
    assert!(err.contains("insufficient allowance"), "{err}");
    chain.execute(ALICE, t, &json!({"approve": {"spender": BOB, "amount": "10"}}), 0).unwrap();
    chain.execute(BOB, t, &json!({"transfer_from": {"owner": ALICE, "to": CAROL, "amount": "4"}}), 0).unwrap();
    let allowance: Value = chain.query(t, &json!({"allowance": {"owner": ALICE, "spender": BOB}})).unwrap();
    assert_eq!(allowance, json!({"allowance": "6"}));
    assert_eq!(balance(CAROL), 4);

    // Only the minter mints; anyone burns their own.
    let err = chain.execute(ALICE, t, &json!({"mint": {"to": ALICE, "amount": "5"}}), 0).unwrap_err();
    assert!(err.contains("only the minter"), "{err}");
    chain.execute(OWNER, t, &json!({"mint": {"to": ALICE, "amount": "5"}}), 0).unwrap();
    chain.execute(ALICE, t, &json!({"burn": {"amount": "2"}}), 0).unwrap();
    let info: Value = chain.query(t, &json!({"token_info": {}})).unwrap();
    assert_eq!(info["total_supply"], json!("103"));
    assert_eq!(info["decimals"], json!(6));

    let types: Vec<String> = chain.take_events().into_iter().map(|e| e.ty).collect();
    for ty in ["transfer", "approve", "mint", "burn"] {
        assert!(types.iter().any(|t| t == ty), "no {ty} event in {types:?}");
    }
}

#[test]
fn token_rejects_malformed_messages() {
    let chain = MockChain::new();
    let t = chain.deploy(token::ENTRY_POINTS, OWNER, &token_msg("TKN", 6, &[(ALICE, 100)])).unwrap();
    for bad in [
        json!({"transfer": {"to": "0x12", "amount": "1"}}),
        json!({"transfer": {"to": BOB, "amount": "-1"}}),
        json!({"transfer": {"to": BOB, "amount": "1", "extra": 1}}),
        json!({"steal": {}}),
    ] {
        let err = chain.execute(ALICE, t, &bad, 0).unwrap_err();
        assert!(err.starts_with("invalid message"), "{bad}: {err}");
    }
}

#[test]
fn oracle_only_owner_sets_prices_with_time() {
    let chain = MockChain::new();
    let o = chain.deploy(oracle::ENTRY_POINTS, OWNER, &json!({})).unwrap();
    let asset = ALICE;
    let err = chain.execute(BOB, o, &json!({"set_price": {"asset": asset, "price": "1"}}), 0).unwrap_err();
    assert!(err.contains("unauthorized"), "{err}");
    chain.execute(OWNER, o, &json!({"set_prices": {"prices": [{"asset": asset, "price": "123"}]}}), 0).unwrap();
    let p: Value = chain.query(o, &json!({"price": {"asset": asset}})).unwrap();
    assert_eq!(p, json!({"price": "123", "updated_at": chain.time()}));
    assert!(chain.query::<Value>(o, &json!({"price": {"asset": BOB}})).unwrap_err().contains("no price"));
}
