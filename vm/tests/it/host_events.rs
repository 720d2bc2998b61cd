//! Events: emission, validation, caps, and reverts (nested reverts are in `host_calls`).

use tidepool_vm::{Limits, Status, VmConfig};

use crate::support::*;

/// Input: type length (u32) ‖ data length (u32) ‖ count (u32) ‖ type ‖ data. Emits the event
/// `count` times.
const EMITTER: &str = r#"
  (func (export "execute") (local $tlen i32) (local $dlen i32) (local $i i32)
    (drop (call $read_input))
    (local.set $tlen (i32.load (i32.const 0x8000)))
    (local.set $dlen (i32.load (i32.const 0x8004)))
    (block $done (loop $emit
      (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 0x8008))))
      (call $emit_event (i32.const 0x800C) (local.get $tlen)
                        (i32.add (i32.const 0x800C) (local.get $tlen)) (local.get $dlen))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $emit))))
  (func (export "query") (call $emit_event (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0)))"#;

fn emit(ty: &[u8], data: &[u8], count: u32) -> Vec<u8> {
    [&(ty.len() as u32).to_le_bytes()[..], &(data.len() as u32).to_le_bytes(), &count.to_le_bytes(), ty, data].concat()
}

#[test]
fn events_carry_contract_type_and_data() {
    let mut chain = Chain::new();
    let c = chain.deploy(EMITTER);
    let outcome = chain.execute(c, &emit(b"transfer", br#"{"amount":"5"}"#, 2));
    ok(&outcome);
    assert_eq!(outcome.events.len(), 2);
    assert_eq!(outcome.events[0].contract, c);
    assert_eq!(outcome.events[0].ty, "transfer");
    assert_eq!(outcome.events[0].data, br#"{"amount":"5"}"#);
}

#[test]
fn malformed_events_trap() {
    let mut chain = Chain::new();
    let c = chain.deploy(EMITTER);
    assert_trap(&chain.execute(c, &emit(b"t", b"{not json", 1)), "not valid JSON");
    assert_trap(&chain.execute(c, &emit(b"", b"{}", 1)), "type is empty");
    assert_trap(&chain.execute(c, &emit(&[0xff], b"{}", 1)), "not UTF-8");
    assert_trap(&chain.query(c, b""), "emit_event is not allowed in a read-only call");
    let stray = chain.deploy(
        r#"(func (export "execute") (call $emit_event (i32.const 65534) (i32.const 4) (i32.const 0) (i32.const 2)))"#,
    );
    assert_trap(&chain.execute(stray, b""), "emit_event: type");
}

#[test]
fn deeply_nested_event_data_is_checked_without_recursion() {
    let mut chain = Chain::new();
    let c = chain.deploy(EMITTER);
    // serde_json skips values with a heap stack, so nesting cannot exhaust the host's stack.
    let deep = format!("{}{}", "[".repeat(4_000), "]".repeat(4_000));
    assert_eq!(ok(&chain.execute(c, &emit(b"t", deep.as_bytes(), 1))), b"");
    let unbalanced = format!("{}{}", "[".repeat(4_000), "]".repeat(3_999));
    assert_trap(&chain.execute(c, &emit(b"t", unbalanced.as_bytes(), 1)), "not valid JSON");
}

#[test]
fn event_sizes_and_count_are_capped() {
    let mut chain = Chain::new();
    let c = chain.deploy(EMITTER);
    assert_limit(&chain.execute(c, &emit(&[b't'; 65], b"{}", 1)), "emit_event: type");
    let big = format!("\"{}\"", "x".repeat(8 * 1024));
    assert_limit(&chain.execute(c, &emit(b"t", big.as_bytes(), 1)), "emit_event: data");
    ok(&chain.execute(c, &emit(b"t", b"{}", 256)));
    assert_limit(&chain.execute(c, &emit(b"t", b"{}", 257)), "256 events");
}

#[test]
fn the_event_cap_counts_only_this_call() {
    let mut config = VmConfig::for_tests();
    config.limits = Limits { max_events: 3, ..config.limits };
    let mut chain = Chain::with_config(config);
    let c = chain.deploy(EMITTER);
    // Events of earlier calls still sit in the overlay (the node takes them per transaction).
    for _ in 0..3 {
        assert_eq!(ok(&chain.execute(c, &emit(b"t", b"1", 3))), b"");
    }
    assert_eq!(chain.overlay.events().len(), 9);
    assert!(matches!(chain.execute(c, &emit(b"t", b"1", 4)).status, Status::LimitExceeded { .. }));
}
