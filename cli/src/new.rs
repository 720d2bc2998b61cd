//! `tidepool new <name>`: scaffolds a contract crate that passes `cargo test` out of the box —
//! an example contract (a counter), Sandbox tests that build it to wasm and run it on the real
//! VM, a gas snapshot, a `rust-toolchain.toml` with the wasm32 target, a CI workflow and a
//! README. `docs/testing.md` walks through what it generates.
//!
//! Tidepool is not published on crates.io, so the crate depends on a Tidepool checkout by path:
//! the SDK (`contracts/sdk`) and, for tests, the node (`node`, which holds the Sandbox; built
//! without RocksDB). The checkout defaults to the one this binary was built from. The paths are
//! written relative to the new crate, and its lock file starts from Tidepool's own, so the
//! tests build with the dependency versions Tidepool is tested with.

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail, ensure};
use clap::Args;

/// `tidepool new …`
#[derive(Args)]
pub(crate) struct NewArgs {
    /// The crate's name (letters, digits, `-`, `_`; starting with a letter).
    pub name: String,
    /// Directory to create (default: `./<name>`); it must not exist or be empty.
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// The Tidepool checkout to depend on (default: the one this binary was built from).
    #[arg(long, env = "TIDEPOOL_PATH")]
    pub tidepool: Option<PathBuf>,
}

/// Runs `tidepool new`.
pub(crate) fn run(args: NewArgs, json: bool) -> anyhow::Result<()> {
    let dir = args.path.clone().unwrap_or_else(|| PathBuf::from(&args.name));
    let tidepool = args.tidepool.clone().unwrap_or_else(built_from);
    let files = scaffold(&args.name, &dir, &tidepool)?;
    if json {
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        println!("{}", serde_json::json!({"name": args.name, "path": dir, "files": files}));
    } else {
        println!("Created contract crate `{}` in {}:", args.name, dir.display());
        for file in &files {
            println!("  {}", file.display());
        }
        println!(
            "\nNext:\n  cd {}\n  cargo test     # builds the contract to wasm and runs it in the Sandbox",
            dir.display()
        );
        println!("\nGuide: {}", tidepool.join("docs/testing.md").display());
    }
    Ok(())
}

/// The Tidepool checkout this binary was built from.
fn built_from() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Writes the crate `name` into `dir` (created; must be absent or empty), depending on the
/// Tidepool checkout at `tidepool`. Returns the files written, relative to `dir`.
///
/// # Errors
/// An invalid name, a non-empty `dir`, a `tidepool` that is not a Tidepool checkout, or I/O.
pub(crate) fn scaffold(name: &str, dir: &Path, tidepool: &Path) -> anyhow::Result<Vec<PathBuf>> {
    check_name(name)?;
    let tidepool = fs::canonicalize(tidepool)
        .with_context(|| format!("the Tidepool checkout {} does not exist", tidepool.display()))?;
    for needed in ["contracts/sdk/Cargo.toml", "sandbox/Cargo.toml"] {
        ensure!(
            tidepool.join(needed).is_file(),
            "{} is not a Tidepool checkout (no {needed}); pass --tidepool <dir>",
            tidepool.display()
        );
    }
    if dir.exists() {
        let empty = fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.next().is_none();
        ensure!(empty, "{} already exists and is not empty", dir.display());
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let project = fs::canonicalize(dir)?;
    let root = relative_path(&project, &tidepool);
    let root = root.to_str().context("the Tidepool path is not UTF-8")?.trim_end_matches('/').to_owned();
    let crate_name = name.replace('-', "_");
    let fill = |template: &str| {
        template
            .replace("{name}", name)
            .replace("{crate}", &crate_name)
            .replace("{tidepool}", &root)
            .replace("{toolchain}", &toolchain_channel())
            .replace("{repository}", env!("CARGO_PKG_REPOSITORY"))
    };
    let files: [(&str, &str); 8] = [
        ("Cargo.toml", CARGO_TOML),
        (".cargo/config.toml", CARGO_CONFIG),
        ("rust-toolchain.toml", RUST_TOOLCHAIN),
        ("src/lib.rs", LIB_RS),
        ("tests/sandbox.rs", TEST_RS),
        (".github/workflows/test.yml", CI_YML),
        (".gitignore", GITIGNORE),
        ("README.md", README),
    ];
    let mut written = Vec::new();
    for (path, template) in files {
        let target = project.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, fill(template)).with_context(|| format!("writing {}", target.display()))?;
        written.push(PathBuf::from(path));
    }
    // Start from Tidepool's lock file: the same dependency versions Tidepool is tested with,
    // and no registry look-ups for them. Cargo drops what the new crate does not use.
    if let Ok(lock) = fs::read(tidepool.join("Cargo.lock")) {
        fs::write(project.join("Cargo.lock"), lock)?;
        written.push(PathBuf::from("Cargo.lock"));
    }
    Ok(written)
}

