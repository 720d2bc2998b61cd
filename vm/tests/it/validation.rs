//! Upload validation: what is refused, with which error, and what Rust's default output needs.

use tidepool_abi::MODULE;
use tidepool_abi::host::{FUNCTIONS, HostFunction, ValType};
use tidepool_vm::{Limits, ValidationError, Vm, VmConfig};

use crate::support::contract;

fn vm() -> Vm {
    Vm::new(VmConfig::for_tests()).unwrap()
}

fn check(wat: &str) -> Result<(), ValidationError> {
    vm().prepare_code(&wat::parse_str(wat).unwrap()).unwrap().map(|_| ())
}

/// A minimal module with `extra` first (so that it may hold imports).
fn module(extra: &str) -> String {
    format!(
        r#"(module {extra} (memory (export "memory") 1) (func (export "tidepool_abi_v1")) (func (export "instantiate")))"#
    )
}

#[test]
fn a_minimal_contract_is_accepted() {
    let prepared = vm().prepare_code(&wat::parse_str(module("")).unwrap()).unwrap().unwrap();
    assert_eq!(prepared.entry_points, ["instantiate"]);
    assert!(!prepared.reentrant);
}

#[test]
fn unknown_imports_are_refused_by_name() {
    let err = check(&module(r#"(import "env" "now" (func))"#)).unwrap_err();
    assert_eq!(err, ValidationError::UnknownImport { module: "env".into(), name: "now".into() });
    assert!(err.to_string().contains("env.now"));
    let err = check(&module(r#"(import "tidepool" "random" (func (result i64)))"#)).unwrap_err();
    assert!(matches!(err, ValidationError::UnknownImport { ref name, .. } if name == "random"));
    let err =
        check(&module(r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#));
    assert!(matches!(err, Err(ValidationError::UnknownImport { .. })));
}

#[test]
fn host_functions_must_be_imported_with_their_exact_type() {
    let err = check(&module(r#"(import "tidepool" "block_height" (func (result i32)))"#)).unwrap_err();
    match err {
        ValidationError::ImportSignature { name, expected, found } => {
            assert_eq!(name, "block_height");
            assert!(expected.contains("i64") && found.contains("i32"), "{expected} / {found}");
        }
        other => panic!("{other:?}"),
    }
    let err = check(
        r#"(module (import "tidepool" "memory" (memory 1)) (func (export "tidepool_abi_v1")) (func (export "instantiate")))"#,
    );
    assert!(matches!(err, Err(ValidationError::UnknownImport { .. } | ValidationError::ImportNotFunction { .. })));
    let err = check(&module(r#"(import "tidepool" "input_len" (global i32))"#)).unwrap_err();
    assert!(matches!(err, ValidationError::ImportNotFunction { .. }), "{err:?}");
}

/// Validation reads the ABI table: each of its functions is accepted with the table's type and
/// refused with any other — a parameter more, a result more or fewer, `i32` and `i64` swapped.
#[test]
fn every_host_function_is_accepted_with_the_tables_type_and_no_other() {
    let vm = vm();
    let import = |function: &HostFunction| {
        let wat = module(&format!(r#"(import "{MODULE}" "{}" {})"#, function.name, function.signature()));
        vm.prepare_code(&wat::parse_str(wat).unwrap()).unwrap()
    };
    let swap = |ty: &ValType| if *ty == ValType::I32 { ValType::I64 } else { ValType::I32 };
    let leak = |types: Vec<ValType>| -> &'static [ValType] { types.leak() };
    for function in FUNCTIONS {
        import(function).unwrap_or_else(|e| panic!("{}: {e}", function.name));
        let mut wrong = vec![
            HostFunction { params: leak([function.params, &[ValType::I32]].concat()), ..*function },
            HostFunction {
                results: leak(if function.results.is_empty() { vec![ValType::I32] } else { vec![] }),
                ..*function
            },
        ];
        if let Some((first, rest)) = function.params.split_first() {
            wrong.push(HostFunction { params: leak([&[swap(first)], rest].concat()), ..*function });
        }
        if let Some(result) = function.results.first() {
            wrong.push(HostFunction { results: leak(vec![swap(result)]), ..*function });
        }
        for declared in wrong {
            let expected = ValidationError::ImportSignature {
                name: function.name.to_owned(),
                expected: function.signature().to_string(),
                found: declared.signature().to_string(),
            };
            assert_eq!(import(&declared), Err(expected));
        }
    }
}

#[test]
fn oversized_modules_are_refused_before_parsing() {
    let vm = Vm::new(VmConfig { limits: Limits { max_code_size: 1000, ..Limits::default() }, ..VmConfig::for_tests() })
        .unwrap();
    let big = contract(&format!("(data (i32.const 0) \"{}\")", "x".repeat(2000)));
    let err = vm.prepare_code(&big).unwrap().unwrap_err();
    assert_eq!(err, ValidationError::TooLarge { size: big.len(), max: 1000 });
    // A 3 MiB blob is refused by the default limit without being parsed.
    let err = self::vm().prepare_code(&vec![0u8; 3 << 20]).unwrap().unwrap_err();
    assert!(matches!(err, ValidationError::TooLarge { .. }));
}

#[test]
fn a_file_that_is_not_wasm_is_refused_on_one_line() {
    let err = vm().prepare_code(b"garbage!").unwrap().unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ValidationError::Malformed { offset: 0, .. }), "{err:?}");
    assert!(!message.contains('\n'), "{message}");
    assert!(message.contains("magic header not detected"), "{message}");
    assert!(message.contains("expected=[0x0, 0x61, 0x73, 0x6d]"), "{message}");
}

#[test]
fn malformed_bytes_are_refused_with_the_offset() {
    let err = vm().prepare_code(b"\0asm\x01\0\0\0\x01\x05").unwrap().unwrap_err();
    assert!(matches!(err, ValidationError::Malformed { offset, .. } if offset >= 8), "{err:?}");
}

#[test]
fn required_exports_are_checked() {
    let missing = |wat: &str| check(wat).unwrap_err();
    assert_eq!(
        missing(r#"(module (memory 1) (func (export "tidepool_abi_v1")) (func (export "instantiate")))"#),
        ValidationError::MissingExport { name: "memory".into() }
    );
    assert_eq!(
        missing(r#"(module (memory (export "memory") 1) (func (export "instantiate")))"#),
        ValidationError::MissingExport { name: "tidepool_abi_v1".into() }
    );
    assert_eq!(
        missing(r#"(module (memory (export "memory") 1) (func (export "tidepool_abi_v1")))"#),
        ValidationError::MissingExport { name: "instantiate".into() }
    );
    assert_eq!(
        missing(r#"(module (func (export "tidepool_abi_v1")) (func (export "instantiate")))"#),
        ValidationError::NoMemory
    );
    let err = missing(&module(r#"(func (export "execute") (param i32))"#));
    assert!(matches!(err, ValidationError::BadExport { ref name, .. } if name == "execute"), "{err:?}");
    let err = missing(
        r#"(module (memory 1) (global (export "memory") i32 (i32.const 0)) (func (export "tidepool_abi_v1")) (func (export "instantiate")))"#,
    );
    assert!(matches!(err, ValidationError::BadExport { ref name, .. } if name == "memory"), "{err:?}");
}

#[test]
fn structural_caps_are_enforced() {
    assert_eq!(
        check(
            r#"(module (memory (export "memory") 257) (func (export "tidepool_abi_v1")) (func (export "instantiate")))"#
        ),
        Err(ValidationError::MemoryTooLarge { pages: 257, max: 256 })
    );
    check(r#"(module (memory (export "memory") 256) (func (export "tidepool_abi_v1")) (func (export "instantiate")))"#)
        .unwrap();
    assert_eq!(
        check(&module("(table 20000 funcref)")),
        Err(ValidationError::TableTooLarge { elements: 20000, max: 16384 })
    );
    assert_eq!(check(&module("(func $s) (start $s)")), Err(ValidationError::StartFunction));

    let tight = Limits { max_functions: 3, max_globals: 2, max_data_segments: 1, ..Limits::default() };
    let vm = Vm::new(VmConfig { limits: tight, ..VmConfig::for_tests() }).unwrap();
    let check = |extra: &str| vm.prepare_code(&wat::parse_str(module(extra)).unwrap()).unwrap().map(|_| ());
    assert_eq!(check("(func) (func)"), Err(ValidationError::TooManyFunctions { count: 4, max: 3 }));
    let globals = "(global i32 (i32.const 0)) (global i32 (i32.const 0)) (global i32 (i32.const 0))";
    assert_eq!(check(globals), Err(ValidationError::TooManyGlobals { count: 3, max: 2 }));
    assert_eq!(
        check(r#"(data (i32.const 0) "a") (data (i32.const 1) "b")"#),
        Err(ValidationError::TooManyDataSegments { count: 2, max: 1 })
    );
}

#[test]
fn nondeterministic_and_unsupported_features_are_refused() {
    for (what, extra) in [
        ("simd", "(func (result v128) (v128.const i32x4 0 0 0 0))"),
        ("threads", "(func (i32.atomic.store (i32.const 0) (i32.const 0)))"),
        ("tail calls", "(func $f (return_call $f))"),
        ("externref", "(func (param externref))"),
        ("multi-memory", "(memory 1)"),
    ] {
        let err = check(&module(extra)).unwrap_err();
        assert!(matches!(err, ValidationError::Malformed { .. }), "{what}: {err:?}");
    }
    let err = check(
        r#"(module (memory (export "memory") i64 1) (func (export "tidepool_abi_v1")) (func (export "instantiate")))"#,
    );
    assert!(matches!(err, Err(ValidationError::Malformed { .. })), "memory64");
}

/// What Rust 1.95's wasm32-unknown-unknown emits by default must pass: bulk memory, sign
/// extension, mutable globals, multi-value, non-trapping float-to-int, reference types
/// (call_indirect with a table index, funcref tables and `ref.func`).
#[test]
fn rusts_default_target_features_are_accepted() {
    check(&module(
        r#"(global $sp (mut i32) (i32.const 1024))
           (table 2 funcref)
           (elem (i32.const 0) func $pair $pair)
           (type $pair_t (func (param i32) (result i32 i32)))
           (func $pair (param i32) (result i32 i32) (local.get 0) (i32.extend8_s (local.get 0)))
           (func (export "execute")
             (memory.fill (i32.const 0) (i32.const 0) (i32.const 16))
             (memory.copy (i32.const 16) (i32.const 0) (i32.const 16))
             (drop (i32.trunc_sat_f32_s (f32.const 1e10)))
             (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
             (call_indirect 0 (type $pair_t) (i32.const 7) (i32.const 1)) drop drop
             (drop (ref.func $pair)))"#,
    ))
    .unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Corrupted modules never panic the validator, and whatever it accepts, the engine
    /// compiles: validation and compilation agree on what a contract may be.
    #[test]
    fn corrupted_modules_are_refused_or_compile(flips in proptest::collection::vec((0usize..4096, 0u8..=255), 1..4)) {
        let mut wasm = contract(crate::host_calls::RELAY);
        for (at, byte) in flips {
            let at = at % wasm.len();
            wasm[at] ^= byte;
        }
        match vm_for_proptest().prepare_code(&wasm).unwrap() {
            Ok(_) => {}
            Err(ValidationError::Compile { reason }) => panic!("validated but did not compile: {reason}"),
            Err(_) => {}
        }
    }
}

fn vm_for_proptest() -> &'static Vm {
    static VM: std::sync::OnceLock<Vm> = std::sync::OnceLock::new();
    VM.get_or_init(vm)
}
