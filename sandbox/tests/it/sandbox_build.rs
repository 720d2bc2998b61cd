//! `build_contract`: a contract crate built to wasm from a test, cached, and run in the Sandbox.
//!
//! Builds `contracts/oracle` into `contracts/target/tidepool-wasm` (the crate's workspace
//! target dir, or `$CARGO_TARGET_DIR/tidepool-wasm`): about a minute the first time on two
//! cores, then served from the mtime cache.

use std::path::PathBuf;

use serde_json::{Value, json};
use tidepool_sandbox::{BuildError, ContractBuild, Sandbox, TxResultExt, build_contract};

fn contracts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contracts")
}

#[test]
fn a_contract_crate_is_built_cached_and_deployed() {
    let build = ContractBuild::new(contracts().join("oracle")).locked();
    let wasm = build.build().expect("contracts/oracle builds for wasm32");
    assert_eq!(&wasm[..4], b"\0asm");
    let path = build.wasm_path().unwrap();
    assert!(path.ends_with("tidepool-wasm/wasm32-unknown-unknown/release/oracle.wasm"), "{}", path.display());
    // The crate's workspace target dir, or CARGO_TARGET_DIR when set (as CI sets it).
    let target_root =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| contracts().join("target"));
    let target_root = std::fs::canonicalize(&target_root).unwrap_or(target_root);
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    assert!(path.starts_with(&target_root), "{} is not under {}", path.display(), target_root.display());

    // Fresh: served without rebuilding (the artifact is not rewritten).
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(build.build().unwrap(), wasm);
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified);

    // It is the oracle: deploy it and use it.
    let sandbox = Sandbox::new();
    let owner = sandbox.account("owner");
    let oracle = sandbox.deploy(&wasm, &owner, &json!({}), "built oracle").expect_success();
    oracle.execute(&owner, &json!({"set_price": {"asset": owner.address(), "price": "42"}})).expect_success();
    let price: Value = oracle.query(&json!({"price": {"asset": owner.address()}})).unwrap();
    assert_eq!(price["price"], "42");
}

#[test]
fn crates_that_build_no_wasm_are_refused() {
    // The SDK is a plain library (no cdylib).
    let error = build_contract(contracts().join("sdk")).unwrap_err();
    assert!(matches!(error, BuildError::NotCdylib { .. }), "{error}");
    assert!(error.to_string().contains("crate-type"), "{error}");
    let error = build_contract(contracts().join("no-such-crate")).unwrap_err();
    assert!(matches!(error, BuildError::NotACrate(_)), "{error}");
}

#[test]
fn a_failed_build_prints_the_compiler_output_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                    [lib]\ncrate-type = [\"cdylib\"]\n\n[workspace]\n";
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "#![no_std]\npub fn count() -> u64 {\n    \"seven\"\n}\n").unwrap();
    let build = ContractBuild::new(dir.path()).target_dir(dir.path().join("target"));
    let error = build.build().unwrap_err();
    assert!(matches!(error, BuildError::Cargo { .. }), "{error}");
    // `expect` prints `Debug`: cargo's output as it printed it, not one escaped line.
    let shown = format!("{error:?}");
    assert_eq!(shown, error.to_string());
    assert!(shown.starts_with("building broken for wasm32-unknown-unknown failed:\n"), "{shown}");
    assert!(shown.contains("\nerror"), "{shown}");
    assert!(!shown.contains("Cargo {") && !shown.contains("\\n"), "{shown}");
    let panic = std::panic::catch_unwind(|| build.build().expect("the contract builds")).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("the contract builds: building broken for wasm32-unknown-unknown failed:\n"),
        "{message}"
    );
}
