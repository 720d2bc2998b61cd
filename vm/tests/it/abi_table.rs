//! The ABI's host-function table ([`tidepool_abi::host::FUNCTIONS`]) against the running VM: the
//! fixtures of these tests import exactly the table, and every function charges exactly what its
//! row says it charges per call. (The linker's types are checked in `host::imports`, validation
//! in `validation`, the SDK and the sample contracts in `tidepool-artifacts`.)

use tidepool_abi::MODULE;
use tidepool_abi::host::{FUNCTIONS, HostFunction};

use crate::support::*;

/// The fixtures of every VM test (`support::contract`) import each function of the table, with the
/// table's type, and nothing else.
#[test]
fn the_test_fixtures_import_exactly_the_table() {
    let wasm = contract("");
    let mut types = Vec::new();
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        match payload.unwrap() {
            wasmparser::Payload::TypeSection(reader) => {
                types.extend(reader.into_iter_err_on_gc_types().map(Result::unwrap));
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.unwrap();
                    let wasmparser::TypeRef::Func(index) = import.ty else {
                        panic!("{} is not a function", import.name)
                    };
                    imports.push(format!("{}.{} {}", import.module, import.name, types[index as usize]));
                }
            }
            _ => {}
        }
    }
    let table: Vec<_> = FUNCTIONS.iter().map(|f| format!("{MODULE}.{} {}", f.name, f.signature())).collect();
    assert_eq!(imports, table);
}

/// The items of a row's `charges` paid once per call: those not followed by `×` (see
/// [`HostFunction::charges`]).
fn per_call_items(function: &HostFunction) -> Vec<&'static str> {
    let pieces: Vec<&str> = function.charges.split('`').collect();
    (1..pieces.len())
        .step_by(2)
        .filter(|&i| !pieces.get(i + 1).is_some_and(|after| after.trim_start().starts_with('×')))
        .map(|i| pieces[i])
        .collect()
}

/// Called with all-zero arguments (so every size a row charges per unit is 0), each host function
/// charges exactly the per-call items of its row: the gas above an empty `execute` is their sum
/// plus one unit for each `*.const` argument and one for the `call` (`drop` is free; see
/// `tidepool_vm::gas`).
#[test]
fn every_host_function_charges_the_per_call_items_of_its_row() {
    let mut chain = Chain::new();
    let schedule = serde_json::to_value(chain.vm.gas_schedule()).unwrap();
    let empty = chain.deploy(r#"(func (export "execute"))"#);
    let baseline = chain.execute(empty, b"").gas_used;
    for function in FUNCTIONS {
        let items = per_call_items(function);
        let listed: u64 = items.iter().map(|item| schedule[item].as_u64().unwrap()).sum();
        let c = chain.deploy(&call_with_zeros(function));
        let charged = chain.execute(c, b"").gas_used - baseline;
        let instructions = function.params.len() as u64 + 1;
        assert_eq!(
            charged,
            listed + instructions,
            "{}: its row says {} = {listed}, plus {instructions} for the instructions",
            function.name,
            items.join(" + ")
        );
    }
}
