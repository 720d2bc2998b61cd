//! The sample contracts of `contracts/` as wasm bytes, ready to upload: [`TOKEN`], [`ORACLE`],
//! [`LENDING_POOL`] and the test-only [`CALLBACK_TOKEN`], [`FEE_TOKEN`],
//! [`FLASH_RECEIVER_GOOD`], [`FLASH_RECEIVER_BAD`]; [`ALL`] lists them by name.
//!
//! `build.rs` builds the contracts workspace for `wasm32-unknown-unknown` (release profile:
//! size-optimised, LTO, overflow checks on) whenever a contract or the ABI changes, so these
//! bytes always match the sources; no manual step. The contracts' messages are documented in
//! their crates under `contracts/`.

include!(concat!(env!("OUT_DIR"), "/contracts.rs"));

/// `(name, size in bytes)` of every contract, in [`ALL`]'s order.
pub fn sizes() -> impl Iterator<Item = (&'static str, usize)> {
    ALL.iter().map(|(name, wasm)| (*name, wasm.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_abi::{ABI_MARKER_EXPORT, MEMORY_EXPORT, MODULE, REENTRANT_MARKER_EXPORT, entry};
    use wasmparser::{Parser, Payload};

    /// Export and import names of a module.
    fn exports_and_imports(wasm: &[u8]) -> (Vec<String>, Vec<(String, String)>) {
        let (mut exports, mut imports) = (Vec::new(), Vec::new());
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.expect("valid wasm") {
                Payload::ExportSection(reader) => {
                    for export in reader {
                        exports.push(export.expect("export").name.to_string());
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.expect("import");
                        imports.push((import.module.to_string(), import.name.to_string()));
                    }
                }
                _ => {}
            }
        }
        (exports, imports)
    }

    #[test]
    fn every_artifact_is_an_abi_v1_contract() {
        assert_eq!(ALL.len(), 7);
        for (name, wasm) in ALL {
            assert_eq!(&wasm[..4], b"\0asm", "{name}: wasm magic");
            let (exports, imports) = exports_and_imports(wasm);
            for required in [ABI_MARKER_EXPORT, MEMORY_EXPORT, entry::INSTANTIATE, entry::EXECUTE] {
                assert!(exports.iter().any(|e| e == required), "{name} does not export {required}: {exports:?}");
            }
            assert!(!exports.iter().any(|e| e == REENTRANT_MARKER_EXPORT), "{name} opted in to re-entry");
            for (module, field) in &imports {
                assert_eq!(module, MODULE, "{name} imports {module}::{field}");
            }
        }
    }

    #[test]
    fn queries_are_exported_where_expected() {
        for (name, wasm) in ALL {
            let has_query = exports_and_imports(wasm).0.iter().any(|e| e == entry::QUERY);
            assert_eq!(has_query, !name.starts_with("flash-receiver"), "{name}");
        }
    }

    #[test]
    fn sizes_are_listed() {
        let sizes: Vec<_> = sizes().collect();
        assert_eq!(sizes.len(), ALL.len());
        assert!(sizes.iter().all(|(_, size)| *size > 0));
    }
}
