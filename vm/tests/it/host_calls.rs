//! Nested calls: call, query, instantiate, result_len/result_read; rollback of failed
//! callees, re-entry, depth, gas and funds.

use tidepool_abi::call as code;
use tidepool_ledger::Address;
use tidepool_vm::{CallFrame, Status};

use crate::support::*;

/// `execute` and `query` in one function. Input: mode ‖ ...
/// - `c` target (20) ‖ gas (i64) ‖ funds (u128) ‖ msg: `call`, then write key "relay";
///   returns status (i32) ‖ last result;
/// - `q` target ‖ gas ‖ funds ‖ msg: `query` (gas and funds ignored); returns as `c`;
/// - `w`: writes key "written", returns "written";  `t`: writes it, then traps;
/// - `a`: aborts with "nope";  `l`: loops forever;  `r`: returns "answer";
/// - `e`: emits an event;  `x`: emits an event, then aborts.
pub(crate) const RELAY: &str = r#"
  (data (i32.const 0) "relay" "written" "nope" "answer" "{}")
  (func $main (export "execute") (export "query") (local $n i32) (local $mode i32)
    (local.set $n (call $read_input))
    (local.set $mode (i32.load8_u (i32.const 0x8000)))
    (if (i32.eq (local.get $mode) (i32.const 99)) (then
      (call $relay_result (call $call (i32.const 0x8001) (i32.const 0x802D) (i32.sub (local.get $n) (i32.const 45))
                                      (i32.const 0x801D) (i64.load (i32.const 0x8015))))
      (call $storage_write (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 5))))
    (if (i32.eq (local.get $mode) (i32.const 113)) (then
      (call $relay_result (call $query (i32.const 0x8001) (i32.const 0x802D) (i32.sub (local.get $n) (i32.const 45))))))
    (if (i32.eq (local.get $mode) (i32.const 119)) (then
      (call $storage_write (i32.const 5) (i32.const 7) (i32.const 5) (i32.const 7))
      (call $return (i32.const 5) (i32.const 7))))
    (if (i32.eq (local.get $mode) (i32.const 116)) (then
      (call $storage_write (i32.const 5) (i32.const 7) (i32.const 5) (i32.const 7))
      (unreachable)))
    (if (i32.eq (local.get $mode) (i32.const 97)) (then (call $fail (i32.const 12) (i32.const 4))))
    (if (i32.eq (local.get $mode) (i32.const 108)) (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $mode) (i32.const 114)) (then (call $return (i32.const 16) (i32.const 6))))
    (if (i32.eq (local.get $mode) (i32.const 101)) (then
      (call $emit_event (i32.const 0) (i32.const 5) (i32.const 22) (i32.const 2))))
    (if (i32.eq (local.get $mode) (i32.const 120)) (then
      (call $emit_event (i32.const 0) (i32.const 5) (i32.const 22) (i32.const 2))
      (call $fail (i32.const 12) (i32.const 4)))))
  (func $relay_result (param $status i32)
    (i32.store (i32.const 0x4000) (local.get $status))
    (call $result_read (i32.const 0x4004))
    (call $return (i32.const 0x4000) (i32.add (i32.const 4) (call $result_len))))"#;

/// A relay message: `mode` to `target` with `gas` (0 = all) and `funds`, carrying `msg`.
pub(crate) fn relay(mode: u8, target: &Address, gas: u64, funds: u128, msg: &[u8]) -> Vec<u8> {
    [&[mode][..], &target.0, &gas.to_le_bytes(), &funds.to_le_bytes(), msg].concat()
}

/// Splits a relay's return data into the callee's status and last result.
pub(crate) fn split(data: &[u8]) -> (i32, &[u8]) {
    (i32::from_le_bytes(data[..4].try_into().unwrap()), &data[4..])
}

fn child(outcome: &tidepool_vm::Outcome) -> &CallFrame {
    outcome.trace.children.first().expect("one nested frame")
}

#[test]
fn call_runs_the_callee_and_returns_its_data() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    let outcome = chain.execute(a, &relay(b'c', &b, 0, 0, b"w"));
    assert_eq!(split(ok(&outcome)), (code::OK, &b"written"[..]));
    assert_eq!(chain.storage(&b, b"written").as_deref(), Some(&b"written"[..]));
    assert_eq!(chain.storage(&a, b"relay").as_deref(), Some(&b"relay"[..]));
    assert_eq!((child(&outcome).contract, child(&outcome).caller), (b, a));
    assert_eq!(child(&outcome).entry_point, "execute");
    assert!(child(&outcome).error.is_none());
    assert!(outcome.trace.to_string().contains("└─ "), "{}", outcome.trace);
}

