//! The contract side of the host ABI agrees with its table, [`tidepool_abi::host::FUNCTIONS`]:
//! every import of every sample contract is a function of the table with the table's type, and
//! the SDK's `extern` block (`contracts/sdk/src/sys.rs`) declares exactly the table's functions,
//! each with the table's wasm type.
//!
//! The VM's side (its linker, upload validation and test fixtures) is checked in `tidepool-vm`.

use tidepool_abi::MODULE;
use tidepool_abi::host::{self, FUNCTIONS, ValType};
use wasmparser::{FuncType, Parser, Payload, TypeRef};

/// The SDK's raw imports; `include_str!` makes this test rebuild whenever they change.
const SDK_SYS_RS: &str = include_str!("../../contracts/sdk/src/sys.rs");

/// The table's types of a wasmparser function type (`None` for a type the ABI never uses).
fn table_types(types: &[wasmparser::ValType]) -> Vec<Option<ValType>> {
    let table_type = |ty: &wasmparser::ValType| match ty {
        wasmparser::ValType::I32 => Some(ValType::I32),
        wasmparser::ValType::I64 => Some(ValType::I64),
        _ => None,
    };
    types.iter().map(table_type).collect()
}

fn listed(types: &[ValType]) -> Vec<Option<ValType>> {
    types.iter().copied().map(Some).collect()
}

/// `(module, name, type)` of every function import of a module; panics on any other import.
fn function_imports(wasm: &[u8]) -> Vec<(String, String, FuncType)> {
    let (mut types, mut imports) = (Vec::new(), Vec::new());
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("valid wasm") {
            Payload::TypeSection(reader) => {
                types.extend(reader.into_iter_err_on_gc_types().map(|ty| ty.expect("function type")));
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.expect("import");
                    let TypeRef::Func(index) = import.ty else {
                        panic!("{}.{} is not a function", import.module, import.name);
                    };
                    let ty: FuncType = types[index as usize].clone();
                    imports.push((import.module.to_owned(), import.name.to_owned(), ty));
                }
            }
            _ => {}
        }
    }
    imports
}

#[test]
fn every_sample_contract_imports_table_functions_with_their_types() {
    for (contract, wasm) in tidepool_artifacts::ALL {
        let imports = function_imports(wasm);
        assert!(!imports.is_empty(), "{contract} imports nothing");
        for (module, name, ty) in imports {
            assert_eq!(module, MODULE, "{contract} imports {module}.{name}");
            let function = host::find(&name).unwrap_or_else(|| panic!("{contract} imports {name}: not in the table"));
            assert_eq!(
                (table_types(ty.params()), table_types(ty.results())),
                (listed(function.params), listed(function.results)),
                "{contract} imports {name} as {ty}, the table says {}",
                function.signature()
            );
        }
    }
}

/// One `pub fn` of the SDK's `extern` block: its name and its wasm32 parameter and result types.
#[derive(Debug)]
struct Extern {
    name: String,
    params: Vec<Option<ValType>>,
    results: Vec<Option<ValType>>,
}

/// The wasm32 type a Rust type of an `extern "C"` signature passes as: pointers and 32-bit
/// integers are `i32`, 64-bit integers `i64` (`None`: a type the ABI has no place for).
fn wasm32_type(rust: &str) -> Option<ValType> {
    match rust.trim() {
        "i32" | "u32" | "usize" | "isize" => Some(ValType::I32),
        "i64" | "u64" => Some(ValType::I64),
        pointer if pointer.starts_with("*const ") || pointer.starts_with("*mut ") => Some(ValType::I32),
        _ => None,
    }
}

/// The declarations of the `unsafe extern "C" { … }` block of `sys.rs`.
fn sdk_externs(source: &str) -> Vec<Extern> {
    let code: String =
        source.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let start = code.find("unsafe extern \"C\" {").expect("sys.rs has an `unsafe extern \"C\"` block");
    let block = &code[start..];
    // Declarations hold no braces, so the block ends at the first `}`.
    let block = &block[block.find('{').unwrap() + 1..block.find('}').expect("the block ends")];
    block
        .split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let declaration = item.strip_prefix("pub fn ").unwrap_or_else(|| panic!("not a `pub fn`: {item}"));
            let (name, rest) = declaration.split_once('(').expect("a parameter list");
            let (params, ret) = rest.rsplit_once(')').expect("a closed parameter list");
            let params = params
                .split(',')
                .filter(|param| !param.trim().is_empty())
                .map(|param| wasm32_type(param.split_once(':').expect("`name: type`").1))
                .collect();
            let results = match ret.trim().strip_prefix("->").map(str::trim) {
                None | Some("!") => Vec::new(),
                Some(ty) => vec![wasm32_type(ty)],
            };
            Extern { name: name.trim().to_owned(), params, results }
        })
        .collect()
}

#[test]
fn the_sdk_externs_are_the_table() {
    assert!(
        SDK_SYS_RS.contains(&format!("#[link(wasm_import_module = \"{MODULE}\")]")),
        "sys.rs imports from module {MODULE}"
    );
    let externs = sdk_externs(SDK_SYS_RS);
    for declared in &externs {
        let function =
            host::find(&declared.name).unwrap_or_else(|| panic!("sys.rs declares {}: not in the table", declared.name));
        assert_eq!(
            (&declared.params, &declared.results),
            (&listed(function.params), &listed(function.results)),
            "sys.rs declares {} with other types than the table's {}",
            declared.name,
            function.signature()
        );
    }
    for function in FUNCTIONS {
        let count = externs.iter().filter(|declared| declared.name == function.name).count();
        assert_eq!(count, 1, "sys.rs declares {} {count} times", function.name);
    }
    assert_eq!(externs.len(), FUNCTIONS.len());
}

/// The parser reads what a change to `sys.rs` would plausibly look like, and refuses what the ABI
/// has no type for.
#[test]
fn the_extern_parser_reads_multi_line_declarations() {
    let source = r#"
        #[link(wasm_import_module = "tidepool")]
        unsafe extern "C" {
            // a comment; with a semicolon
            pub fn abort(ptr: *const u8, len: i32) -> !;
            pub fn instantiate(
                code_hash: *const u8,
                out_addr: *mut u8,
            ) -> i32;
            pub fn block_height() -> i64;
            pub fn odd(x: f32);
        }
    "#;
    let externs = sdk_externs(source);
    let summary: Vec<_> = externs.iter().map(|e| (e.name.as_str(), e.params.len(), e.results.clone())).collect();
    assert_eq!(
        summary,
        [
            ("abort", 2, vec![]),
            ("instantiate", 2, vec![Some(ValType::I32)]),
            ("block_height", 0, vec![Some(ValType::I64)]),
            ("odd", 1, vec![])
        ]
    );
    assert_eq!(externs[3].params, [None]);
}
