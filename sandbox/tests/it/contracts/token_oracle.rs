//! The token and the oracle on their own, through the VM: permissions (only the minter mints,
//! only the owner sets prices), allowances, events, malformed messages.

use serde_json::{Value, json};
use tidepool_ledger::Address;

use super::harness::*;

fn token(chain: &Chain, holders: &[(usize, u128)]) -> Address {
    let holders: Vec<_> = holders.iter().map(|(u, v)| (chain.addr(*u), *v)).collect();
    chain.instantiate(OWNER, "token", token_msg(chain, "TKN", 6, &holders)).unwrap()
}

fn balance(chain: &Chain, token: Address, who: usize) -> u128 {
    amount(&chain.query(token, &json!({"balance": {"address": chain.addr(who)}})).unwrap()["balance"])
}

#[test]
fn transfer_moves_balances_and_refuses_overdrafts() {
    let chain = Chain::new();
    let t = token(&chain, &[(ALICE, 100)]);
    let receipt = chain.execute(ALICE, t, json!({"transfer": {"to": chain.addr(BOB), "amount": "30"}})).unwrap();
    assert_eq!((balance(&chain, t, ALICE), balance(&chain, t, BOB)), (70, 30));
    let e = event(&receipt, "transfer");
    assert_eq!(address(&e["from"]), chain.addr(ALICE));
    assert_eq!((amount(&e["amount"]), amount(&e["delivered"])), (30, 30));
    let err = chain.execute(ALICE, t, json!({"transfer": {"to": chain.addr(BOB), "amount": "71"}})).unwrap_err();
    assert!(err.contains("insufficient balance"), "{err}");
    assert_eq!((balance(&chain, t, ALICE), balance(&chain, t, BOB)), (70, 30));
}

#[test]
fn transfer_from_needs_and_spends_an_allowance() {
    let chain = Chain::new();
    let t = token(&chain, &[(ALICE, 100)]);
    let (alice, bob, carol) = (chain.addr(ALICE), chain.addr(BOB), chain.addr(CAROL));
    let pull = |amount: &str| json!({"transfer_from": {"owner": alice, "to": carol, "amount": amount}});
    let err = chain.execute(BOB, t, pull("1")).unwrap_err();
    assert!(err.contains("insufficient allowance"), "{err}");
    let receipt = chain.execute(ALICE, t, json!({"approve": {"spender": bob, "amount": "10"}})).unwrap();
    assert_eq!(amount(&event(&receipt, "approve")["amount"]), 10);
    chain.execute(BOB, t, pull("4")).unwrap();
    let allowance =
        |spender: Address| chain.query(t, &json!({"allowance": {"owner": alice, "spender": spender}})).unwrap();
    assert_eq!(allowance(bob), json!({"allowance": "6"}));
    assert_eq!(balance(&chain, t, CAROL), 4);
    let err = chain.execute(BOB, t, pull("7")).unwrap_err();
    assert!(err.contains("insufficient allowance"), "{err}");
    // Approve replaces; the maximum is unlimited and never spent down.
    chain.execute(ALICE, t, json!({"approve": {"spender": bob, "amount": uint(u128::MAX)}})).unwrap();
    chain.execute(BOB, t, pull("50")).unwrap();
    assert_eq!(allowance(bob), json!({"allowance": u128::MAX.to_string()}));
    // An allowance is per spender.
    assert_eq!(allowance(carol), json!({"allowance": "0"}));
    assert!(chain.execute(CAROL, t, pull("1")).unwrap_err().contains("insufficient allowance"));
}

#[test]
fn only_the_minter_mints_and_anyone_burns_their_own() {
    let chain = Chain::new();
    let t = token(&chain, &[(ALICE, 100)]);
    let mint = json!({"mint": {"to": chain.addr(ALICE), "amount": "5"}});
    let err = chain.execute(ALICE, t, mint.clone()).unwrap_err();
    assert!(err.contains("only the minter"), "{err}");
    let receipt = chain.execute(OWNER, t, mint).unwrap();
    assert_eq!(amount(&event(&receipt, "mint")["amount"]), 5);
    let receipt = chain.execute(ALICE, t, json!({"burn": {"amount": "2"}})).unwrap();
    assert_eq!(amount(&event(&receipt, "burn")["amount"]), 2);
    assert!(chain.execute(BOB, t, json!({"burn": {"amount": "1"}})).unwrap_err().contains("insufficient balance"));
    let info = chain.query(t, &json!({"token_info": {}})).unwrap();
    assert_eq!(info["total_supply"], json!("103"));
    assert_eq!(info["decimals"], json!(6));
    assert_eq!(address(&info["minter"]), chain.addr(OWNER));
    assert_eq!(balance(&chain, t, ALICE), 103);
    // A token without a minter has a fixed supply.
    let fixed = chain
        .instantiate(
            OWNER,
            "token",
            json!({"name": "F", "symbol": "F", "decimals": 0, "initial_balances": [], "minter": null}),
        )
        .unwrap();
    let err = chain.execute(OWNER, fixed, json!({"mint": {"to": chain.addr(OWNER), "amount": "1"}})).unwrap_err();
    assert!(err.contains("only the minter"), "{err}");
}