#[test]
fn a_trap_in_a_nested_call_reverts_only_the_inner_writes() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    let outcome = chain.execute(a, &relay(b'c', &b, 0, 0, b"t"));
    let (status, message) = split(ok(&outcome));
    assert_eq!(status, code::TRAPPED);
    assert!(String::from_utf8_lossy(message).contains("unreachable"), "{message:?}");
    assert_eq!(chain.storage(&b, b"written"), None, "the callee's write is reverted");
    assert_eq!(chain.storage(&a, b"relay").as_deref(), Some(&b"relay"[..]), "the caller's write stays");
    assert!(child(&outcome).error.as_deref().unwrap().contains("unreachable"));

    let aborted = chain.execute(a, &relay(b'c', &b, 0, 0, b"a"));
    assert_eq!(split(ok(&aborted)), (code::REVERTED, &b"nope"[..]));
}

#[test]
fn a_failed_callee_loses_its_events_and_a_successful_one_keeps_them() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    let kept = chain.execute(a, &relay(b'c', &b, 0, 0, b"e"));
    ok(&kept);
    assert_eq!(kept.events.len(), 1);
    assert_eq!((kept.events[0].contract, kept.events[0].ty.as_str()), (b, "relay"));
    let dropped = chain.execute(a, &relay(b'c', &b, 0, 0, b"x"));
    assert_eq!(split(ok(&dropped)).0, code::REVERTED);
    assert!(dropped.events.is_empty());
}

#[test]
fn the_caller_pays_exactly_what_the_callee_used() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    let direct = chain.execute(b, b"w");
    let nested = chain.execute(a, &relay(b'c', &b, 0, 0, b"w"));
    ok(&nested);
    assert_eq!(child(&nested).gas_used, direct.gas_used, "a frame costs the same nested or not");
    assert!(nested.gas_used > direct.gas_used + chain.vm.gas_schedule().call_base);
    assert_eq!(nested.trace.gas_used, nested.gas_used);
}

#[test]
fn a_callee_out_of_gas_uses_only_its_own_allowance() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    let outcome = chain.execute(a, &relay(b'c', &b, 50_000, 0, b"l"));
    assert_eq!(split(ok(&outcome)), (code::OUT_OF_GAS, &b""[..]), "the code says it all");
    assert_eq!((child(&outcome).gas_limit, child(&outcome).gas_used), (50_000, 50_000));
    assert!(outcome.gas_used > 50_000 && outcome.gas_used < 200_000);
}

#[test]
fn a_callee_gets_at_most_what_is_left() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    let outcome = chain.execute_with(a, &relay(b'c', &b, u64::MAX, 0, b"l"), 0, 1_000_000);
    assert_eq!(outcome.status, Status::OutOfGas, "the callee took everything, the caller then ran out");
    assert_eq!(outcome.gas_used, 1_000_000);
    assert!(child(&outcome).gas_limit < 1_000_000);
    assert!(chain.last_writes.is_empty());
}

#[test]
fn re_entry_is_refused_unless_the_contract_opts_in() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    // a → b → a: b is told that a refused.
    let outcome = chain.execute(a, &relay(b'c', &b, 0, 0, &relay(b'c', &a, 0, 0, b"w")));
    let (status, inner) = split(ok(&outcome));
    assert_eq!(status, code::OK, "b itself succeeded");
    let (inner_status, message) = split(inner);
    assert_eq!(inner_status, code::REENTRY_REFUSED);
    assert_eq!(message, b"", "the code says it all: the callee refused");
    assert_eq!(chain.storage(&a, b"written"), None);

    let reentrant = chain.deploy(&format!("{RELAY} (func (export \"tidepool_reentrant\"))"));
    let outcome = chain.execute(reentrant, &relay(b'c', &b, 0, 0, &relay(b'c', &reentrant, 0, 0, b"w")));
    assert_eq!(split(split(ok(&outcome)).1).0, code::OK);
    assert_eq!(chain.storage(&reentrant, b"written").as_deref(), Some(&b"written"[..]));
}

#[test]
fn call_depth_is_limited() {
    let mut chain = Chain::new();
    let me = chain.deploy(&format!("{RELAY} (func (export \"tidepool_reentrant\"))"));
    // A message that makes the contract call itself `depth - 1` times, then write.
    let nest = |depth: usize| (1..depth).fold(b"w".to_vec(), |msg, _| relay(b'c', &me, 0, 0, &msg));
    let innermost_status = |data: &[u8]| {
        let mut data = data;
        loop {
            let (status, rest) = split(data);
            if status != code::OK || rest == b"written" {
                return status;
            }
            data = rest;
        }
    };
    assert_eq!(innermost_status(ok(&chain.execute(me, &nest(8)))), code::OK, "8 frames are allowed");
    let too_deep = chain.execute(me, &nest(9));
    assert_eq!(innermost_status(ok(&too_deep)), code::LIMIT, "the 9th is refused");
}

