//! The host functions of the native test double, with the same signatures as the wasm imports
//! in `sys`. State lives in a thread-local; an abort unwinds (a panic with an [`Abort`]
//! payload) to the frame that started the call, which restores the state it snapshotted.
#![allow(missing_docs, clippy::missing_safety_doc)]

extern crate std;

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any};

use tidepool_abi::{UNBOUNDED, call as status, limits};

use super::MockEvent;
use crate::{Address, EntryPoints};

/// The payload of an abort's unwind.
struct Abort(String);

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Instantiate,
    Execute,
    Query,
}

/// An open iterator: a snapshot of the range and the position in it.
type Snapshot = (Vec<(Vec<u8>, Vec<u8>)>, usize);

struct Frame {
    contract: Address,
    caller: Address,
    input: Vec<u8>,
    output: Vec<u8>,
    funds: u128,
    last_result: Vec<u8>,
    read_only: bool,
    iterators: Vec<Snapshot>,
}

pub(crate) struct State {
    pub storage: BTreeMap<Address, BTreeMap<Vec<u8>, Vec<u8>>>,
    pub balances: BTreeMap<Address, u128>,
    pub contracts: BTreeMap<Address, EntryPoints>,
    pub events: Vec<MockEvent>,
    pub logs: Vec<String>,
    pub origin: Address,
    pub height: u64,
    pub time: u64,
    pub chain_id: u64,
    pub next_contract: u64,
    frames: Vec<Frame>,
}

impl State {
    fn new() -> Self {
        State {
            storage: BTreeMap::new(),
            balances: BTreeMap::new(),
            contracts: BTreeMap::new(),
            events: Vec::new(),
            logs: Vec::new(),
            origin: Address::ZERO,
            height: 1,
            time: super::GENESIS_TIME,
            chain_id: 1337,
            next_contract: 0,
            frames: Vec::new(),
        }
    }

    fn frame(&mut self) -> &mut Frame {
        match self.frames.last_mut() {
            Some(f) => f,
            None => panic!("a host function was called outside a contract call"),
        }
    }

    fn writable(&mut self) -> &mut Frame {
        let frame = self.frame();
        if frame.read_only {
            panic!("state change in a read-only query");
        }
        frame
    }
}

std::thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::new());
}

pub(crate) fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

pub(crate) fn reset() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        // Aborts are control flow here, not bugs: keep them out of the test output.
        let previous = std::panic::take_hook();
        std::panic::set_hook(alloc::boxed::Box::new(move |info| {
            if info.payload().downcast_ref::<Abort>().is_none() {
                previous(info);
            }
        }));
    });
    with_state(|s| *s = State::new());
}

