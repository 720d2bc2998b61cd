//! Storage: read, write, remove, has, iteration.

use tidepool_ledger::Table;
use tidepool_vm::Status;

use crate::support::*;

/// Input: op (1 byte) ‖ key length (1 byte) ‖ key ‖ value. Ops: w = write, r = read (returns
/// the length as i64 ‖ the value), d = remove, h = has (returns i32).
const KV: &str = r#"
  (func (export "execute") (local $n i32) (local $op i32) (local $klen i32) (local $len i64)
    (local.set $n (call $read_input))
    (local.set $op (i32.load8_u (i32.const 0x8000)))
    (local.set $klen (i32.load8_u (i32.const 0x8001)))
    (if (i32.eq (local.get $op) (i32.const 119)) (then
      (call $storage_write (i32.const 0x8002) (local.get $klen)
        (i32.add (i32.const 0x8002) (local.get $klen))
        (i32.sub (local.get $n) (i32.add (i32.const 2) (local.get $klen))))))
    (if (i32.eq (local.get $op) (i32.const 114)) (then
      (local.set $len (call $storage_read (i32.const 0x8002) (local.get $klen) (i32.const 0x1008) (i32.const 16)))
      (i64.store (i32.const 0x1000) (local.get $len))
      (call $return (i32.const 0x1000)
        (i32.add (i32.const 8) (select (i32.wrap_i64 (local.get $len)) (i32.const 0)
          (i32.and (i64.le_s (i64.const 0) (local.get $len)) (i64.le_s (local.get $len) (i64.const 16))))))))
    (if (i32.eq (local.get $op) (i32.const 100)) (then
      (call $storage_remove (i32.const 0x8002) (local.get $klen))))
    (if (i32.eq (local.get $op) (i32.const 104)) (then
      (call $return_i32 (call $storage_has (i32.const 0x8002) (local.get $klen))))))
  (func (export "query") (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1)))"#;

fn write(key: &[u8], value: &[u8]) -> Vec<u8> {
    [&[b'w', key.len() as u8], key, value].concat()
}

fn op(op: u8, key: &[u8]) -> Vec<u8> {
    [&[op, key.len() as u8], key].concat()
}

#[test]
fn write_read_has_remove_round_trip() {
    let mut chain = Chain::new();
    let c = chain.deploy(KV);
    let outcome = chain.execute(c, &write(b"apple", b"red"));
    ok(&outcome);
    assert_eq!(chain.storage(&c, b"apple").as_deref(), Some(&b"red"[..]));
    assert!(chain.last_writes.iter().any(|(table, key, value)| *table == Table::Storage
        && key.ends_with(b"apple")
        && value.as_deref() == Some(b"red")));

    let read = chain.execute(c, &op(b'r', b"apple"));
    assert_eq!(ok(&read), [&3i64.to_le_bytes()[..], b"red"].concat());
    assert_eq!(ok(&chain.execute(c, &op(b'h', b"apple"))), 1i32.to_le_bytes());
    ok(&chain.execute(c, &op(b'd', b"apple")));
    assert_eq!(chain.storage(&c, b"apple"), None);
    assert_eq!(ok(&chain.execute(c, &op(b'r', b"apple"))), (-1i64).to_le_bytes(), "NOT_FOUND");
    assert_eq!(ok(&chain.execute(c, &op(b'h', b"apple"))), 0i32.to_le_bytes());
}

#[test]
fn read_into_a_small_buffer_returns_the_length_and_copies_nothing() {
    let mut chain = Chain::new();
    let c = chain.deploy(KV);
    ok(&chain.execute(c, &write(b"k", &[9u8; 40])));
    // The fixture's buffer holds 16 bytes: the length comes back, the value does not.
    assert_eq!(ok(&chain.execute(c, &op(b'r', b"k"))), 40i64.to_le_bytes());
}

#[test]
fn contracts_cannot_see_each_others_keys() {
    let mut chain = Chain::new();
    let a = chain.deploy(KV);
    let b = chain.deploy(KV);
    ok(&chain.execute(a, &write(b"shared", b"a's")));
    assert_eq!(ok(&chain.execute(b, &op(b'r', b"shared"))), (-1i64).to_le_bytes());
}