#[test]
fn queries_are_read_only_all_the_way_down() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    assert_eq!(split(ok(&chain.execute(a, &relay(b'q', &b, 0, 0, b"r")))), (code::OK, &b"answer"[..]));
    let writing = chain.execute(a, &relay(b'q', &b, 0, 0, b"w"));
    let (status, message) = split(ok(&writing));
    assert_eq!(status, code::TRAPPED);
    assert!(String::from_utf8_lossy(message).contains("storage_write is not allowed in a read-only call"));
    // A top-level query may query, but not call.
    assert_eq!(split(ok(&chain.query(a, &relay(b'q', &b, 0, 0, b"r")))).0, code::OK);
    assert_trap(&chain.query(a, &relay(b'c', &b, 0, 0, b"w")), "call is not allowed in a read-only call");
}

#[test]
fn missing_contracts_and_entry_points_are_not_found() {
    let mut chain = Chain::new();
    let a = chain.deploy(RELAY);
    let nobody = Address([0x99; 20]);
    let outcome = chain.execute(a, &relay(b'c', &nobody, 0, 0, b"w"));
    let (status, message) = split(ok(&outcome));
    assert_eq!(status, code::NOT_FOUND);
    assert!(String::from_utf8_lossy(message).contains("no contract at"));
    let no_query = chain.deploy(r#"(func (export "execute"))"#);
    let outcome = chain.execute(a, &relay(b'q', &no_query, 0, 0, b""));
    let (status, message) = split(ok(&outcome));
    assert_eq!(status, code::NOT_FOUND);
    assert!(String::from_utf8_lossy(message).contains("no `query` entry point"));
}

#[test]
fn attached_funds_move_with_the_call_and_back_on_failure() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    chain.set_balance(&a, 1_000);
    ok(&chain.execute(a, &relay(b'c', &b, 0, 300, b"w")));
    assert_eq!((chain.balance(&a), chain.balance(&b)), (700, 300));
    let failed = chain.execute(a, &relay(b'c', &b, 0, 300, b"t"));
    assert_eq!(split(ok(&failed)).0, code::TRAPPED);
    assert_eq!((chain.balance(&a), chain.balance(&b)), (700, 300), "funds return with the revert");
    let too_much = chain.execute(a, &relay(b'c', &b, 0, 701, b"w"));
    assert_eq!(split(ok(&too_much)), (code::INSUFFICIENT_FUNDS, &b""[..]));
    assert_eq!(chain.storage(&b, b"written").as_deref(), Some(&b"written"[..]), "from the first call only");
}

#[test]
fn hostile_call_arguments_trap_or_hit_limits() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (local $which i32)
             (drop (call $read_input))
             (local.set $which (i32.load8_u (i32.const 0x8000)))
             (if (i32.eq (local.get $which) (i32.const 0))
               (then (drop (call $call (i32.const 65530) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))))
             (if (i32.eq (local.get $which) (i32.const 1))
               (then (drop (call $call (i32.const 0) (i32.const 0) (i32.const 131073) (i32.const 0) (i64.const 0)))))
             (if (i32.eq (local.get $which) (i32.const 2))
               (then (drop (call $query (i32.const 0) (i32.const 65000) (i32.const 1000)))))
             (if (i32.eq (local.get $which) (i32.const 3)) (then
               (drop (call $call (i32.const 0x100) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))
               (call $result_read (i32.const 65530))))
             (if (i32.eq (local.get $which) (i32.const 5))
               (then (call $result_read (i32.const 65536))))
             (if (i32.eq (local.get $which) (i32.const 4))
               (then (drop (call $call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 65530) (i64.const 0))))))"#,
    );
    assert_trap(&chain.execute(c, &[0]), "call: address");
    assert_limit(&chain.execute(c, &[1]), "call: message");
    assert_trap(&chain.execute(c, &[2]), "query: message");
    assert_trap(&chain.execute(c, &[3]), "result_read");
    ok(&chain.execute(c, &[5]));
    assert_trap(&chain.execute(c, &[4]), "call: funds");
}

/// Input: code hash (32) ‖ label. Instantiates the code (empty message, no funds) and
/// returns status (i32) ‖ new address (20).
const FACTORY: &str = r#"
  (func (export "execute") (local $n i32)
    (local.set $n (call $read_input))
    (i32.store (i32.const 0xFC) (call $instantiate (i32.const 0x8000) (i32.const 0) (i32.const 0) (i32.const 0x6000)
      (i32.const 0x8020) (i32.sub (local.get $n) (i32.const 32)) (i32.const 0x100)))
    (call $return (i32.const 0xFC) (i32.const 24)))
  (func (export "query") (drop (call $instantiate (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0x100))))"#;

