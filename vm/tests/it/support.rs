//! Test support: a memory ledger with a VM in front ([`Chain`]), and [`contract`], which wraps
//! a WAT body into a module that imports every host function of the ABI table
//! ([`tidepool_abi::host::FUNCTIONS`], with the table's types) under its own name (`$storage_read`,
//! `$call`, ...) and has a 1-page memory, the ABI marker and an empty `instantiate` (unless
//! the body defines one). Helper functions available to bodies:
//!
//! - `$read_input (result i32)`: copies the input to 0x8000, returns its length;
//! - `$return (param ptr len)`: `set_return`;
//! - `$return_i32 (param v)`, `$return_i64 (param v)`: return a little-endian integer;
//! - `$fail (param ptr len)`: `abort`.

use std::sync::Arc;

use tidepool_abi::MODULE;
use tidepool_abi::host::{FUNCTIONS, HostFunction};
use tidepool_ledger::{Account, Address, Hash, MemoryStore, Overlay, Table};
use tidepool_vm::{Call, CallKind, Env, Outcome, Status, Vm, VmConfig};

/// Gas for ordinary test calls.
pub(crate) const GAS: u64 = 10_000_000;

/// An import of every host function of [`FUNCTIONS`], with the table's type, named `$` + its name.
fn imports() -> String {
    FUNCTIONS
        .iter()
        .map(|function| {
            let name = function.name;
            let ty = function.signature().to_string().replacen("(func", &format!("(func ${name}"), 1);
            format!("  (import \"{MODULE}\" \"{name}\" {ty})\n")
        })
        .collect()
}