#[test]
fn oversized_keys_and_values_are_limits() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (drop (call $read_input))
             (call $storage_write (i32.const 0) (i32.load (i32.const 0x8000))
                                  (i32.const 0) (i32.load (i32.const 0x8004))))
           (func (export "query") (drop (call $read_input))
             (drop (call $storage_read (i32.const 0) (i32.load (i32.const 0x8000)) (i32.const 0) (i32.const 0))))"#,
    );
    let args = |key: u32, value: u32| [key.to_le_bytes(), value.to_le_bytes()].concat();
    assert_limit(&chain.execute(c, &args(1025, 1)), "key");
    assert_limit(&chain.execute_with(c, &args(1, 128 * 1024 + 1), 0, 100_000_000), "value");
    assert_limit(&chain.query(c, &args(1025, 0)), "storage_read: key");
    // Negative lengths read as huge: paid for first, so out of gas.
    assert_eq!(chain.execute(c, &args(1, u32::MAX)).status, Status::OutOfGas);
    ok(&chain.execute(c, &args(1024, 0)));

    let others = chain.deploy(
        r#"(func (export "execute") (local $which i32)
             (drop (call $read_input))
             (local.set $which (i32.load8_u (i32.const 0x8000)))
             (if (i32.eq (local.get $which) (i32.const 0)) (then (call $storage_remove (i32.const 0) (i32.const 1025))))
             (if (i32.eq (local.get $which) (i32.const 1)) (then (drop (call $storage_has (i32.const 0) (i32.const 1025)))))
             (if (i32.eq (local.get $which) (i32.const 2)) (then
               (drop (call $storage_iter_open (i32.const 0) (i32.const 1025) (i32.const 0) (i32.const -1) (i32.const 0)))))
             (if (i32.eq (local.get $which) (i32.const 3)) (then
               (drop (call $storage_iter_open (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 1025) (i32.const 1))))))"#,
    );
    assert_limit(&chain.execute(others, &[0]), "storage_remove: key");
    assert_limit(&chain.execute(others, &[1]), "storage_has: key");
    assert_limit(&chain.execute(others, &[2]), "storage_iter_open: start");
    assert_limit(&chain.execute(others, &[3]), "storage_iter_open: end");
}

#[test]
fn bad_pointers_trap_in_every_storage_function() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(data (i32.const 0) "key")
           (func (export "execute") (local $which i32)
             (drop (call $read_input))
             (local.set $which (i32.load8_u (i32.const 0x8000)))
             (if (i32.eq (local.get $which) (i32.const 0))
               (then (call $storage_write (i32.const 65534) (i32.const 3) (i32.const 0) (i32.const 1))))
             (if (i32.eq (local.get $which) (i32.const 1))
               (then (call $storage_write (i32.const 0) (i32.const 3) (i32.const 65535) (i32.const 2))))
             (if (i32.eq (local.get $which) (i32.const 2))
               (then (drop (call $storage_read (i32.const -1) (i32.const 3) (i32.const 0) (i32.const 0)))))
             (if (i32.eq (local.get $which) (i32.const 3)) (then
               (call $storage_write (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 3))
               (drop (call $storage_read (i32.const 0) (i32.const 3) (i32.const 65535) (i32.const 100)))))
             (if (i32.eq (local.get $which) (i32.const 4))
               (then (call $storage_remove (i32.const 65535) (i32.const 3))))
             (if (i32.eq (local.get $which) (i32.const 5))
               (then (drop (call $storage_has (i32.const 65535) (i32.const 3))))))"#,
    );
    for (which, text) in [
        (0, "storage_write: key"),
        (1, "storage_write: value"),
        (2, "storage_read: key"),
        (3, "storage_read: value"),
        (4, "storage_remove: key"),
        (5, "storage_has: key"),
    ] {
        assert_trap(&chain.execute(c, &[which]), text);
    }
    assert_eq!(chain.storage(&c, b"key"), None, "the write before the trap was reverted");
}

#[test]
fn writes_in_a_query_trap() {
    let mut chain = Chain::new();
    let c = chain.deploy(KV);
    let outcome = chain.query(c, b"");
    assert_trap(&outcome, "storage_write is not allowed in a read-only call");
    assert!(outcome.gas_used > 0, "a query is metered");
}

