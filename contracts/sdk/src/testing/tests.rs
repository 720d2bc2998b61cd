//! The test double's own tests, through a probe contract that exercises each host rule.

extern crate std;

use alloc::string::String;

use serde_json::{Value, json};

use super::*;
use crate::prelude::*;

/// A contract whose messages each exercise one thing the host does.
mod probe {
    use crate::prelude::*;

    #[msg]
    pub enum ExecuteMsg {
        /// Stores `value` and emits `set {value}`.
        Set { value: u64 },
        /// Stores 999, emits an event, logs, then fails with `message`.
        Fail { message: String },
        /// Panics.
        Panic {},
        /// Calls `contract` with the raw `msg` and emits `called {ok, error}`; goes on either way.
        Call { contract: Address, msg: String },
        /// Sends native tokens from this contract.
        Pay { to: Address, amount: Uint128 },
    }

    #[msg]
    pub enum QueryMsg {
        /// → the stored value.
        Value {},
        /// → `{caller, contract, time, height, funds}`.
        Context {},
        /// Tries to write: a query is read-only.
        Write {},
    }

    const VALUE: Item<u64> = Item::new("value");

    #[derive(serde::Serialize)]
    struct Called {
        ok: bool,
        error: String,
    }

    fn instantiate(ctx: &Context, value: u64) -> Result<Response, ContractError> {
        VALUE.save(&value)?;
        Ok(Response::new().event("created", &ctx.caller()))
    }

    fn execute(ctx: &Context, msg: ExecuteMsg) -> Result<Response, ContractError> {
        match msg {
            ExecuteMsg::Set { value } => {
                VALUE.save(&value)?;
                Ok(Response::new().event("set", &serde_json::json!({"value": value, "funds": ctx.funds().to_string()})))
            }
            ExecuteMsg::Fail { message } => {
                VALUE.save(&999)?;
                Event::new("doomed", &()).emit();
                crate::debug_log("about to fail");
                Err(ContractError::msg(message))
            }
            ExecuteMsg::Panic {} => panic!("boom"),
            ExecuteMsg::Call { contract, msg } => {
                let outcome = calls::call_raw(&contract, msg.as_bytes(), 0, 0);
                let error = outcome.as_ref().err().map(ToString::to_string).unwrap_or_default();
                Ok(Response::new().event("called", &Called { ok: outcome.is_ok(), error }))
            }
            ExecuteMsg::Pay { to, amount } => {
                bank::transfer(&to, amount.u128())?;
                Ok(Response::new())
            }
        }
    }

    fn query(ctx: &Context, msg: QueryMsg) -> Result<Binary, ContractError> {
        match msg {
            QueryMsg::Value {} => to_json_binary(&VALUE.load()?),
            QueryMsg::Context {} => to_json_binary(&serde_json::json!({
                "caller": ctx.caller(), "contract": ctx.self_address(),
                "time": ctx.block_time(), "height": ctx.block_height(),
            })),
            QueryMsg::Write {} => {
                VALUE.save(&1)?;
                to_json_binary(&())
            }
        }
    }

    crate::entry_points! {
        instantiate = instantiate;
        execute = execute;
        query = query;
    }
}

use probe::{ExecuteMsg, QueryMsg};

fn deploy(chain: &MockChain, owner: &Account, value: u64) -> Contract {
    chain.deploy(probe::ENTRY_POINTS, owner, &value, "probe").expect_success()
}

#[test]
fn calls_read_like_the_sandbox() {
    let chain = MockChain::new();
    let alice = chain.account("alice");
    let probe = deploy(&chain, &alice, 5);
    probe.instantiation().unwrap().assert_event_from(&probe, "created", &json!(alice.address()));
    assert_eq!(probe.query::<u64>(&QueryMsg::Value {}).unwrap(), 5);
    let done = probe.execute(&alice, &ExecuteMsg::Set { value: 7 }).expect_success();
    // Loose matching: a number matches a decimal string; the other members are ignored.
    done.assert_event("set", &json!({"value": 7})).assert_event("set", &json!({"funds": 0})).assert_no_event("doomed");
    assert_eq!(done.events().len(), 1);
    assert_eq!(done.result_json(), &Value::Null);
    assert_eq!(probe.query::<u64>(&QueryMsg::Value {}).unwrap(), 7);
    let error = probe.query::<String>(&QueryMsg::Value {}).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
}

#[test]
fn a_failed_call_changes_nothing() {
    let chain = MockChain::new();
    let alice = chain.account("alice");
    let probe = deploy(&chain, &alice, 5);
    let error = probe.execute(&alice, &ExecuteMsg::Fail { message: "nope".into() }).expect_error("nope");
    assert_eq!((error.kind(), error.message()), (ErrorKind::Reverted, "reverted: nope"));
    let probe_address = probe.address();
    assert_eq!(error.logs(), [std::format!("{probe_address}: about to fail")], "logs of reverted frames stay");
    assert_eq!(probe.query::<u64>(&QueryMsg::Value {}).unwrap(), 5, "the write was rolled back");
    probe.execute(&alice, &ExecuteMsg::Panic {}).expect_error("reverted: panic: boom");
    // A failed instantiation creates nothing.
    let error = chain.deploy(probe::ENTRY_POINTS, &alice, &"not a number", "bad").unwrap_err();
    assert!(error.message().starts_with("reverted: invalid message"), "{error}");
}

