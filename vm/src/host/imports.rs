//! The linker of the host ABI: it defines exactly the functions of [`tidepool_abi::host::FUNCTIONS`].
//!
//! Each group module (`io`, `storage`, …) defines its functions through [`AbiLinker::define`],
//! which refuses a name the table does not list; [`AbiLinker::finish`] refuses a linker that
//! lacks one of the table's functions. Both are host defects, so [`crate::Vm::new`] fails with
//! them at once rather than a contract finding out. wasmtime gives a function's type only through
//! a store, so the types are compared with the table by the tests below; upload validation
//! ([`crate::validate`]) compares every import with the same table, so whatever passes validation
//! links.

use tidepool_abi::{MODULE, host};
use wasmtime::{Engine, IntoFunc, Linker};

use super::{HostState, calls, context, crypto, events, io, storage};
use crate::error::VmError;

/// A linker that takes only the ABI table's functions, and notes which it has.
pub(crate) struct AbiLinker {
    linker: Linker<HostState>,
    defined: Vec<&'static str>,
}

impl AbiLinker {
    fn new(engine: &Engine) -> AbiLinker {
        AbiLinker { linker: Linker::new(engine), defined: Vec::new() }
    }

    /// Defines the host function `name` of the table as `func`.
    ///
    /// # Errors
    /// `name` is not in the table, or is already defined.
    pub(super) fn define<Params, Args>(
        &mut self,
        name: &str,
        func: impl IntoFunc<HostState, Params, Args>,
    ) -> wasmtime::Result<()> {
        let Some(function) = host::find(name) else {
            return Err(wasmtime::Error::msg(format!("`{name}` is not in tidepool_abi::host::FUNCTIONS")));
        };
        self.linker.func_wrap(MODULE, function.name, func)?;
        self.defined.push(function.name);
        Ok(())
    }

    /// The linker, once every function of the table is defined.
    ///
    /// # Errors
    /// A function of the table has no implementation.
    fn finish(self) -> wasmtime::Result<Linker<HostState>> {
        match host::FUNCTIONS.iter().find(|function| !self.defined.contains(&function.name)) {
            Some(missing) => Err(wasmtime::Error::msg(format!("`{}` of the ABI has no implementation", missing.name))),
            None => Ok(self.linker),
        }
    }
}

/// The linker with every host function of the table.
pub(crate) fn linker(engine: &Engine) -> Result<Linker<HostState>, VmError> {
    let define_all = || {
        let mut linker = AbiLinker::new(engine);
        io::register(&mut linker)?;
        storage::register(&mut linker)?;
        context::register(&mut linker)?;
        calls::register(&mut linker)?;
        events::register(&mut linker)?;
        crypto::register(&mut linker)?;
        linker.finish()
    };
    define_all().map_err(|e: wasmtime::Error| VmError::Engine(format!("defining host functions: {e:#}")))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tidepool_abi::host::{FUNCTIONS, ValType};
    use tidepool_ledger::Address;
    use wasmtime::{Extern, Store};

    use super::*;
    use crate::call::Env;
    use crate::host::{FrameContext, GrowthLimiter, TxState};
    use crate::vm::Runtime;
    use crate::{Vm, VmConfig};

    /// The table's name for a wasmtime value type (`None`: a type the ABI never uses).
    fn table_type(ty: &wasmtime::ValType) -> Option<ValType> {
        match ty {
            wasmtime::ValType::I32 => Some(ValType::I32),
            wasmtime::ValType::I64 => Some(ValType::I64),
            _ => None,
        }
    }

    /// A store for `runtime`'s linker (its data is never read: nothing runs).
    fn store(runtime: &Arc<Runtime>) -> Store<HostState> {
        let frame = FrameContext::new(Address([0; 20]), Address([0; 20]), 0, true, 1, Vec::new());
        let state = HostState {
            runtime: runtime.clone(),
            env: Env { chain_id: 0, height: 0, time: 0, origin: Address([0; 20]) },
            tx: TxState::default(),
            frame,
            memory: None,
            limiter: GrowthLimiter { max_memory_bytes: 0, max_table_elements: 0 },
        };
        Store::new(&runtime.engine, state)
    }

    /// Every definition of the linker is a row of the table, with the row's wasmtime type, and
    /// every row is defined.
    #[test]
    fn the_linker_defines_the_table_and_nothing_else_with_its_types() {
        let vm = Vm::new(VmConfig::for_tests()).unwrap();
        let runtime = vm.runtime();
        let mut store = store(runtime);
        let definitions: Vec<_> =
            runtime.linker.iter(&mut store).map(|(m, n, e)| (m.to_owned(), n.to_owned(), e)).collect();
        assert_eq!(definitions.len(), FUNCTIONS.len(), "one definition per row");
        for (module, name, definition) in definitions {
            assert_eq!(module, MODULE, "{name}");
            let row = host::find(&name).unwrap_or_else(|| panic!("`{name}` is defined but not in the table"));
            let Extern::Func(func) = definition else { panic!("`{name}` is not a function") };
            let ty = func.ty(&store);
            let defined = (
                ty.params().map(|t| table_type(&t)).collect::<Vec<_>>(),
                ty.results().map(|t| table_type(&t)).collect::<Vec<_>>(),
            );
            let listed = (
                row.params.iter().copied().map(Some).collect::<Vec<_>>(),
                row.results.iter().copied().map(Some).collect::<Vec<_>>(),
            );
            assert_eq!(defined, listed, "{name}: defined as {ty}, the table says {}", row.signature());
        }
    }

    /// A module importing every function of the table with the table's types links, so
    /// the linker defines each one with exactly that type.
    #[test]
    fn linker_defines_every_function_of_the_table_with_its_type() {
        let vm = Vm::new(VmConfig::for_tests()).unwrap();
        let runtime = vm.runtime();
        let imports: String =
            FUNCTIONS.iter().map(|f| format!("(import \"{MODULE}\" \"{}\" {})\n", f.name, f.signature())).collect();
        let wasm = wat::parse_str(format!("(module {imports})")).unwrap();
        let module = wasmtime::Module::new(&runtime.engine, wasm).unwrap();
        runtime.linker.instantiate_pre(&module).unwrap();
        assert_eq!(FUNCTIONS.len(), 33, "every host function of tidepool_abi::host");

        let wrong = r#"(module (import "tidepool" "input_len" (func (result i64))))"#;
        let module = wasmtime::Module::new(&runtime.engine, wat::parse_str(wrong).unwrap()).unwrap();
        assert!(runtime.linker.instantiate_pre(&module).is_err());
    }

    #[test]
    fn the_linker_refuses_names_outside_the_table_and_missing_rows() {
        let engine = Engine::default();
        let mut linker = AbiLinker::new(&engine);
        let error = linker.define("random", |_: wasmtime::Caller<'_, HostState>| 4_i32).unwrap_err();
        assert!(error.to_string().contains("`random` is not in tidepool_abi::host::FUNCTIONS"), "{error}");
        linker.define(host::GAS_LEFT, |_: wasmtime::Caller<'_, HostState>| 0_i64).unwrap();
        let Err(error) = linker.finish() else { panic!("the other rows are missing") };
        assert!(error.to_string().contains("of the ABI has no implementation"), "{error}");
    }
}