/// Writes keys a..e, then iterates with bounds and order from the input:
/// order (1 byte) ‖ start length (4, u32::MAX = unbounded) ‖ end length (4) ‖ start ‖ end.
/// Returns every key and value concatenated as `key=value;`.
const ITER: &str = r#"
  (data (i32.const 0) "a1b2c3d4e5")
  (func (export "instantiate") (local $i i32)
    (loop $fill
      (call $storage_write (i32.add (i32.const 0) (i32.mul (local.get $i) (i32.const 2))) (i32.const 1)
                           (i32.add (i32.const 1) (i32.mul (local.get $i) (i32.const 2))) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 5)))))
  (func (export "execute") (local $handle i32) (local $next i64) (local $out i32) (local $slen i32) (local $elen i32)
    (drop (call $read_input))
    (local.set $slen (i32.load (i32.const 0x8001)))
    (local.set $elen (i32.load (i32.const 0x8005)))
    (local.set $handle (call $storage_iter_open
      (i32.const 0x8009) (local.get $slen)
      (i32.add (i32.const 0x8009) (select (i32.const 0) (local.get $slen) (i32.eq (local.get $slen) (i32.const -1))))
      (local.get $elen)
      (i32.load8_u (i32.const 0x8000))))
    (local.set $out (i32.const 0x2000))
    (block $done (loop $each
      (local.set $next (call $storage_iter_next (local.get $handle)
        (local.get $out) (i32.const 1) (i32.add (local.get $out) (i32.const 2)) (i32.const 1)))
      (br_if $done (i64.eq (local.get $next) (i64.const -1)))
      (i32.store8 (i32.add (local.get $out) (i32.const 1)) (i32.const 61))
      (i32.store8 (i32.add (local.get $out) (i32.const 3)) (i32.const 59))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $each)))
    (call $storage_iter_close (local.get $handle))
    (call $return (i32.const 0x2000) (i32.sub (local.get $out) (i32.const 0x2000))))"#;

fn iter_args(order: u8, start: Option<&[u8]>, end: Option<&[u8]>) -> Vec<u8> {
    let len = |b: Option<&[u8]>| b.map_or(u32::MAX, |b| b.len() as u32).to_le_bytes();
    [&[order][..], &len(start), &len(end), start.unwrap_or_default(), end.unwrap_or_default()].concat()
}

#[test]
fn iteration_in_both_orders_with_bounds() {
    let mut chain = Chain::new();
    let c = chain.deploy(ITER);
    assert_eq!(ok(&chain.execute(c, &iter_args(0, None, None))), b"a=1;b=2;c=3;d=4;e=5;");
    assert_eq!(ok(&chain.execute(c, &iter_args(1, None, None))), b"e=5;d=4;c=3;b=2;a=1;");
    assert_eq!(ok(&chain.execute(c, &iter_args(0, Some(b"b"), Some(b"d")))), b"b=2;c=3;", "[start, end)");
    assert_eq!(ok(&chain.execute(c, &iter_args(1, Some(b"b"), Some(b"d")))), b"c=3;b=2;");
    assert_eq!(ok(&chain.execute(c, &iter_args(1, Some(b"c"), None))), b"e=5;d=4;c=3;");
    assert_eq!(ok(&chain.execute(c, &iter_args(0, Some(b"x"), None))), b"");
}

/// Keys `a`, `c`, `e` at instantiation; `execute` iterates (input byte: the order) and writes
/// while it goes. Ascending: at `a` it writes `b` and removes `e`, at `c` it writes `d`.
/// Descending: at `e` it writes `d` and removes `a`, at `c` it writes `b`. Returns the keys seen.
const ITER_WHILE_WRITING: &str = r#"
  (data (i32.const 0) "acebd")
  (data (i32.const 16) "1")
  (func (export "instantiate")
    (call $storage_write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 1))
    (call $storage_write (i32.const 1) (i32.const 1) (i32.const 16) (i32.const 1))
    (call $storage_write (i32.const 2) (i32.const 1) (i32.const 16) (i32.const 1)))
  (func (export "execute") (local $h i32) (local $out i32) (local $k i32) (local $desc i32)
    (drop (call $read_input))
    (local.set $desc (i32.load8_u (i32.const 0x8000)))
    (local.set $h (call $storage_iter_open (i32.const 0) (i32.const -1) (i32.const 0) (i32.const -1) (local.get $desc)))
    (local.set $out (i32.const 0x2000))
    (block $done (loop $each
      (br_if $done (i64.eq (i64.const -1)
        (call $storage_iter_next (local.get $h) (local.get $out) (i32.const 1) (i32.const 0x100) (i32.const 1))))
      (local.set $k (i32.load8_u (local.get $out)))
      (local.set $out (i32.add (local.get $out) (i32.const 1)))
      (if (i32.eqz (local.get $desc))
        (then
          (if (i32.eq (local.get $k) (i32.const 97)) (then
            (call $storage_write (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 1))
            (call $storage_remove (i32.const 2) (i32.const 1))))
          (if (i32.eq (local.get $k) (i32.const 99)) (then
            (call $storage_write (i32.const 4) (i32.const 1) (i32.const 16) (i32.const 1)))))
        (else
          (if (i32.eq (local.get $k) (i32.const 101)) (then
            (call $storage_write (i32.const 4) (i32.const 1) (i32.const 16) (i32.const 1))
            (call $storage_remove (i32.const 0) (i32.const 1))))
          (if (i32.eq (local.get $k) (i32.const 99)) (then
            (call $storage_write (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 1))))))
      (br $each)))
    (call $return (i32.const 0x2000) (i32.sub (local.get $out) (i32.const 0x2000))))"#;