/// Runs one contract frame; on failure restores the state as it was and returns the status
/// and message.
pub(crate) fn run_frame(
    entry: Entry,
    caller: Address,
    contract: Address,
    input: Vec<u8>,
    funds: u128,
) -> Result<Vec<u8>, (i32, String)> {
    let prepared = with_state(|s| {
        let Some(entries) = s.contracts.get(&contract).copied() else {
            return Err((status::NOT_FOUND, format!("no contract at {contract}")));
        };
        let (handler, name) = match entry {
            Entry::Instantiate => (entries.instantiate, "instantiate"),
            Entry::Execute => (entries.execute, "execute"),
            Entry::Query => (entries.query, "query"),
        };
        // The VM's messages, but for the code hash a registered function does not have.
        let Some(handler) = handler else { return Err((status::NOT_FOUND, format!("no `{name}` entry point"))) };
        if s.frames.iter().any(|f| f.contract == contract) && !entries.reentrant {
            return Err((status::REENTRY_REFUSED, String::new()));
        }
        if s.frames.len() >= limits::MAX_CALL_DEPTH as usize {
            return Err((status::LIMIT, format!("call depth: at most {} frames", limits::MAX_CALL_DEPTH)));
        }
        let snapshot = (s.storage.clone(), s.balances.clone(), s.events.len());
        if funds > 0 {
            let from = s.balances.get(&caller).copied().unwrap_or(0);
            if from < funds {
                return Err((status::INSUFFICIENT_FUNDS, String::new()));
            }
            s.balances.insert(caller, from - funds);
            *s.balances.entry(contract).or_default() += funds;
        }
        let read_only = entry == Entry::Query || s.frames.last().is_some_and(|f| f.read_only);
        s.frames.push(Frame {
            contract,
            caller,
            input,
            output: Vec::new(),
            funds,
            last_result: Vec::new(),
            read_only,
            iterators: Vec::new(),
        });
        Ok((handler, snapshot))
    });
    let (handler, snapshot) = prepared?;
    let outcome = catch_unwind(AssertUnwindSafe(handler));
    with_state(|s| {
        let frame = s.frames.pop().expect("frame pushed above");
        match outcome {
            Ok(()) => Ok(frame.output),
            Err(payload) => {
                (s.storage, s.balances) = (snapshot.0, snapshot.1);
                s.events.truncate(snapshot.2);
                Err(match payload.downcast::<Abort>() {
                    Ok(abort) => (status::REVERTED, abort.0),
                    // On wasm the SDK's panic handler aborts with "panic: <message>".
                    Err(payload) => {
                        let msg = payload
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        (status::REVERTED, alloc::format!("panic: {msg}"))
                    }
                })
            }
        }
    })
}

/// Runs `f` inside a frame of `contract` called by `caller` (no rollback; panics propagate).
pub(crate) fn with_frame<R>(contract: Address, caller: Address, f: impl FnOnce() -> R) -> R {
    with_state(|s| {
        s.frames.push(Frame {
            contract,
            caller,
            input: Vec::new(),
            output: Vec::new(),
            funds: 0,
            last_result: Vec::new(),
            read_only: false,
            iterators: Vec::new(),
        })
    });
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            with_state(|s| s.frames.pop());
        }
    }
    let _pop = Pop;
    f()
}

unsafe fn slice<'a>(ptr: *const u8, len: i32) -> &'a [u8] {
    if len <= 0 { &[] } else { unsafe { core::slice::from_raw_parts(ptr, len as usize) } }
}

unsafe fn write(out: *mut u8, bytes: &[u8]) {
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len()) }
}

pub unsafe fn input_len() -> i32 {
    with_state(|s| s.frame().input.len() as i32)
}

pub unsafe fn input_read(ptr: *mut u8) {
    with_state(|s| unsafe { write(ptr, &s.frame().input) })
}

pub unsafe fn set_return(ptr: *const u8, len: i32) {
    let data = unsafe { slice(ptr, len) }.to_vec();
    with_state(|s| s.frame().output = data)
}

pub unsafe fn abort(ptr: *const u8, len: i32) -> ! {
    let message = String::from_utf8_lossy(unsafe { slice(ptr, len) }).into_owned();
    panic_any(Abort(message))
}

pub unsafe fn storage_read(key_ptr: *const u8, key_len: i32, val_ptr: *mut u8, val_cap: i32) -> i64 {
    let key = unsafe { slice(key_ptr, key_len) };
    with_state(|s| {
        let contract = s.frame().contract;
        match s.storage.get(&contract).and_then(|m| m.get(key)) {
            None => tidepool_abi::status::NOT_FOUND,
            Some(v) => {
                if v.len() <= val_cap.max(0) as usize {
                    unsafe { write(val_ptr, v) };
                }
                v.len() as i64
            }
        }
    })
}

pub unsafe fn storage_write(key_ptr: *const u8, key_len: i32, val_ptr: *const u8, val_len: i32) {
    let (key, value) = unsafe { (slice(key_ptr, key_len).to_vec(), slice(val_ptr, val_len).to_vec()) };
    assert!(
        key.len() <= limits::MAX_KEY_LEN as usize && value.len() <= limits::MAX_VALUE_LEN as usize,
        "storage limit"
    );
    with_state(|s| {
        let contract = s.writable().contract;
        s.storage.entry(contract).or_default().insert(key, value);
    })
}