/// A name cargo accepts as a package name and that makes a valid library name.
fn check_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        bail!("invalid crate name {name:?}: use letters, digits, `-` and `_`, starting with a letter");
    }
    const RESERVED: &[&str] = &["test", "core", "std", "alloc", "proc_macro", "self", "super", "crate", "tidepool_sdk"];
    ensure!(!RESERVED.contains(&name.replace('-', "_").as_str()), "the crate name {name:?} is reserved");
    Ok(())
}

/// The toolchain Tidepool pins (its `rust-toolchain.toml`), so the new crate builds with it.
fn toolchain_channel() -> String {
    const PINNED: &str = include_str!("../../rust-toolchain.toml");
    PINNED
        .lines()
        .find_map(|line| {
            line.trim().strip_prefix("channel")?.trim().strip_prefix('=').map(|v| v.trim().trim_matches('"'))
        })
        .unwrap_or("stable")
        .to_owned()
}

/// `to` relative to `from` (both absolute and canonical), e.g. `../tidepool`.
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for component in &to[common..] {
        path.push(component);
    }
    if path.as_os_str().is_empty() { PathBuf::from(".") } else { path }
}

const CARGO_TOML: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

# cdylib: the .wasm you deploy; rlib: lets the tests use the crate's message types.
[lib]
crate-type = ["cdylib", "rlib"]

# Tidepool is not on crates.io yet: the SDK and the Sandbox come from a Tidepool checkout, by a
# path relative to this crate. Moving the crate or the checkout means updating these paths
# (and TIDEPOOL_PATH in .github/workflows/test.yml).
[dependencies]
tidepool-sdk = { path = "{tidepool}/contracts/sdk" }
serde = { version = "1", default-features = false, features = ["derive", "alloc"] }

[dev-dependencies]
# The Sandbox: Tidepool's node, VM and ledger in-process, over the memory store (no RocksDB).
tidepool-sandbox = { path = "{tidepool}/sandbox" }
serde_json = "1"

# Its own workspace (delete this table to make the crate a member of an enclosing one).
[workspace]

# The .wasm: small code is cheaper to upload ("s" keeps the inlining that makes calls fast;
# "z" is smaller but slower); overflow checks stay on so an overflow aborts the call instead of
# wrapping a balance.
[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
overflow-checks = true
strip = true

# The tests run your contract in wasmtime: optimised dependencies (compiled once) make the VM
# compile and run contracts quickly.
[profile.dev.package."*"]
opt-level = 2
debug = false
debug-assertions = false
"#;

const CARGO_CONFIG: &str = r#"# A 2 MiB initial memory for the contract (the default is its 1 MiB stack plus its data): room
# for a call's heap without `memory.grow`, which costs gas per page and makes the VM change page
# protections that the contract's next call pays to undo. Untouched pages cost nothing.
[target.wasm32-unknown-unknown]
rustflags = ["-C", "link-arg=--initial-memory=2097152"]
"#;

const RUST_TOOLCHAIN: &str = r#"# The toolchain Tidepool is built and tested with, and the wasm32 target contracts compile to.
# rustup installs both on first use.
[toolchain]
channel = "{toolchain}"
targets = ["wasm32-unknown-unknown"]
components = ["rustfmt", "clippy"]
profile = "minimal"
"#;

const LIB_RS: &str = r#"//! {name}: a Tidepool contract — a counter anyone can increment and only its owner can reset.
//!
//! Messages are JSON: `{"increment": {"by": 2}}`, `{"reset": {}}`; queries `{"count": {}}`
//! → `{"count": 7}` and `{"owner": {}}` → `{"owner": "0x…"}`. The message types are public, so
//! the tests (and any Rust client) use the same types the contract does.
#![cfg_attr(target_arch = "wasm32", no_std)]

use serde::{Deserialize, Serialize};
use tidepool_sdk::{
    Address, Binary, Context, ContractError, Item, Response, ensure, to_json_binary,
};

/// `{"start": 5}`: the first count.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct InstantiateMsg {
    /// The count to start from.
    pub start: u64,
}