#[test]
fn nested_calls_roll_back_only_the_failed_callee_and_refuse_reentry() {
    let chain = MockChain::new();
    let alice = chain.account("alice");
    let (outer, inner) = (deploy(&chain, &alice, 1), deploy(&chain, &alice, 2));
    let call = |contract: &Contract, msg: ExecuteMsg| ExecuteMsg::Call {
        contract: contract.address(),
        msg: serde_json::to_string(&msg).unwrap(),
    };

    let done = outer.execute(&alice, &call(&inner, ExecuteMsg::Fail { message: "inner failed".into() })).unwrap();
    done.assert_event_from(&outer, "called", &json!({"ok": false}));
    // The callee's message once, after the status: what the VM hands a caller too.
    let error = |done: &Executed| done.event("called").unwrap().data["error"].as_str().unwrap().to_string();
    assert_eq!(error(&done), format!("call to {} reverted: inner failed", inner.address()));
    assert!(done.event("doomed").is_none(), "the callee's events went with it");
    assert_eq!(inner.query::<u64>(&QueryMsg::Value {}).unwrap(), 2, "the callee's write was rolled back");

    let done = outer.execute(&alice, &call(&inner, ExecuteMsg::Set { value: 3 })).unwrap();
    done.assert_event_from(&inner, "set", &json!({"value": 3})).assert_event_from(
        &outer,
        "called",
        &json!({"ok": true}),
    );

    // outer → inner → outer: outer is on the stack and did not opt in.
    let back = call(&outer, ExecuteMsg::Set { value: 4 });
    let done = outer.execute(&alice, &call(&inner, back)).unwrap();
    let errors = done.events_of("called").map(|e| e.data["error"].as_str().unwrap()).collect::<alloc::vec::Vec<_>>();
    assert_eq!(errors[0], format!("call to {} re-entry refused", outer.address()));
    assert_eq!(outer.query::<u64>(&QueryMsg::Value {}).unwrap(), 1);

    let nobody = Address([0x99; 20]);
    let done = outer.execute(&alice, &ExecuteMsg::Call { contract: nobody, msg: "{}".into() }).unwrap();
    assert_eq!(error(&done), format!("call to {nobody} not found: no contract at {nobody}"));
}

#[test]
fn queries_are_read_only() {
    let chain = MockChain::new();
    let alice = chain.account("alice");
    let probe = deploy(&chain, &alice, 5);
    let error = probe.query::<Value>(&QueryMsg::Write {}).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::QueryFailed);
    error.assert_message("read-only");
    assert_eq!(probe.query::<u64>(&QueryMsg::Value {}).unwrap(), 5);
}

#[test]
fn accounts_funds_and_time() {
    let chain = MockChain::new();
    let alice = chain.account("alice");
    assert_eq!(alice.address(), Account::from_name("alice").address());
    assert_ne!(alice.address(), chain.account("bob").address());
    assert_eq!(chain.balance(&alice), ACCOUNT_BALANCE);
    let probe = deploy(&chain, &alice, 5);

    probe
        .execute_with_funds(&alice, &ExecuteMsg::Set { value: 6 }, 250)
        .unwrap()
        .assert_event("set", &json!({"funds": 250}));
    assert_eq!((chain.balance(&alice), chain.balance(&probe)), (ACCOUNT_BALANCE - 250, 250));
    let poor = chain.account("poor");
    chain.set_balance(&poor, 10);
    let error = probe.execute_with_funds(&poor, &ExecuteMsg::Set { value: 7 }, 11).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
    probe.execute(&alice, &ExecuteMsg::Pay { to: poor.address(), amount: Uint128::new(50) }).unwrap();
    assert_eq!((chain.balance(&poor), chain.balance(&probe)), (60, 200));
    probe
        .execute(&alice, &ExecuteMsg::Pay { to: poor.address(), amount: Uint128::new(201) })
        .expect_error("insufficient native funds");

    let context = |probe: &Contract| probe.query::<Value>(&QueryMsg::Context {}).unwrap();
    assert_eq!(
        context(&probe),
        json!({"caller": Address::ZERO, "contract": probe.address(), "time": GENESIS_TIME, "height": 1})
    );
    chain.warp(60);
    chain.advance_blocks(2);
    assert_eq!((chain.block_time(), chain.block_height()), (GENESIS_TIME + 60, 4));
    assert_eq!(context(&probe)["time"], json!(GENESIS_TIME + 60));

    let nobody = chain.contract_at(Address([0xee; 20]));
    assert_eq!(nobody.execute(&alice, &ExecuteMsg::Panic {}).unwrap_err().kind(), ErrorKind::Rejected);
    assert!(!chain.storage(&probe).is_empty());
    probe.set_storage(b"value", Some(b"41"));
    assert_eq!(probe.query::<u64>(&QueryMsg::Value {}).unwrap(), 41);
}