pub unsafe fn storage_remove(key_ptr: *const u8, key_len: i32) {
    let key = unsafe { slice(key_ptr, key_len) };
    with_state(|s| {
        let contract = s.writable().contract;
        s.storage.entry(contract).or_default().remove(key);
    })
}

pub unsafe fn storage_has(key_ptr: *const u8, key_len: i32) -> i32 {
    let key = unsafe { slice(key_ptr, key_len) };
    with_state(|s| {
        let contract = s.frame().contract;
        i32::from(s.storage.get(&contract).is_some_and(|m| m.contains_key(key)))
    })
}

pub unsafe fn storage_iter_open(
    start_ptr: *const u8,
    start_len: i32,
    end_ptr: *const u8,
    end_len: i32,
    order: i32,
) -> i32 {
    let bound = |ptr, len: i32| (len as u32 != UNBOUNDED).then(|| unsafe { slice(ptr, len) }.to_vec());
    let (start, end) = (bound(start_ptr, start_len), bound(end_ptr, end_len));
    with_state(|s| {
        let contract = s.frame().contract;
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = s
            .storage
            .get(&contract)
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| start.as_ref().is_none_or(|st| *k >= st) && end.as_ref().is_none_or(|e| *k < e))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if order == tidepool_abi::order::DESCENDING {
            entries.reverse();
        }
        let frame = s.frame();
        frame.iterators.push((entries, 0));
        frame.iterators.len() as i32 - 1
    })
}

pub unsafe fn storage_iter_next(handle: i32, key_ptr: *mut u8, key_cap: i32, val_ptr: *mut u8, val_cap: i32) -> i64 {
    with_state(|s| {
        let (entries, pos) = &mut s.frame().iterators[handle as usize];
        let Some((k, v)) = entries.get(*pos) else { return tidepool_abi::status::NOT_FOUND };
        if k.len() <= key_cap as usize && v.len() <= val_cap as usize {
            unsafe {
                write(key_ptr, k);
                write(val_ptr, v);
            }
            *pos += 1;
        }
        ((k.len() as i64) << 32) | v.len() as i64
    })
}

pub unsafe fn storage_iter_close(_handle: i32) {}

pub unsafe fn self_address(out: *mut u8) {
    with_state(|s| unsafe { write(out, &s.frame().contract.0) })
}

pub unsafe fn caller(out: *mut u8) {
    with_state(|s| unsafe { write(out, &s.frame().caller.0) })
}

pub unsafe fn origin(out: *mut u8) {
    with_state(|s| unsafe { write(out, &s.origin.0) })
}

pub unsafe fn block_height() -> i64 {
    with_state(|s| s.height as i64)
}

pub unsafe fn block_time() -> i64 {
    with_state(|s| s.time as i64)
}

pub unsafe fn chain_id() -> i64 {
    with_state(|s| s.chain_id as i64)
}

pub unsafe fn attached_funds(out: *mut u8) {
    with_state(|s| unsafe { write(out, &s.frame().funds.to_le_bytes()) })
}

pub unsafe fn gas_left() -> i64 {
    i64::MAX
}

pub unsafe fn balance(addr: *const u8, out: *mut u8) {
    let addr = read_addr(addr);
    with_state(|s| unsafe { write(out, &s.balances.get(&addr).copied().unwrap_or(0).to_le_bytes()) })
}

fn read_addr(ptr: *const u8) -> Address {
    Address(unsafe { slice(ptr, 20) }.try_into().expect("20 bytes"))
}

fn read_amount(ptr: *const u8) -> u128 {
    u128::from_le_bytes(unsafe { slice(ptr, 16) }.try_into().expect("16 bytes"))
}

