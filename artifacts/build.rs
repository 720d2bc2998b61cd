//! Builds the contracts workspace (`../contracts`) for `wasm32-unknown-unknown` with the same
//! cargo that builds this crate, and generates `$OUT_DIR/contracts.rs` embedding every `.wasm`.
//!
//! The inner build uses its own target dir (`<host target dir>/contracts-wasm`), so it never
//! contends with the host build's lock, and a clean environment: flags, wrappers and profile
//! overrides meant for the host build would break or pollute a wasm build. Cargo reruns this
//! script whenever a contract source, manifest or lock file, or the ABI crate changes, so an
//! embedded artifact is never stale.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// The one list of the outer build's settings a wasm build must not inherit (a build script
// cannot depend on the sandbox crate, so it includes the file; its function is public there).
#[path = "../sandbox/src/build/host_env.rs"]
#[allow(unreachable_pub)]
mod host_env;

use host_env::is_host_build_setting;

/// `(crate directory under contracts/, wasm file stem, constant name)`.
const CONTRACTS: &[(&str, &str, &str)] = &[
    ("token", "token", "TOKEN"),
    ("oracle", "oracle", "ORACLE"),
    ("lending-pool", "lending_pool", "LENDING_POOL"),
    ("test-contracts/callback-token", "callback_token", "CALLBACK_TOKEN"),
    ("test-contracts/fee-token", "fee_token", "FEE_TOKEN"),
    ("test-contracts/flash-receiver-good", "flash_receiver_good", "FLASH_RECEIVER_GOOD"),
    ("test-contracts/flash-receiver-bad", "flash_receiver_bad", "FLASH_RECEIVER_BAD"),
];

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let repo = manifest_dir.parent().expect("artifacts/ lives in the repository root");
    let contracts = repo.join("contracts");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    watch(&contracts, &repo.join("abi"));

    let target_dir = host_target_dir(&out_dir).join("contracts-wasm");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&contracts)
        .args(["build", "--release", "--locked", "--target", WASM_TARGET, "--manifest-path"])
        .arg(contracts.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if is_host_build_setting(key) {
            cmd.env_remove(key);
        }
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("could not run cargo for the contracts: {e}"));
    if !output.status.success() {
        panic!(
            "building the contracts (contracts/) for {WASM_TARGET} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let built = target_dir.join(WASM_TARGET).join("release");
    let mut code = String::new();
    let mut all = String::new();
    for (dir, stem, constant) in CONTRACTS {
        let wasm = built.join(format!("{stem}.wasm"));
        // A private copy: later builds of the contracts cannot change what this build embeds.
        let copy = out_dir.join(format!("{stem}.wasm"));
        fs::copy(&wasm, &copy).unwrap_or_else(|e| panic!("missing artifact {}: {e}", wasm.display()));
        let size = fs::metadata(&copy).map(|m| m.len()).unwrap_or(0);
        writeln!(code, "/// `contracts/{dir}` built for {WASM_TARGET} ({size} bytes).").unwrap();
        writeln!(code, "pub const {constant}: &[u8] = include_bytes!({:?});", copy.display().to_string()).unwrap();
        writeln!(all, "    ({:?}, {constant}),", dir.rsplit('/').next().unwrap_or(dir)).unwrap();
    }
    writeln!(code, "/// Every contract as `(name, wasm)`, names as in `contracts/` (e.g. `\"lending-pool\"`).")
        .unwrap();
    writeln!(code, "pub const ALL: &[(&str, &[u8])] = &[\n{all}];").unwrap();
    fs::write(out_dir.join("contracts.rs"), code).expect("write contracts.rs");
}

/// Reruns this script when anything the contracts are built from changes: every entry of
/// contracts/ but its target dir (members, manifests, lock file, cargo config) and the ABI.
fn watch(contracts: &Path, abi: &Path) {
    println!("cargo:rerun-if-changed={}", abi.display());
    println!("cargo:rerun-if-changed=../sandbox/src/build/host_env.rs");
    let entries = fs::read_dir(contracts).unwrap_or_else(|e| panic!("read {}: {e}", contracts.display()));
    for entry in entries.flatten() {
        if entry.file_name() != "target" {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
    }
}

/// The host build's target dir: the ancestor of `OUT_DIR` that cargo tagged with
/// `CACHEDIR.TAG`, else `CARGO_TARGET_DIR`, else `<OUT_DIR>/../../..` (`<target>/<profile>`).
fn host_target_dir(out_dir: &Path) -> PathBuf {
    if let Some(dir) = out_dir.ancestors().find(|a| a.join("CACHEDIR.TAG").is_file()) {
        return dir.to_path_buf();
    }
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    out_dir.ancestors().nth(3).expect("OUT_DIR is <target>/<profile>/build/<pkg>/out").to_path_buf()
}