#[test]
fn each_step_of_an_iteration_sees_the_writes_before_it() {
    let mut chain = Chain::new();
    let up = chain.deploy(ITER_WHILE_WRITING);
    assert_eq!(ok(&chain.execute(up, &[0])), b"abcd", "b and d written ahead are found, e removed ahead is not");
    let down = chain.deploy(ITER_WHILE_WRITING);
    assert_eq!(ok(&chain.execute(down, &[1])), b"edcb");
}

/// 300 keys (0..300 as two big-endian bytes) with 100-byte values at instantiation; `execute`
/// iterates them all (input byte: the order) and returns the keys seen. At key 150 it removes a
/// key ahead of it, 200 ascending and 100 descending (entries the host has most likely read
/// ahead by then), and ascending it also writes key 300.
const LONG_RANGE: &str = r#"
  (func (export "instantiate") (local $i i32)
    (loop $fill
      (i32.store8 (i32.const 0x10) (i32.shr_u (local.get $i) (i32.const 8)))
      (i32.store8 (i32.const 0x11) (local.get $i))
      (i32.store8 (i32.const 0x100) (local.get $i))
      (call $storage_write (i32.const 0x10) (i32.const 2) (i32.const 0x100) (i32.const 100))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 300)))))
  (func (export "execute") (local $h i32) (local $out i32) (local $k i32) (local $desc i32)
    (drop (call $read_input))
    (local.set $desc (i32.load8_u (i32.const 0x8000)))
    (local.set $h (call $storage_iter_open (i32.const 0) (i32.const -1) (i32.const 0) (i32.const -1) (local.get $desc)))
    (local.set $out (i32.const 0x2000))
    (block $done (loop $each
      (br_if $done (i64.eq (i64.const -1)
        (call $storage_iter_next (local.get $h) (local.get $out) (i32.const 2) (i32.const 0x1000) (i32.const 100))))
      ;; the value's first byte is the key's low byte
      (if (i32.ne (i32.load8_u (i32.const 0x1000)) (i32.load8_u (i32.add (local.get $out) (i32.const 1))))
        (then (unreachable)))
      (local.set $k (i32.or (i32.shl (i32.load8_u (local.get $out)) (i32.const 8))
                            (i32.load8_u (i32.add (local.get $out) (i32.const 1)))))
      (local.set $out (i32.add (local.get $out) (i32.const 2)))
      (if (i32.eq (local.get $k) (i32.const 150)) (then
        (if (i32.eqz (local.get $desc))
          (then
            (i32.store8 (i32.const 0x10) (i32.const 1))
            (i32.store8 (i32.const 0x11) (i32.const 44))
            (i32.store8 (i32.const 0x100) (i32.const 44))
            (call $storage_write (i32.const 0x10) (i32.const 2) (i32.const 0x100) (i32.const 100))
            (i32.store8 (i32.const 0x10) (i32.const 0))
            (i32.store8 (i32.const 0x11) (i32.const 200))
            (call $storage_remove (i32.const 0x10) (i32.const 2)))
          (else
            (i32.store8 (i32.const 0x10) (i32.const 0))
            (i32.store8 (i32.const 0x11) (i32.const 100))
            (call $storage_remove (i32.const 0x10) (i32.const 2))))))
      (br $each)))
    (call $return (i32.const 0x2000) (i32.sub (local.get $out) (i32.const 0x2000))))"#;

