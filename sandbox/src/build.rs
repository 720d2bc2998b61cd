//! Building a contract crate of your workspace to wasm from a test, so `cargo test` needs no
//! manual build step: [`build_contract`] (or [`ContractBuild`] for options).
//!
//! It runs `cargo build --release --lib --target wasm32-unknown-unknown` for the crate, into a
//! target directory of its own under the crate's workspace target directory
//! (`<target>/tidepool-wasm`: the outer `cargo test` holds its own directory's lock, and host
//! flags never mix with wasm builds). The environment is cleaned as `artifacts/build.rs` does
//! for the sample contracts: `RUSTFLAGS`, wrappers (e.g. clippy's), profile overrides and the
//! jobserver of the outer build are not passed on.
//!
//! Results are cached twice: in the process (parallel tests build once, later calls reuse the
//! bytes), and across runs by modification times — when the `.wasm` is newer than every
//! source file cargo's dep-info lists for it and than the manifests and lock file, cargo is not
//! run at all. Otherwise cargo's own incremental build decides what to recompile.
//!
//! Needs the `wasm32-unknown-unknown` target (`rustup target add wasm32-unknown-unknown`, or a
//! `rust-toolchain.toml` listing it, as `tidepool new` writes).

mod host_env;

pub use host_env::is_host_build_setting;

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use parking_lot::Mutex;
use serde_json::Value;

/// The wasm target.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The directory under the workspace target dir that contract builds use.
pub const TARGET_SUBDIR: &str = "tidepool-wasm";

/// Why a contract could not be built. `Debug` prints the same text as `Display`, so that
/// `build_contract(…).expect(…)` and `unwrap()` show cargo's output line by line rather than
/// as one escaped string.
#[derive(thiserror::Error)]
pub enum BuildError {
    /// No `Cargo.toml` in the directory.
    #[error("{0} is not a crate directory (no Cargo.toml)")]
    NotACrate(PathBuf),
    /// `cargo metadata` failed or said something unexpected.
    #[error("cargo metadata for {manifest}: {reason}")]
    Metadata {
        /// The crate's manifest.
        manifest: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The crate's library is not a `cdylib`, so it builds no `.wasm`.
    #[error(
        "{manifest}: the crate has no cdylib library, so it builds no .wasm; add \
         `[lib] crate-type = [\"cdylib\", \"rlib\"]`"
    )]
    NotCdylib {
        /// The crate's manifest.
        manifest: PathBuf,
    },
    /// Cargo could not be started.
    #[error("could not run {cargo:?}: {source}")]
    Spawn {
        /// The cargo binary.
        cargo: OsString,
        /// Why.
        source: std::io::Error,
    },
    /// `cargo build` failed; its output says why.
    #[error("building {package} for {WASM_TARGET} failed:\n{output}")]
    Cargo {
        /// The package.
        package: String,
        /// Cargo's standard error (and output).
        output: String,
    },
    /// The `.wasm` could not be read after a successful build.
    #[error("reading {path}: {source}")]
    Read {
        /// The artifact.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Builds the contract crate in `crate_dir` for wasm32 (release profile) and returns the
/// `.wasm` bytes. A relative path is from the current directory, which under `cargo test` is
/// the testing package's directory: `build_contract(env!("CARGO_MANIFEST_DIR"))` builds the
/// crate the test belongs to.
///
/// # Errors
/// The directory is not a cdylib crate, or cargo failed (the error carries its output).
///
/// # Examples
///
/// ```no_run
/// use tidepool_sandbox::{Sandbox, build_contract};
///
/// let wasm = build_contract(env!("CARGO_MANIFEST_DIR")).expect("the contract builds");
/// let sandbox = Sandbox::new();
/// let code = sandbox.upload(&wasm).unwrap();
/// ```
pub fn build_contract(crate_dir: impl AsRef<Path>) -> Result<Vec<u8>, BuildError> {
    ContractBuild::new(crate_dir).build()
}

/// A contract build with options; [`build_contract`] is `ContractBuild::new(dir).build()`.
#[derive(Clone, Debug)]
pub struct ContractBuild {
    crate_dir: PathBuf,
    target_dir: Option<PathBuf>,
    features: Vec<String>,
    no_default_features: bool,
    locked: bool,
}

/// What `cargo metadata` says about the crate.
struct Package {
    name: String,
    manifest: PathBuf,
    wasm_stem: String,
    target_directory: PathBuf,
    workspace_root: PathBuf,
}

/// Artifacts read in this process: path → (modification time, bytes).
type Memo = HashMap<PathBuf, (SystemTime, Arc<Vec<u8>>)>;

/// Serialises builds in this process and remembers what they produced.
fn memo() -> &'static Mutex<Memo> {
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    MEMO.get_or_init(Mutex::default)
}