/// What the contract does.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    /// Adds `by` to the count (anyone).
    Increment {
        /// How much.
        by: u64,
    },
    /// Sets the count to zero (the owner only).
    Reset {},
}

/// What it answers.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    /// → [`CountResponse`].
    Count {},
    /// → [`OwnerResponse`].
    Owner {},
}

/// `{"count": 7}`; also the data of the `count` event.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CountResponse {
    /// The count.
    pub count: u64,
}

/// `{"owner": "0x…"}`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct OwnerResponse {
    /// Who may reset.
    pub owner: Address,
}

const COUNT: Item<u64> = Item::new("count");
const OWNER: Item<Address> = Item::new("owner");

fn instantiate(ctx: &Context, msg: InstantiateMsg) -> Result<Response, ContractError> {
    COUNT.save(&msg.start)?;
    OWNER.save(&ctx.caller())?;
    Ok(Response::new())
}

fn execute(ctx: &Context, msg: ExecuteMsg) -> Result<Response, ContractError> {
    let count = match msg {
        ExecuteMsg::Increment { by } => COUNT
            .load()?
            .checked_add(by)
            .ok_or(ContractError::Overflow)?,
        ExecuteMsg::Reset {} => {
            ensure!(ctx.caller() == OWNER.load()?, "only the owner can reset");
            0
        }
    };
    COUNT.save(&count)?;
    Response::new().event("count", &CountResponse { count })
}

fn query(_ctx: &Context, msg: QueryMsg) -> Result<Binary, ContractError> {
    match msg {
        QueryMsg::Count {} => to_json_binary(&CountResponse {
            count: COUNT.load()?,
        }),
        QueryMsg::Owner {} => to_json_binary(&OwnerResponse {
            owner: OWNER.load()?,
        }),
    }
}

tidepool_sdk::entry_points! {
    instantiate = instantiate;
    execute = execute;
    query = query;
}
"#;

const TEST_RS: &str = r#"//! The contract on Tidepool's real VM, gas meter and ledger, in-process (the Sandbox). Every
//! call is a signed transaction. `build_contract` builds this crate to wasm first (cached), so
//! `cargo test` is the only command.

use serde_json::json;
use tidepool_sandbox::prelude::*;

use {crate}::{CountResponse, ExecuteMsg, InstantiateMsg, OwnerResponse, QueryMsg};

/// A Sandbox with the counter deployed by `owner`, starting at 5.
fn setup() -> (Sandbox, Account, Contract) {
    let wasm = build_contract(env!("CARGO_MANIFEST_DIR")).expect("the contract builds for wasm32");
    let sandbox = Sandbox::new();
    let owner = sandbox.account("owner");
    let counter = sandbox
        .deploy(&wasm, &owner, &InstantiateMsg { start: 5 }, "counter")
        .expect_success();
    (sandbox, owner, counter)
}

