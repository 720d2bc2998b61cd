//! Input, return data, abort, debug log (result_len/result_read are in `host_calls`).

use tidepool_vm::Status;

use crate::support::*;

const ECHO: &str = r#"
  (func (export "execute") (call $return (i32.const 0x8000) (call $read_input)))"#;

#[test]
fn input_and_set_return_echo_the_message() {
    let mut chain = Chain::new();
    let echo = chain.deploy(ECHO);
    assert_eq!(ok(&chain.execute(echo, b"hello tidepool")), b"hello tidepool");
    assert_eq!(ok(&chain.execute(echo, b"")), b"");
}

#[test]
fn input_read_to_a_bad_pointer_traps() {
    let mut chain = Chain::new();
    let c = chain.deploy(r#"(func (export "execute") (call $input_read (i32.const 65530)))"#);
    assert_trap(&chain.execute(c, b"twelve bytes"), "input_read");
    // An empty input fits anywhere up to the end of memory.
    ok(&chain.execute(c, b""));
}

#[test]
fn set_return_refuses_oversized_and_out_of_bounds_data() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (local $n i32)
             (local.set $n (call $read_input))
             (call $set_return (i32.load (i32.const 0x8000)) (i32.load (i32.const 0x8004))))"#,
    );
    let args = |ptr: u32, len: u32| [ptr.to_le_bytes(), len.to_le_bytes()].concat();
    assert_limit(&chain.execute(c, &args(0, 128 * 1024 + 1)), "set_return");
    assert_trap(&chain.execute(c, &args(65_000, 1_000)), "set_return");
    // A hostile length is paid for first: it runs out of gas rather than allocating.
    let huge = chain.execute(c, &args(0, u32::MAX));
    assert_eq!(huge.status, Status::OutOfGas);
    assert_eq!(huge.gas_used, GAS);
    assert_eq!(ok(&chain.execute(c, &args(0x8000, 4))), &0x8000u32.to_le_bytes());
}

#[test]
fn abort_reverts_with_the_message_and_its_writes() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(data (i32.const 0) "k" "v" "paused by admin")
           (func (export "execute")
             (call $storage_write (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1))
             (call $fail (i32.const 2) (i32.const 15)))"#,
    );
    let outcome = chain.execute(c, b"");
    assert_eq!(outcome.status, Status::Reverted { message: "paused by admin".into() });
    assert!(chain.last_writes.is_empty());
    assert_eq!(chain.storage(&c, b"k"), None);
    assert!(outcome.gas_used > 0 && outcome.gas_used < GAS);
    assert_eq!(outcome.trace.error.as_deref(), Some("reverted: paused by admin"));
}

#[test]
fn abort_truncates_long_messages_and_traps_on_bad_pointers() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (drop (call $read_input))
             (call $abort (i32.load (i32.const 0x8000)) (i32.load (i32.const 0x8004))))"#,
    );
    let args = |ptr: u32, len: u32| [ptr.to_le_bytes(), len.to_le_bytes()].concat();
    match chain.execute(c, &args(0, u32::MAX)).status {
        Status::Reverted { message } => assert_eq!(message.len(), 1024, "truncated to max_log_len"),
        other => panic!("{other:?}"),
    }
    assert_trap(&chain.execute(c, &args(65_535, 2)), "abort");
}

#[test]
fn debug_log_records_lines_even_from_failed_calls() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(data (i32.const 0) "price is 42")
           (func (export "execute")
             (call $debug_log (i32.const 0) (i32.const 11))
             (if (call $read_input) (then (unreachable))))"#,
    );
    let outcome = chain.execute(c, b"");
    ok(&outcome);
    assert_eq!(outcome.logs, [format!("{c}: price is 42")]);
    assert!(chain.last_writes.is_empty(), "a log changes no state");
    let failed = chain.execute(c, b"fail");
    assert!(matches!(failed.status, Status::Trapped { .. }));
    assert_eq!(failed.logs.len(), 1, "logs survive a revert: they are for debugging");
}

#[test]
fn debug_log_truncates_and_traps_on_bad_pointers() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (drop (call $read_input))
             (call $debug_log (i32.load (i32.const 0x8000)) (i32.load (i32.const 0x8004))))"#,
    );
    let args = |ptr: u32, len: u32| [ptr.to_le_bytes(), len.to_le_bytes()].concat();
    let outcome = chain.execute(c, &args(0, 1_000_000));
    ok(&outcome);
    assert_eq!(outcome.logs[0].len(), format!("{c}: ").len() + 1024);
    assert_trap(&chain.execute(c, &args(70_000, 1)), "debug_log");
}