impl ContractBuild {
    /// A build of the crate in `crate_dir`.
    pub fn new(crate_dir: impl AsRef<Path>) -> ContractBuild {
        ContractBuild {
            crate_dir: crate_dir.as_ref().to_path_buf(),
            target_dir: None,
            features: Vec::new(),
            no_default_features: false,
            locked: false,
        }
    }

    /// Builds into `dir` instead of `<workspace target>/tidepool-wasm`.
    pub fn target_dir(self, dir: impl AsRef<Path>) -> ContractBuild {
        ContractBuild { target_dir: Some(dir.as_ref().to_path_buf()), ..self }
    }

    /// Enables these cargo features of the crate.
    pub fn features(self, features: &[&str]) -> ContractBuild {
        ContractBuild { features: features.iter().map(|f| (*f).to_owned()).collect(), ..self }
    }

    /// Turns the crate's default features off.
    pub fn no_default_features(self) -> ContractBuild {
        ContractBuild { no_default_features: true, ..self }
    }

    /// Passes `--locked`: fail rather than update the workspace's `Cargo.lock` (for crates in
    /// a workspace that others build too, or in CI).
    pub fn locked(self) -> ContractBuild {
        ContractBuild { locked: true, ..self }
    }

    /// Builds (or finds fresh) the `.wasm` and returns its bytes.
    ///
    /// # Errors
    /// As [`build_contract`].
    pub fn build(&self) -> Result<Vec<u8>, BuildError> {
        self.build_shared().map(|bytes| bytes.as_ref().clone())
    }

    /// Where the `.wasm` is (after [`ContractBuild::build`]).
    ///
    /// # Errors
    /// The directory is not a cdylib crate, or `cargo metadata` failed.
    pub fn wasm_path(&self) -> Result<PathBuf, BuildError> {
        let package = self.metadata()?;
        Ok(self.out_dir(&package).join(WASM_TARGET).join("release").join(format!("{}.wasm", package.wasm_stem)))
    }

    fn build_shared(&self) -> Result<Arc<Vec<u8>>, BuildError> {
        let package = self.metadata()?;
        let out_dir = self.out_dir(&package);
        let artifacts = out_dir.join(WASM_TARGET).join("release");
        let wasm = artifacts.join(format!("{}.wasm", package.wasm_stem));
        let stamp = artifacts.join(format!("{}.tidepool-build", package.wasm_stem));
        let args = self.cargo_args(&package, &out_dir);
        let signature = args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ");

        // One build at a time in this process: parallel tests wait for the first and reuse it.
        let mut memo = memo().lock();
        let fresh = std::fs::read_to_string(&stamp).is_ok_and(|s| s == signature)
            && is_fresh(&wasm, &artifacts.join(format!("{}.d", package.wasm_stem)), &package);
        if !fresh {
            run_cargo(&package, &args)?;
            std::fs::write(&stamp, &signature).map_err(|source| BuildError::Read { path: stamp.clone(), source })?;
        }
        let modified = mtime(&wasm).ok_or_else(|| BuildError::Read {
            path: wasm.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no artifact after the build"),
        })?;
        if let Some((when, bytes)) = memo.get(&wasm)
            && *when == modified
        {
            return Ok(bytes.clone());
        }
        let bytes = Arc::new(std::fs::read(&wasm).map_err(|source| BuildError::Read { path: wasm.clone(), source })?);
        memo.insert(wasm, (modified, bytes.clone()));
        Ok(bytes)
    }

    fn out_dir(&self, package: &Package) -> PathBuf {
        self.target_dir.clone().unwrap_or_else(|| package.target_directory.join(TARGET_SUBDIR))
    }

    fn cargo_args(&self, package: &Package, out_dir: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = ["build", "--release", "--lib", "--target", WASM_TARGET, "--manifest-path"]
            .into_iter()
            .map(OsString::from)
            .collect();
        args.push(package.manifest.clone().into());
        args.push("--target-dir".into());
        args.push(out_dir.into());
        if self.locked {
            args.push("--locked".into());
        }
        if self.no_default_features {
            args.push("--no-default-features".into());
        }
        if !self.features.is_empty() {
            args.push("--features".into());
            args.push(self.features.join(",").into());
        }
        args
    }