#[test]
fn anyone_can_increment() {
    let (sandbox, _owner, counter) = setup();
    let alice = sandbox.account("alice");
    let done = counter
        .execute(&alice, &ExecuteMsg::Increment { by: 2 })
        .expect_success();
    done.assert_event("count", &json!({"count": 7}));
    let answer: CountResponse = counter.query(&QueryMsg::Count {}).unwrap();
    assert_eq!(answer, CountResponse { count: 7 });
}

#[test]
fn only_the_owner_can_reset() {
    let (sandbox, owner, counter) = setup();
    let alice = sandbox.account("alice");
    // A failure prints the call tree; this one is expected.
    counter
        .execute(&alice, &ExecuteMsg::Reset {})
        .expect_error("only the owner can reset");
    counter
        .execute(&owner, &ExecuteMsg::Reset {})
        .expect_success();
    let answer: CountResponse = counter.query(&QueryMsg::Count {}).unwrap();
    assert_eq!(answer.count, 0);
    let answer: OwnerResponse = counter.query(&QueryMsg::Owner {}).unwrap();
    assert_eq!(answer.owner.0, owner.address().0);
}

#[test]
fn overflow_is_refused_and_changes_nothing() {
    let (sandbox, _owner, counter) = setup();
    let alice = sandbox.account("alice");
    counter
        .execute(&alice, &ExecuteMsg::Increment { by: u64::MAX })
        .expect_error("arithmetic overflow");
    let answer: CountResponse = counter.query(&QueryMsg::Count {}).unwrap();
    assert_eq!(answer.count, 5);
}

#[test]
fn snapshots_undo_and_time_moves() {
    let (sandbox, _owner, counter) = setup();
    let alice = sandbox.account("alice");
    let before = sandbox.snapshot();
    counter
        .execute(&alice, &ExecuteMsg::Increment { by: 10 })
        .expect_success();
    sandbox.warp(3600);
    sandbox.revert(before).unwrap();
    let answer: CountResponse = counter.query(&QueryMsg::Count {}).unwrap();
    assert_eq!(answer.count, 5);
}

/// Gas per scenario, recorded in `.gas-snapshot` (commit it). CI runs with
/// `TIDEPOOL_GAS_CHECK=1`, which fails when a figure moves (`TIDEPOOL_GAS_TOLERANCE=<percent>`
/// allows some drift).
#[test]
fn gas_snapshot() {
    let (sandbox, _owner, counter) = setup();
    let alice = sandbox.account("alice");
    let gas = GasSnapshot::new(".gas-snapshot");
    gas.assert(
        "counter instantiate",
        counter.instantiation().unwrap().gas_used(),
    );
    let increment = counter
        .execute(&alice, &ExecuteMsg::Increment { by: 1 })
        .expect_success();
    gas.assert("counter increment", increment.gas_used());
}
"#;

const CI_YML: &str = r#"# Runs the contract's tests (which build it to wasm) and checks the gas snapshot.
name: test
on: [push, pull_request]

env:
  # Tidepool is not on crates.io: the tests use a checkout at the path Cargo.toml names.
  TIDEPOOL_GIT: {repository}    # your Tidepool repository
  TIDEPOOL_PATH: {tidepool}    # as in Cargo.toml
  CARGO_TERM_COLOR: always

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Tidepool checkout
        run: git clone --depth 1 "$TIDEPOOL_GIT" "$TIDEPOOL_PATH"
      - name: Toolchain and wasm32 target (from rust-toolchain.toml)
        run: rustup show
      - uses: actions/cache@v4
        with:
          path: |
            ~/.cargo/registry
            ~/.cargo/git
            target
          key: ${{ runner.os }}-cargo-${{ hashFiles('Cargo.lock', 'rust-toolchain.toml') }}
      - run: cargo fmt --check
      - run: cargo clippy --all-targets -- -D warnings
      - name: Tests, with the gas snapshot checked
        run: cargo test
        env:
          TIDEPOOL_GAS_CHECK: "1"
"#;

const GITIGNORE: &str = "/target\n";

const README: &str = r#"# {name}

A Tidepool contract: a counter anyone can increment and only its owner can reset.