#[test]
fn instantiate_creates_a_contract_at_the_next_derived_address() {
    let mut chain = Chain::new();
    let factory = chain.deploy(FACTORY);
    let code = chain.upload(&contract(RELAY));
    let first = chain.execute(factory, &[&code.0[..], b"child"].concat());
    let data = ok(&first).to_vec();
    assert_eq!(split(&data).0, code::OK);
    let address = Address(data[4..24].try_into().unwrap());
    assert_eq!(address, Address::contract(&factory, 0));
    let instance = chain.overlay.instance(&address).unwrap().expect("instance");
    assert_eq!((instance.code_hash, instance.admin, instance.creator), (code, Some(factory), factory));
    assert_eq!((instance.label.as_str(), instance.created_at), ("child", chain.env.height));
    assert_eq!(chain.overlay.account(&factory).unwrap().nonce, 1);
    assert_eq!(child(&first).entry_point, "instantiate");
    // The child works.
    assert_eq!(split(ok(&chain.execute(factory, &[&code.0[..], b"second"].concat()))).0, code::OK);
    assert_eq!(ok(&chain.execute(Address::contract(&factory, 1), b"r")), b"answer");
}

#[test]
fn a_failed_instantiation_leaves_no_instance_but_uses_the_nonce() {
    let mut chain = Chain::new();
    let factory = chain.deploy(FACTORY);
    let failing = chain.upload(&contract(r#"(func (export "instantiate") (unreachable))"#));
    let outcome = chain.execute(factory, &failing.0);
    assert_eq!(split(ok(&outcome)).0, code::TRAPPED);
    assert_eq!(chain.overlay.instance(&Address::contract(&factory, 0)).unwrap(), None);
    assert_eq!(chain.overlay.account(&factory).unwrap().nonce, 1);

    let unknown = chain.execute(factory, &[0x42; 32]);
    assert_eq!(split(ok(&unknown)).0, code::NOT_FOUND);
}

#[test]
fn instantiate_is_refused_in_a_query_and_checks_its_arguments() {
    let mut chain = Chain::new();
    let factory = chain.deploy(FACTORY);
    assert_trap(&chain.query(factory, b""), "instantiate is not allowed in a read-only call");
    let code = chain.upload(&contract(RELAY));
    assert_trap(&chain.execute(factory, &[&code.0[..], &[0xff, 0xfe]].concat()), "label is not UTF-8");
    assert_limit(&chain.execute(factory, &[&code.0[..], &[b'x'; 129]].concat()), "instantiate: label");
    let stray = chain.deploy(
        r#"(func (export "execute") (drop (call $instantiate (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
             (i32.const 0) (i32.const 0) (i32.const 65530))))"#,
    );
    assert_trap(&chain.execute(stray, b""), "instantiate: out");
    assert_eq!(chain.overlay.account(&stray).unwrap().nonce, 0, "checked before the nonce moves");
}

#[test]
fn every_frame_records_its_message_funds_return_data_events_and_logs() {
    let mut chain = Chain::new();
    let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
    // A calls B with "r" (return "answer"), then B emits from a second call with "e".
    let outcome = chain.execute(a, &relay(b'c', &b, 0, 0, b"r"));
    ok(&outcome);
    let root = &outcome.trace;
    assert_eq!(root.msg, relay(b'c', &b, 0, 0, b"r"), "the top frame's message");
    assert_eq!(root.return_data, outcome.return_data);
    let callee = child(&outcome);
    assert_eq!(callee.msg, b"r");
    assert_eq!(callee.return_data, b"answer");
    assert!(callee.events.is_empty() && root.events.is_empty());

    let emitted = chain.execute(a, &relay(b'c', &b, 0, 0, b"e"));
    ok(&emitted);
    let callee = child(&emitted);
    assert_eq!(callee.events.len(), 1, "the callee's own event");
    assert_eq!((callee.events[0].contract, callee.events[0].ty.as_str()), (b, "relay"));
    assert!(emitted.trace.events.is_empty(), "the caller emitted nothing itself");

    // A failed callee's frame still shows what it did before failing.
    let failed = chain.execute(a, &relay(b'c', &b, 0, 0, b"x"));
    let callee = child(&failed);
    assert!(callee.error.is_some());
    assert_eq!(callee.events.len(), 1, "reverted, but shown in the trace");
    assert!(callee.return_data.is_empty());
}