/// An `execute` that calls one host function with all-zero arguments and drops its result.
pub(crate) fn call_with_zeros(function: &HostFunction) -> String {
    let args: String = function.params.iter().map(|ty| format!("({ty}.const 0) ")).collect();
    let drops = "drop ".repeat(function.results.len());
    format!(r#"(func (export "execute") (call ${} {args}) {drops})"#, function.name)
}

const HELPERS: &str = r#"
  (func $read_input (result i32)
    (call $input_read (i32.const 0x8000))
    (call $input_len))
  (func $return (param i32 i32) (call $set_return (local.get 0) (local.get 1)))
  (func $return_i32 (param i32)
    (i32.store (i32.const 0x7000) (local.get 0))
    (call $set_return (i32.const 0x7000) (i32.const 4)))
  (func $return_i64 (param i64)
    (i64.store (i32.const 0x7000) (local.get 0))
    (call $set_return (i32.const 0x7000) (i32.const 8)))
  (func $fail (param i32 i32) (call $abort (local.get 0) (local.get 1)))
"#;

/// A contract module around `body` (see the module docs).
pub(crate) fn contract(body: &str) -> Vec<u8> {
    let memory = if body.contains("(memory (export") { "" } else { r#"(memory (export "memory") 1)"# };
    let instantiate = if body.contains(r#"(export "instantiate")"#) { "" } else { r#"(func (export "instantiate"))"# };
    let imports = imports();
    let wat = format!("(module {imports} {memory} (func (export \"tidepool_abi_v1\")) {instantiate} {HELPERS} {body})");
    wat::parse_str(&wat).unwrap_or_else(|e| panic!("fixture does not parse: {e}\n{wat}"))
}

/// A memory ledger and a VM.
pub(crate) struct Chain {
    pub vm: Vm,
    pub overlay: Overlay,
    pub env: Env,
    /// A funded account that sends every call.
    pub sender: Address,
    /// The final value of every key the last call ([`Chain::run`]) wrote, sorted.
    pub last_writes: Vec<(Table, Vec<u8>, Option<Vec<u8>>)>,
    deployed: u64,
}

impl Chain {
    pub(crate) fn new() -> Chain {
        Chain::with_config(VmConfig::for_tests())
    }

    pub(crate) fn with_config(config: VmConfig) -> Chain {
        Chain::with_vm(Vm::new(config).expect("vm"))
    }

    pub(crate) fn with_vm(vm: Vm) -> Chain {
        let overlay = Overlay::new(Arc::new(MemoryStore::default()));
        let sender = Address([0xAA; 20]);
        let env = Env { chain_id: 7, height: 42, time: 1_700_000_000, origin: sender };
        let mut chain = Chain { vm, overlay, env, sender, last_writes: Vec::new(), deployed: 0 };
        chain.set_balance(&sender, 1_000_000);
        chain
    }

    pub(crate) fn upload(&mut self, wasm: &[u8]) -> Hash {
        self.vm.upload(&mut self.overlay, self.sender, self.env.height, wasm).expect("host").expect("valid code")
    }

    /// Uploads `contract(body)` and instantiates it with an empty message.
    pub(crate) fn deploy(&mut self, body: &str) -> Address {
        let code = self.upload(&contract(body));
        let (address, outcome) = self.instantiate(code, b"", 0);
        assert_eq!(outcome.status, Status::Success, "{}", outcome.trace);
        address
    }

    /// A top-level instantiate at the next test address.
    pub(crate) fn instantiate(&mut self, code_hash: Hash, msg: &[u8], funds: u128) -> (Address, Outcome) {
        self.deployed += 1;
        let address = Address::contract(&self.sender, 1_000 + self.deployed);
        let kind = CallKind::Instantiate { code_hash, admin: Some(self.sender), label: "test".into() };
        let outcome =
            self.run(Call { sender: self.sender, contract: address, kind, msg: msg.to_vec(), funds, gas_limit: GAS });
        (address, outcome)
    }

    pub(crate) fn execute(&mut self, contract: Address, msg: &[u8]) -> Outcome {
        self.execute_with(contract, msg, 0, GAS)
    }

    pub(crate) fn execute_with(&mut self, contract: Address, msg: &[u8], funds: u128, gas_limit: u64) -> Outcome {
        let call = Call { sender: self.sender, contract, kind: CallKind::Execute, msg: msg.to_vec(), funds, gas_limit };
        self.run(call)
    }

    pub(crate) fn query(&mut self, contract: Address, msg: &[u8]) -> Outcome {
        let call =
            Call { sender: self.sender, contract, kind: CallKind::Query, msg: msg.to_vec(), funds: 0, gas_limit: GAS };
        self.run(call)
    }

    /// Runs `call`, keeping what it wrote in `last_writes`; a call that failed must have
    /// written nothing (checked for every call of every test).
    pub(crate) fn run(&mut self, call: Call) -> Outcome {
        let before = self.overlay.checkpoint();
        let outcome = self.vm.call(&mut self.overlay, &self.env, call).expect("no host failure");
        self.last_writes = self.overlay.changes_since(before);
        if !outcome.status.is_success() {
            assert!(
                self.last_writes.is_empty(),
                "a failed call ({}) left writes: {:?}",
                outcome.status,
                self.last_writes
            );
        }
        outcome
    }

    pub(crate) fn storage(&self, contract: &Address, key: &[u8]) -> Option<Vec<u8>> {
        self.overlay.storage_get(contract, key).unwrap()
    }

    pub(crate) fn balance(&self, address: &Address) -> u128 {
        self.overlay.account(address).unwrap().balance
    }

    pub(crate) fn set_balance(&mut self, address: &Address, balance: u128) {
        let account = Account { balance, ..self.overlay.account(address).unwrap() };
        self.overlay.set_account(address, &account);
    }
}

/// Asserts a successful outcome and returns its return data.
#[track_caller]
pub(crate) fn ok(outcome: &Outcome) -> &[u8] {
    assert_eq!(outcome.status, Status::Success, "trace:\n{}", outcome.trace);
    &outcome.return_data
}

/// Asserts a trap whose message contains `text`.
#[track_caller]
pub(crate) fn assert_trap(outcome: &Outcome, text: &str) {
    match &outcome.status {
        Status::Trapped { message } => assert!(message.contains(text), "trap message {message:?} lacks {text:?}"),
        other => panic!("expected a trap containing {text:?}, got {other:?}"),
    }
    assert!(outcome.events.is_empty());
}

/// Asserts a limit status whose message contains `text`.
#[track_caller]
pub(crate) fn assert_limit(outcome: &Outcome, text: &str) {
    match &outcome.status {
        Status::LimitExceeded { message } => {
            assert!(message.contains(text), "limit message {message:?} lacks {text:?}")
        }
        other => panic!("expected a limit containing {text:?}, got {other:?}"),
    }
    assert!(outcome.events.is_empty());
}
