//! Static validation of uploaded code, before anything is compiled or stored.
//!
//! In order: the size cap; well-formedness and the allowed features
//! ([`crate::engine::WASM_FEATURES`], the same set the engine compiles); only host functions of
//! [`abi::host::FUNCTIONS`], each with exactly the table's type (the types the linker defines, so
//! whatever passes links); the structural caps of [`Limits`]; the required exports
//! (`memory`, the ABI marker, `instantiate`) and the `() -> ()` type of every entry point.
//! Every rejection names what was wrong.

use tidepool_abi::{self as abi, host::HostFunction};
use wasmparser::{ExternalKind, FuncType, Parser, Payload, TypeRef, ValType, Validator};

use crate::engine::WASM_FEATURES;
use crate::limits::Limits;

/// Why uploaded code was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The module is larger than [`Limits::max_code_size`].
    #[error("module is {size} bytes, the limit is {max}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not a valid WebAssembly module, or it uses a feature contracts may not use.
    #[error("invalid module at byte {offset}: {message}")]
    Malformed {
        /// Byte offset of the problem.
        offset: usize,
        /// The validator's message.
        message: String,
    },
    /// An import the host does not provide.
    #[error("unknown import {module}.{name} (contracts may import only the `tidepool` host functions)")]
    UnknownImport {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// An import of something other than a function (memory, table, global, tag).
    #[error("import {module}.{name} is not a function; only host functions may be imported")]
    ImportNotFunction {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// A host function imported with a type other than its type in [`abi::host::FUNCTIONS`].
    #[error("host function {name} imported as {found}, but its type is {expected}")]
    ImportSignature {
        /// The host function.
        name: String,
        /// Its type.
        expected: String,
        /// The type the module declared.
        found: String,
    },
    /// More functions than [`Limits::max_functions`].
    #[error("module defines {count} functions, the limit is {max}")]
    TooManyFunctions {
        /// How many.
        count: u64,
        /// The limit.
        max: u32,
    },
    /// The module defines no linear memory.
    #[error("module defines no linear memory")]
    NoMemory,
    /// The memory's initial size is above [`Limits::max_memory_pages`].
    #[error("memory starts at {pages} pages, the limit is {max}")]
    MemoryTooLarge {
        /// Initial pages.
        pages: u64,
        /// The limit.
        max: u32,
    },
    /// A table's initial size is above [`Limits::max_table_elements`].
    #[error("table starts with {elements} elements, the limit is {max}")]
    TableTooLarge {
        /// Initial elements.
        elements: u64,
        /// The limit.
        max: u32,
    },
    /// More globals than [`Limits::max_globals`].
    #[error("module defines {count} globals, the limit is {max}")]
    TooManyGlobals {
        /// How many.
        count: u32,
        /// The limit.
        max: u32,
    },
    /// More data segments than [`Limits::max_data_segments`].
    #[error("module has {count} data segments, the limit is {max}")]
    TooManyDataSegments {
        /// How many.
        count: u32,
        /// The limit.
        max: u32,
    },
    /// A start function (it would run at instantiation, outside any entry point).
    #[error("module has a start function; contracts run only through their entry points")]
    StartFunction,
    /// A required export is missing.
    #[error("required export `{name}` is missing")]
    MissingExport {
        /// The export.
        name: String,
    },
    /// An export of the wrong kind or type (`memory` not a memory, an entry point not `() -> ()`).
    #[error("export `{name}` must be {expected}")]
    BadExport {
        /// The export.
        name: String,
        /// What it must be.
        expected: String,
    },
    /// The engine refused code that passed validation (should not happen; reported, not hidden).
    #[error("the engine cannot compile the module: {reason}")]
    Compile {
        /// wasmtime's message.
        reason: String,
    },
}

/// What validation learned about a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// The entry points it exports, in [`abi::entry::ALL`] order.
    pub entry_points: Vec<String>,
    /// Whether it exports [`abi::REENTRANT_MARKER_EXPORT`].
    pub reentrant: bool,
}

/// Validates `wasm` against `limits`.
///
/// # Errors
/// The first problem found, as a [`ValidationError`].
pub fn validate(wasm: &[u8], limits: &Limits) -> Result<ModuleInfo, ValidationError> {
    if wasm.len() > limits.max_code_size {
        return Err(ValidationError::TooLarge { size: wasm.len(), max: limits.max_code_size });
    }
    Validator::new_with_features(WASM_FEATURES).validate_all(wasm).map_err(malformed)?;

    let mut types: Vec<FuncType> = Vec::new();
    // Type index of every function, imported ones first (the function index space).
    let mut function_types: Vec<u32> = Vec::new();
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();
    let mut memories = 0u32;

    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(malformed)? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty.map_err(malformed)?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(malformed)?;
                    let type_index = check_import(import.module, import.name, import.ty, &types)?;
                    function_types.push(type_index);
                }
            }
            Payload::FunctionSection(reader) => {
                let count = u64::from(reader.count());
                if count > u64::from(limits.max_functions) {
                    return Err(ValidationError::TooManyFunctions { count, max: limits.max_functions });
                }
                for type_index in reader {
                    function_types.push(type_index.map_err(malformed)?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let elements = table.map_err(malformed)?.ty.initial;
                    if elements > u64::from(limits.max_table_elements) {
                        return Err(ValidationError::TableTooLarge { elements, max: limits.max_table_elements });
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    memories += 1;
                    let pages = memory.map_err(malformed)?.initial;
                    if pages > u64::from(limits.max_memory_pages) {
                        return Err(ValidationError::MemoryTooLarge { pages, max: limits.max_memory_pages });
                    }
                }
            }
            Payload::GlobalSection(reader) if reader.count() > limits.max_globals => {
                return Err(ValidationError::TooManyGlobals { count: reader.count(), max: limits.max_globals });
            }
            Payload::DataSection(reader) if reader.count() > limits.max_data_segments => {
                let count = reader.count();
                return Err(ValidationError::TooManyDataSegments { count, max: limits.max_data_segments });
            }
            Payload::StartSection { .. } => return Err(ValidationError::StartFunction),
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(malformed)?;
                    exports.push((export.name.to_owned(), export.kind, export.index));
                }
            }
            _ => {}
        }
    }
    if memories == 0 {
        return Err(ValidationError::NoMemory);
    }
    check_exports(&exports, &types, &function_types)
}