#[test]
fn a_long_iteration_returns_every_entry_once_in_order() {
    let keys = |range: &mut dyn Iterator<Item = u16>| range.flat_map(u16::to_be_bytes).collect::<Vec<u8>>();
    let mut chain = Chain::new();
    let up = chain.deploy(LONG_RANGE);
    assert_eq!(ok(&chain.execute(up, &[0])), keys(&mut (0..=300).filter(|&k| k != 200)));
    let down = chain.deploy(LONG_RANGE);
    assert_eq!(ok(&chain.execute(down, &[1])), keys(&mut (0..300).rev().filter(|&k| k != 100)));
}

#[test]
fn iteration_does_not_advance_past_an_entry_that_does_not_fit() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(data (i32.const 0) "kv")
           (func (export "execute") (local $h i32)
             (call $storage_write (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1))
             (local.set $h (call $storage_iter_open (i32.const 0) (i32.const -1) (i32.const 0) (i32.const -1) (i32.const 0)))
             ;; value buffer of 0 bytes: lengths come back, nothing is copied, no advance
             (i64.store (i32.const 0x100) (call $storage_iter_next (local.get $h) (i32.const 0x200) (i32.const 1) (i32.const 0x300) (i32.const 0)))
             (i64.store (i32.const 0x108) (call $storage_iter_next (local.get $h) (i32.const 0x200) (i32.const 1) (i32.const 0x300) (i32.const 1)))
             (i64.store (i32.const 0x110) (call $storage_iter_next (local.get $h) (i32.const 0x200) (i32.const 1) (i32.const 0x300) (i32.const 1)))
             (call $return (i32.const 0x100) (i32.const 24)))"#,
    );
    let out = ok(&chain.execute(c, b"")).to_vec();
    let word = |i: usize| i64::from_le_bytes(out[i * 8..i * 8 + 8].try_into().unwrap());
    assert_eq!(word(0), (1 << 32) | 1, "key 1 byte, value 1 byte");
    assert_eq!(word(1), (1 << 32) | 1, "same entry again");
    assert_eq!(word(2), -1, "then exhausted");
}

#[test]
fn iterator_misuse_traps_or_hits_the_limit() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (local $which i32) (local $i i32)
             (drop (call $read_input))
             (local.set $which (i32.load8_u (i32.const 0x8000)))
             (if (i32.eq (local.get $which) (i32.const 0))
               (then (drop (call $storage_iter_next (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))))
             (if (i32.eq (local.get $which) (i32.const 1))
               (then (drop (call $storage_iter_open (i32.const 0) (i32.const -1) (i32.const 0) (i32.const -1) (i32.const 7)))))
             (if (i32.eq (local.get $which) (i32.const 2))
               (then (loop $open
                 (drop (call $storage_iter_open (i32.const 0) (i32.const -1) (i32.const 0) (i32.const -1) (i32.const 0)))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $open (i32.le_u (local.get $i) (i32.const 16))))))
             (if (i32.eq (local.get $which) (i32.const 3))
               (then (drop (call $storage_iter_open (i32.const 65535) (i32.const 2) (i32.const 0) (i32.const -1) (i32.const 0)))))
             (if (i32.eq (local.get $which) (i32.const 4)) (then
               (call $storage_iter_close (call $storage_iter_open (i32.const 0) (i32.const -1) (i32.const 0) (i32.const -1) (i32.const 0)))
               (call $storage_iter_close (i32.const 0))))
             (if (i32.eq (local.get $which) (i32.const 5)) (then
               (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1))
               (drop (call $storage_iter_next
                 (call $storage_iter_open (i32.const 0) (i32.const -1) (i32.const 0) (i32.const -1) (i32.const 0))
                 (i32.const 65536) (i32.const 4) (i32.const 0) (i32.const 4))))))"#,
    );
    assert_trap(&chain.execute(c, &[0]), "no open iterator with handle 3");
    assert_trap(&chain.execute(c, &[1]), "unknown order 7");
    assert_limit(&chain.execute(c, &[2]), "16 iterators");
    assert_trap(&chain.execute(c, &[3]), "storage_iter_open: start");
    assert_trap(&chain.execute(c, &[4]), "storage_iter_close: no open iterator with handle 0");
    assert_trap(&chain.execute(c, &[5]), "storage_iter_next: key");
}