pub unsafe fn transfer(to: *const u8, amount: *const u8) -> i32 {
    let (to, amount) = (read_addr(to), read_amount(amount));
    with_state(|s| {
        let from = s.writable().contract;
        let have = s.balances.get(&from).copied().unwrap_or(0);
        if have < amount {
            return tidepool_abi::status::INSUFFICIENT_FUNDS;
        }
        s.balances.insert(from, have - amount);
        *s.balances.entry(to).or_default() += amount;
        tidepool_abi::status::OK
    })
}

fn nested(entry: Entry, contract: Address, msg: Vec<u8>, funds: u128) -> i32 {
    let caller = with_state(|s| {
        let frame = s.frame();
        if entry != Entry::Query && frame.read_only {
            panic!("state-changing call in a read-only query");
        }
        frame.contract
    });
    let (code, result) = match run_frame(entry, caller, contract, msg, funds) {
        Ok(data) => (status::OK, data),
        Err((code, message)) => (code, message.into_bytes()),
    };
    with_state(|s| s.frame().last_result = result);
    code
}

pub unsafe fn call(addr: *const u8, msg_ptr: *const u8, msg_len: i32, funds: *const u8, _gas_limit: i64) -> i32 {
    let msg = unsafe { slice(msg_ptr, msg_len) }.to_vec();
    nested(Entry::Execute, read_addr(addr), msg, read_amount(funds))
}

pub unsafe fn query(addr: *const u8, msg_ptr: *const u8, msg_len: i32) -> i32 {
    let msg = unsafe { slice(msg_ptr, msg_len) }.to_vec();
    nested(Entry::Query, read_addr(addr), msg, 0)
}

#[allow(clippy::too_many_arguments)]
pub unsafe fn instantiate(
    _code_hash: *const u8,
    _msg_ptr: *const u8,
    _msg_len: i32,
    _funds: *const u8,
    _label_ptr: *const u8,
    _label_len: i32,
    _out_addr: *mut u8,
) -> i32 {
    with_state(|s| s.frame().last_result = b"the native test double has no uploaded code".to_vec());
    status::NOT_FOUND
}

pub unsafe fn result_len() -> i32 {
    with_state(|s| s.frame().last_result.len() as i32)
}

pub unsafe fn result_read(ptr: *mut u8) {
    with_state(|s| unsafe { write(ptr, &s.frame().last_result) })
}

pub unsafe fn emit_event(type_ptr: *const u8, type_len: i32, data_ptr: *const u8, data_len: i32) {
    let ty = String::from_utf8_lossy(unsafe { slice(type_ptr, type_len) }).into_owned();
    let data = serde_json::from_slice(unsafe { slice(data_ptr, data_len) }).expect("event data must be JSON");
    with_state(|s| {
        let contract = s.writable().contract;
        s.events.push(MockEvent { contract, ty, data });
    })
}

fn no_crypto() -> ! {
    panic!("only keccak256 of the crypto host functions is in the native test double; use the Sandbox")
}

pub unsafe fn keccak256(ptr: *const u8, len: i32, out: *mut u8) {
    unsafe { write(out, &super::keccak::keccak256(slice(ptr, len))) }
}

pub unsafe fn sha256(_ptr: *const u8, _len: i32, _out: *mut u8) {
    no_crypto()
}

pub unsafe fn secp256k1_verify(_hash: *const u8, _sig: *const u8, _pubkey: *const u8, _pubkey_len: i32) -> i32 {
    no_crypto()
}

pub unsafe fn secp256k1_recover(_hash: *const u8, _sig: *const u8, _recovery_id: i32, _out: *mut u8) -> i32 {
    no_crypto()
}

pub unsafe fn address_from_pubkey(_pubkey: *const u8, _pubkey_len: i32, _out: *mut u8) -> i32 {
    no_crypto()
}

pub unsafe fn debug_log(ptr: *const u8, len: i32) {
    let line = String::from_utf8_lossy(unsafe { slice(ptr, len) }).into_owned();
    with_state(|s| {
        let contract = s.frame().contract;
        s.logs.push(alloc::format!("{contract}: {line}"));
    })
}