fn malformed(error: wasmparser::BinaryReaderError) -> ValidationError {
    ValidationError::Malformed { offset: error.offset(), message: one_line(error.message()) }
}

/// The parser's message on one line: some of its messages pretty-print byte arrays over many
/// lines (`expected=[\n    0x0,\n    0x61, …`), which an API error or a terminal line should not.
fn one_line(message: &str) -> String {
    let mut line = String::with_capacity(message.len());
    for (i, part) in message.lines().map(str::trim).enumerate() {
        // `[` then `0x0,` reads as `[0x0,`; `0x6d,` then `]` as `0x6d]`; else one space.
        if i > 0 && !line.ends_with('[') && !part.starts_with(']') {
            line.push(' ');
        }
        line.push_str(part);
    }
    line.replace(",]", "]")
}

/// Checks one import; returns its function type index.
fn check_import(module: &str, name: &str, ty: TypeRef, types: &[FuncType]) -> Result<u32, ValidationError> {
    let unknown = || ValidationError::UnknownImport { module: module.to_owned(), name: name.to_owned() };
    if module != abi::MODULE {
        return Err(unknown());
    }
    let host = abi::host::find(name).ok_or_else(unknown)?;
    let type_index = match ty {
        TypeRef::Func(index) => index,
        _ => return Err(ValidationError::ImportNotFunction { module: module.to_owned(), name: name.to_owned() }),
    };
    let declared = types.get(type_index as usize).ok_or_else(unknown)?;
    if !signature_matches(host, declared) {
        return Err(ValidationError::ImportSignature {
            name: name.to_owned(),
            expected: host.signature().to_string(),
            found: format!("{declared}"),
        });
    }
    Ok(type_index)
}

/// Whether `declared` is exactly the table's type of `host`.
fn signature_matches(host: &HostFunction, declared: &FuncType) -> bool {
    let same = |ours: &[abi::host::ValType], theirs: &[ValType]| {
        ours.len() == theirs.len()
            && ours.iter().zip(theirs).all(|(a, b)| match a {
                abi::host::ValType::I32 => *b == ValType::I32,
                abi::host::ValType::I64 => *b == ValType::I64,
            })
    };
    same(host.params, declared.params()) && same(host.results, declared.results())
}

fn check_exports(
    exports: &[(String, ExternalKind, u32)],
    types: &[FuncType],
    function_types: &[u32],
) -> Result<ModuleInfo, ValidationError> {
    let find = |name: &str| exports.iter().find(|(n, _, _)| n == name).map(|(_, kind, index)| (*kind, *index));
    let is_unit_function = |kind: ExternalKind, index: u32| {
        kind == ExternalKind::Func
            && function_types
                .get(index as usize)
                .and_then(|t| types.get(*t as usize))
                .is_some_and(|t| t.params().is_empty() && t.results().is_empty())
    };
    let missing = |name: &str| ValidationError::MissingExport { name: name.to_owned() };
    let bad =
        |name: &str, expected: &str| ValidationError::BadExport { name: name.to_owned(), expected: expected.into() };

    match find(abi::MEMORY_EXPORT) {
        None => return Err(missing(abi::MEMORY_EXPORT)),
        Some((ExternalKind::Memory, _)) => {}
        Some(_) => return Err(bad(abi::MEMORY_EXPORT, "a memory")),
    }
    for required in [abi::ABI_MARKER_EXPORT, abi::entry::INSTANTIATE] {
        if find(required).is_none() {
            return Err(missing(required));
        }
    }
    let mut entry_points = Vec::new();
    for name in abi::entry::ALL.into_iter().chain([abi::ABI_MARKER_EXPORT, abi::REENTRANT_MARKER_EXPORT]) {
        if let Some((kind, index)) = find(name) {
            if !is_unit_function(kind, index) {
                return Err(bad(name, "a function of type () -> ()"));
            }
            if abi::entry::ALL.contains(&name) {
                entry_points.push(name.to_owned());
            }
        }
    }
    Ok(ModuleInfo { entry_points, reentrant: find(abi::REENTRANT_MARKER_EXPORT).is_some() })
}
