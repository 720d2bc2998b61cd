//! `Vm::try_quick_call`: a call bounded by a small budget and by the modules in memory answers
//! exactly as the full call would, or not at all (and changes nothing).

use tidepool_ledger::Address;
use tidepool_vm::{Call, CallKind, Outcome, Status};

use crate::host_calls::{RELAY, relay};
use crate::support::*;

/// Far more than any fixture below needs, far less than [`GAS`].
const BUDGET: u64 = 1_000_000;

/// `Vm::try_quick_call` of `kind` on `contract` with `msg`, the call's own limit [`GAS`].
fn quick(chain: &mut Chain, contract: Address, kind: CallKind, msg: &[u8], budget: u64) -> Option<Outcome> {
    let call = Call { sender: chain.sender, contract, kind, msg: msg.to_vec(), funds: 0, gas_limit: GAS };
    chain.vm.try_quick_call(&mut chain.overlay, &chain.env, call, budget).expect("no host failure")
}

#[test]
fn a_quick_call_within_its_budget_answers_as_the_full_call() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    for msg in [relay(b'q', &b, 0, 0, b"r"), b"r".to_vec()] {
        let full = chain.query(a, &msg);
        let quick = quick(&mut chain, a, CallKind::Query, &msg, BUDGET).expect("conclusive");
        assert_eq!(quick.status, Status::Success);
        assert_eq!((&quick.return_data, quick.gas_used), (&full.return_data, full.gas_used));
        assert_eq!(quick.trace.gas_limit, GAS, "the trace names the call's own limit");
    }
    let written = quick(&mut chain, a, CallKind::Execute, b"w", BUDGET).expect("conclusive");
    assert_eq!(ok(&written), b"written");
    assert_eq!(chain.storage(&a, b"written").as_deref(), Some(&b"written"[..]), "its writes stay, as a call's");
}

#[test]
fn a_call_that_needs_more_than_its_budget_is_left_to_the_full_call() {
    let mut chain = Chain::new();
    let a = chain.deploy(RELAY);
    let before = chain.overlay.checkpoint();
    let needed = chain.execute(a, b"w").gas_used;
    chain.overlay.revert_to(before);
    // With exactly what it needs the frame ends with no gas left, which a frame that overran
    // its last fuel check also does: inconclusive as well.
    for budget in [needed - 1, needed] {
        assert_eq!(quick(&mut chain, a, CallKind::Execute, b"w", budget), None);
        assert_eq!(chain.storage(&a, b"written"), None, "nothing of the attempt stays");
    }
    let enough = quick(&mut chain, a, CallKind::Execute, b"w", needed + 1).expect("conclusive");
    assert_eq!(enough.gas_used, needed);
}

#[test]
fn a_caller_carrying_on_after_a_nested_frame_ran_out_is_inconclusive() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    // `a` gives `b` a fixed 50,000 gas; `b` loops and runs out; `a` writes and succeeds. With
    // any limit the same would happen, but a quick call cannot tell that from a callee that
    // took "all that is left" of the budget, so it answers nothing.
    let msg = relay(b'c', &b, 50_000, 0, b"l");
    assert_eq!(quick(&mut chain, a, CallKind::Execute, &msg, BUDGET), None);
    assert_eq!(chain.storage(&a, b"relay"), None, "the caller's write was undone");
    let full = chain.execute(a, &msg);
    ok(&full);
    assert_eq!(chain.storage(&a, b"relay").as_deref(), Some(&b"relay"[..]));
}

#[test]
fn reading_gas_left_is_inconclusive() {
    let mut chain = Chain::new();
    let c = chain.deploy(r#"(func (export "query") (call $return_i64 (call $gas_left)))"#);
    assert_eq!(quick(&mut chain, c, CallKind::Query, b"", BUDGET), None);
    ok(&chain.query(c, b""));
}

#[test]
fn a_module_not_in_memory_is_neither_loaded_nor_compiled() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    let nested = relay(b'q', &b, 0, 0, b"r");
    chain.vm.clear_memory_cache();
    let before = chain.vm.cache_stats();
    assert_eq!(quick(&mut chain, a, CallKind::Query, &nested, BUDGET), None);
    let after = chain.vm.cache_stats();
    assert_eq!((after.disk_loads, after.compiles), (before.disk_loads, before.compiles));
    ok(&chain.query(a, &nested));
    let quick = quick(&mut chain, a, CallKind::Query, &nested, BUDGET).expect("both now in memory");
    assert_eq!(ok(&quick), ok(&chain.query(a, &nested)));
}