#[test]
fn malformed_messages_are_refused() {
    let chain = Chain::new();
    let t = token(&chain, &[(ALICE, 100)]);
    let bob = chain.addr(BOB);
    for bad in [
        json!({"transfer": {"to": "0x12", "amount": "1"}}),
        json!({"transfer": {"to": bob, "amount": "-1"}}),
        json!({"transfer": {"to": bob, "amount": "1", "extra": 1}}),
        json!({"steal": {}}),
    ] {
        let err = chain.execute(ALICE, t, bad.clone()).unwrap_err();
        assert!(err.contains("invalid message"), "{bad}: {err}");
    }
    assert_eq!(balance(&chain, t, ALICE), 100);
}

/// Contracts spell addresses as the node does (EIP-55 mixed case), in events and in answers, so
/// a receipt reads the same whoever wrote each part of it.
#[test]
fn addresses_read_as_the_node_writes_them() {
    let chain = Chain::new();
    let t = token(&chain, &[(ALICE, 100)]);
    let (alice, bob, owner) = (chain.addr(ALICE), chain.addr(BOB), chain.addr(OWNER));
    let spelt = |a: Address| json!(a.to_string());
    assert!(alice.to_string().chars().any(|c| c.is_ascii_uppercase()), "{alice}: a mixed-case spelling to compare");
    let receipt =
        chain.execute(ALICE, t, json!({"transfer": {"to": bob.to_string().to_lowercase(), "amount": "1"}})).unwrap();
    let e = event(&receipt, "transfer");
    assert_eq!((&e["from"], &e["to"]), (&spelt(alice), &spelt(bob)));
    assert_eq!(e["from"], json!(receipt.from.to_string()), "the node's own field");
    assert_eq!(chain.query(t, &json!({"token_info": {}})).unwrap()["minter"], spelt(owner));
    let oracle = chain.instantiate(OWNER, "oracle", json!({})).unwrap();
    assert_eq!(chain.query(oracle, &json!({"config": {}})).unwrap()["owner"], spelt(owner));
}

#[test]
fn only_the_owner_sets_prices_stamped_with_block_time() {
    let chain = Chain::new();
    let oracle = chain.instantiate(OWNER, "oracle", json!({})).unwrap();
    let asset = Address([0xaa; 20]);
    let price = |asset: Address| chain.query(oracle, &json!({"price": {"asset": asset}}));
    let err = chain.execute(BOB, oracle, json!({"set_price": {"asset": asset, "price": "1"}})).unwrap_err();
    assert!(err.contains("unauthorized"), "{err}");
    assert!(price(asset).unwrap_err().contains("no price"));

    let receipt = chain.execute(OWNER, oracle, json!({"set_price": {"asset": asset, "price": "123"}})).unwrap();
    assert_eq!(event(&receipt, "price")["price"], json!("123"));
    assert_eq!(price(asset).unwrap(), json!({"price": "123", "updated_at": GENESIS_TIME}));
    // Prices carry the time they were set: a later update is stamped later.
    chain.warp(600);
    let other = Address([0xbb; 20]);
    let prices = json!({"set_prices": {"prices": [{"asset": asset, "price": "124"}, {"asset": other, "price": "7"}]}});
    let receipt = chain.execute(OWNER, oracle, prices).unwrap();
    assert_eq!(events(&receipt, "price").len(), 2);
    assert_eq!(price(asset).unwrap(), json!({"price": "124", "updated_at": GENESIS_TIME + 600}));
    assert_eq!(price(other).unwrap(), json!({"price": "7", "updated_at": GENESIS_TIME + 600}));
    // Several at once, in the order asked; an asset never priced fails the whole query, named.
    let prices = |assets: &[Address]| chain.query(oracle, &json!({"prices": {"assets": assets}}));
    assert_eq!(
        prices(&[other, asset, other]).unwrap(),
        json!({"prices": [{"price": "7", "updated_at": GENESIS_TIME + 600}, {"price": "124", "updated_at": GENESIS_TIME + 600}, {"price": "7", "updated_at": GENESIS_TIME + 600}]})
    );
    assert_eq!(prices(&[]).unwrap(), json!({"prices": []}));
    let never = Address([0xcc; 20]);
    let err = prices(&[asset, never]).unwrap_err();
    assert!(err.contains(&format!("no price for {never}")), "{err}");

    // Ownership moves only by the owner; then only the new owner sets prices.
    let carol = chain.addr(CAROL);
    assert!(
        chain
            .execute(BOB, oracle, json!({"transfer_ownership": {"owner": carol}}))
            .unwrap_err()
            .contains("unauthorized")
    );
    chain.execute(OWNER, oracle, json!({"transfer_ownership": {"owner": carol}})).unwrap();
    assert_eq!(address(&chain.query(oracle, &json!({"config": {}})).unwrap()["owner"]), carol);
    assert!(
        chain
            .execute(OWNER, oracle, json!({"set_price": {"asset": asset, "price": "1"}}))
            .unwrap_err()
            .contains("unauthorized")
    );
    chain.execute(CAROL, oracle, json!({"set_price": {"asset": asset, "price": "1"}})).unwrap();
    let answer: Value = price(asset).unwrap();
    assert_eq!(answer["price"], json!("1"));
}