    fn metadata(&self) -> Result<Package, BuildError> {
        let dir = std::fs::canonicalize(&self.crate_dir).map_err(|_| BuildError::NotACrate(self.crate_dir.clone()))?;
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            return Err(BuildError::NotACrate(dir));
        }
        let fail = |reason: String| BuildError::Metadata { manifest: manifest.clone(), reason };
        let mut cmd = cargo_command();
        // The workspace's target dir is wherever the user's builds go, `CARGO_TARGET_DIR` included.
        if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
            cmd.env("CARGO_TARGET_DIR", dir);
        }
        cmd.args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"]).arg(&manifest);
        let output = cmd.output().map_err(|source| BuildError::Spawn { cargo: cargo_binary(), source })?;
        if !output.status.success() {
            return Err(fail(String::from_utf8_lossy(&output.stderr).into_owned()));
        }
        let metadata: Value = serde_json::from_slice(&output.stdout).map_err(|e| fail(e.to_string()))?;
        let path_of = |v: &Value| v.as_str().map(PathBuf::from);
        let package = metadata["packages"]
            .as_array()
            .and_then(|packages| {
                packages.iter().find(|p| path_of(&p["manifest_path"]).is_some_and(|m| same_file(&m, &manifest)))
            })
            .ok_or_else(|| fail("the crate is not among the packages cargo lists".into()))?;
        let name = package["name"].as_str().ok_or_else(|| fail("package without a name".into()))?.to_owned();
        let lib = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["crate_types"].as_array().is_some_and(|kinds| kinds.iter().any(|k| k == "cdylib")))
            .ok_or_else(|| BuildError::NotCdylib { manifest: manifest.clone() })?;
        let lib_name = lib["name"].as_str().ok_or_else(|| fail("library target without a name".into()))?;
        let target_directory =
            path_of(&metadata["target_directory"]).ok_or_else(|| fail("no target_directory".into()))?;
        let workspace_root = path_of(&metadata["workspace_root"]).ok_or_else(|| fail("no workspace_root".into()))?;
        Ok(Package { name, manifest, wasm_stem: lib_name.replace('-', "_"), target_directory, workspace_root })
    }
}

/// The `.wasm` exists with its dep-info, and is newer than every file the dep-info lists and
/// than the manifests, the lock file and the cargo configs.
fn is_fresh(wasm: &Path, dep_info: &Path, package: &Package) -> bool {
    let (Some(built), Ok(deps)) = (mtime(wasm), std::fs::read_to_string(dep_info)) else { return false };
    let Some((_, sources)) = deps.split_once(": ") else { return false };
    let mut inputs: Vec<PathBuf> = dep_info_paths(sources.lines().next().unwrap_or(""));
    inputs.push(package.manifest.clone());
    inputs.push(package.workspace_root.join("Cargo.toml"));
    // The lock file, and the cargo configs where link flags live (the scaffold's initial memory).
    let crate_dir = package.manifest.parent().unwrap_or(&package.workspace_root);
    let optional = [
        package.workspace_root.join("Cargo.lock"),
        package.workspace_root.join(".cargo/config.toml"),
        crate_dir.join(".cargo/config.toml"),
    ];
    inputs.extend(optional.into_iter().filter(|path| path.exists()));
    inputs.iter().all(|input| mtime(input).is_some_and(|m| m <= built))
}

/// The paths of a Makefile-style dependency list (spaces in paths are escaped as `\ `).
fn dep_info_paths(line: &str) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                current.push(' ');
                chars.next();
            }
            ' ' => {
                if !current.is_empty() {
                    paths.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        paths.push(PathBuf::from(current));
    }
    paths
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || std::fs::canonicalize(a).is_ok_and(|a| std::fs::canonicalize(b).is_ok_and(|b| a == b))
}

fn run_cargo(package: &Package, args: &[OsString]) -> Result<(), BuildError> {
    let mut cmd = cargo_command();
    cmd.args(args);
    if let Some(dir) = package.manifest.parent() {
        // So a rust-toolchain.toml of the crate applies when cargo is the rustup proxy.
        cmd.current_dir(dir);
    }
    let output = cmd.output().map_err(|source| BuildError::Spawn { cargo: cargo_binary(), source })?;
    if output.status.success() {
        Ok(())
    } else {
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(BuildError::Cargo { package: package.name.clone(), output: text })
    }
}

/// The cargo running this test (`$CARGO`), else `cargo` from the `PATH`.
fn cargo_binary() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `cargo` with the outer build's environment removed.
fn cargo_command() -> Command {
    let mut cmd = Command::new(cargo_binary());
    for (key, _) in std::env::vars_os() {
        if let Some(key) = key.to_str()
            && is_host_build_setting(key)
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_info_lines_split_on_unescaped_spaces() {
        assert_eq!(
            dep_info_paths("/a/b.rs /c\\ d/e.rs  /f.rs"),
            [PathBuf::from("/a/b.rs"), PathBuf::from("/c d/e.rs"), PathBuf::from("/f.rs")]
        );
    }

    #[test]
    fn host_build_settings_are_not_passed_on() {
        for key in
            ["RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_PROFILE_DEV_OPT_LEVEL", "__CARGO_FIX_PLZ", "CARGO_BUILD_TARGET"]
        {
            assert!(is_host_build_setting(key), "{key}");
        }
        for key in ["CARGO_BUILD_JOBS", "CARGO_HOME", "PATH", "RUSTUP_TOOLCHAIN"] {
            assert!(!is_host_build_setting(key), "{key}");
        }
    }

    #[test]
    fn a_directory_without_a_manifest_is_not_a_crate() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(build_contract(dir.path()), Err(BuildError::NotACrate(_))));
    }
}