```sh
cargo test                          # builds src/ to wasm, runs tests/ in the Sandbox (real VM)
TIDEPOOL_GAS_CHECK=1 cargo test     # also fail if gas moved from .gas-snapshot (CI does this)
cargo build --release --target wasm32-unknown-unknown
ls target/wasm32-unknown-unknown/release/{crate}.wasm
```

- `src/lib.rs`: the contract (entry points, messages, storage); see Tidepool's
  `contracts/sdk/README.md` for the SDK.
- `tests/sandbox.rs`: tests on the real VM, gas meter and ledger; every call is a signed
  transaction. A failing call prints its call tree, events and logs.
- `.gas-snapshot`: gas per scenario, written by `cargo test`; commit it, CI checks it.
- `.github/workflows/test.yml`: CI (fmt, clippy, tests with the gas check).
- Tidepool comes from a checkout at `{tidepool}` (it is not on crates.io yet); the first
  `cargo test` compiles it (wasmtime included: several minutes), later runs are incremental.

Guide: `{tidepool}/docs/testing.md`.
"#;

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_ancestor() {
        assert_eq!(relative_path(Path::new("/a/b/c"), Path::new("/a/x")), PathBuf::from("../../x"));
        assert_eq!(relative_path(Path::new("/a"), Path::new("/a/x/y")), PathBuf::from("x/y"));
        assert_eq!(relative_path(Path::new("/a"), Path::new("/a")), PathBuf::from("."));
    }

    #[test]
    fn names_are_checked() {
        for good in ["counter", "my-token", "v2_vault"] {
            check_name(good).unwrap();
        }
        for bad in ["", "1st", "-x", "a b", "std", "tidepool-sdk", "ünï"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refuses_a_non_empty_directory_and_a_wrong_checkout() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("keep"), "").unwrap();
        let error = scaffold("counter", dir.path(), &built_from()).unwrap_err();
        assert!(error.to_string().contains("not empty"), "{error}");
        let error = scaffold("counter", &dir.path().join("new"), dir.path()).unwrap_err();
        assert!(error.to_string().contains("is not a Tidepool checkout"), "{error}");
    }

    #[test]
    fn writes_the_crate_with_relative_paths_to_tidepool() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("my-counter");
        let files = scaffold("my-counter", &project, &built_from()).unwrap();
        for expected in [
            "Cargo.toml",
            ".cargo/config.toml",
            "rust-toolchain.toml",
            "src/lib.rs",
            "tests/sandbox.rs",
            ".github/workflows/test.yml",
        ] {
            assert!(files.contains(&PathBuf::from(expected)), "{expected} in {files:?}");
        }
        let manifest = fs::read_to_string(project.join("Cargo.toml")).unwrap();
        let tidepool = relative_path(&fs::canonicalize(&project).unwrap(), &fs::canonicalize(built_from()).unwrap());
        assert!(manifest.contains(&format!("path = \"{}/contracts/sdk\"", tidepool.display())), "{manifest}");
        assert!(manifest.contains("name = \"my-counter\""));
        assert!(!manifest.contains("rocksdb"), "the Sandbox builds without RocksDB");
        assert!(project.join(&tidepool).join("sandbox/Cargo.toml").is_file(), "the relative path resolves");
        let test = fs::read_to_string(project.join("tests/sandbox.rs")).unwrap();
        assert!(test.contains("use my_counter::{"), "{test}");
        let cargo_config = fs::read_to_string(project.join(".cargo/config.toml")).unwrap();
        assert!(cargo_config.contains("--initial-memory=2097152"), "{cargo_config}");
        let toolchain = fs::read_to_string(project.join("rust-toolchain.toml")).unwrap();
        assert!(toolchain.contains(&format!("channel = \"{}\"", toolchain_channel())), "{toolchain}");
        assert!(toolchain.contains("wasm32-unknown-unknown"));
        assert!(!toolchain_channel().is_empty() && toolchain_channel() != "stable");
        let ci = fs::read_to_string(project.join(".github/workflows/test.yml")).unwrap();
        assert!(
            ci.contains("TIDEPOOL_GAS_CHECK: \"1\"")
                && ci.contains(&format!("TIDEPOOL_PATH: {}    # as in Cargo.toml", tidepool.display()))
        );
    }

    /// The target dir of this test build (`CARGO_TARGET_DIR`, or the ancestor of this test
    /// binary that cargo tagged).
    fn target_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
            return PathBuf::from(dir);
        }
        let exe = std::env::current_exe().unwrap();
        exe.ancestors()
            .find(|a| a.join("CACHEDIR.TAG").is_file())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| built_from().join("target"))
    }

    /// Environment of this test's own build (and of CI's gas check) that must not reach the
    /// scaffold's build: flags, wrappers, profile and target overrides, the toolchain override
    /// (the scaffold's rust-toolchain.toml decides), cargo's own variables, Tidepool's switches.
    fn outer_build_setting(key: &str) -> bool {
        matches!(
            key,
            "CARGO"
                | "RUSTC"
                | "RUSTDOC"
                | "RUSTUP_TOOLCHAIN"
                | "RUSTFLAGS"
                | "CARGO_ENCODED_RUSTFLAGS"
                | "RUSTDOCFLAGS"
                | "CARGO_ENCODED_RUSTDOCFLAGS"
                | "RUSTC_WRAPPER"
                | "RUSTC_WORKSPACE_WRAPPER"
                | "CARGO_TARGET_DIR"
                | "CARGO_MAKEFLAGS"
                | "MAKEFLAGS"
                | "MFLAGS"
                | "CARGO_PRIMARY_PACKAGE"
        ) || key.starts_with("CARGO_PROFILE_")
            || (key.starts_with("CARGO_BUILD_") && key != "CARGO_BUILD_JOBS")
            || key.starts_with("CARGO_TARGET_")
            || key.starts_with("__CARGO")
            || key.starts_with("TIDEPOOL_")
    }

    /// The whole promise: `tidepool new` then `cargo test` passes, with the contract built to
    /// wasm and run in the Sandbox — and then the gas check passes against the snapshot the
    /// first run recorded.
    ///
    /// Cost: the scaffold is its own workspace with its own profiles, so it compiles
    /// tidepool-node and wasmtime once in `<target>/scaffold-test` (about 15 minutes on two cores
    /// the first time); later runs reuse that directory and take well under a minute.
    #[test]
    fn a_scaffolded_crate_passes_cargo_test() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("counter");
        scaffold("counter", &project, &built_from()).unwrap();
        let target = target_dir().join("scaffold-test");
        let cargo_test = |check_gas: bool| {
            // `cargo` from the PATH (the rustup proxy), so the scaffold's rust-toolchain.toml
            // applies; the environment of this test's own build is not passed on.
            let mut cmd = Command::new("cargo");
            cmd.current_dir(&project).arg("test");
            for (key, _) in std::env::vars_os() {
                if key.to_str().is_some_and(outer_build_setting) {
                    cmd.env_remove(key);
                }
            }
            // After the removals, which include an outer CARGO_TARGET_DIR: set before them, it
            // was removed whenever the outer build had one (as CI does), and every CI run built
            // wasmtime afresh in the temporary project's own target dir.
            cmd.env("CARGO_TARGET_DIR", &target);
            if check_gas {
                cmd.env("TIDEPOOL_GAS_CHECK", "1");
            }
            let output = cmd.output().expect("cargo runs");
            let text =
                format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            assert!(output.status.success(), "cargo test in the scaffold failed:\n{text}");
            text
        };
        let first = cargo_test(false);
        assert!(first.contains("test result: ok. 5 passed"), "{first}");
        let snapshot = fs::read_to_string(project.join(".gas-snapshot")).unwrap();
        assert!(
            snapshot.starts_with("counter increment ") && snapshot.contains("\ncounter instantiate "),
            "{snapshot}"
        );
        cargo_test(true);
    }
}
