//! `tidepool new <name>`: scaffolds a contract crate that passes `cargo test` out of the box —
//! an example contract (a counter), Sandbox tests that build it to wasm and run it on the real
//! VM, a gas snapshot, a `rust-toolchain.toml` with the wasm32 target, a CI workflow and a
//! README. The files are the templates under `cli/templates/counter/`; `docs/testing.md` walks
//! through what they become.
//!
//! Tidepool is not published on crates.io, so the crate depends on Tidepool's repository for the
//! SDK (`contracts/sdk`) and, in tests, the Sandbox (`sandbox`, built without RocksDB):
//! - when the checkout has a git remote (`origin`, or else the first one), by git dependencies
//!   pinned to the commit the checkout is at: the crate stands on its own, and its CI needs no
//!   clone step (push that commit first);
//! - otherwise by path dependencies relative to the new crate, and the README says what to
//!   change before pushing.
//!
//! `--git <url>` and `--rev <commit>` choose the git source explicitly; the one not given is the
//! checkout's (its remote, its `HEAD`). The crate's lock file starts from Tidepool's own, so the
//! tests build with the dependency versions Tidepool is tested with; a crate may therefore not
//! take the name of a Tidepool package it depends on ([`TIDEPOOL_PACKAGES`]).

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use clap::Args;

use crate::output::outln;

/// `tidepool new …`
#[derive(Args)]
pub(crate) struct NewArgs {
    /// The crate's name (letters, digits, `-`, `_`; starting with a letter).
    pub(crate) name: String,
    /// Directory to create (default: `./<name>`); it must not exist or be empty.
    #[arg(long)]
    pub(crate) path: Option<PathBuf>,
    /// The Tidepool checkout to depend on (default: the one this binary was built from).
    #[arg(long, env = "TIDEPOOL_PATH")]
    pub(crate) tidepool: Option<PathBuf>,
    /// Depend on Tidepool from this git repository (default: the checkout's remote, if any; with
    /// neither a remote nor --git, path dependencies on the checkout).
    #[arg(long)]
    pub(crate) git: Option<String>,
    /// The commit to pin (default: the checkout's `HEAD`). Without --git, the repository is the
    /// checkout's remote, so the checkout needs one.
    #[arg(long)]
    pub(crate) rev: Option<String>,
}

/// Where the new crate gets Tidepool from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A git repository, pinned to one commit.
    Git {
        /// The repository URL.
        url: String,
        /// The full commit hash.
        rev: String,
    },
    /// A checkout on this machine, by a path relative to the new crate.
    Path(PathBuf),
}

impl Source {
    /// The source for `checkout`: its remote at its `HEAD` if it has a remote, else its path.
    ///
    /// # Errors
    /// A remote whose `HEAD` cannot be read.
    pub(crate) fn of_checkout(checkout: &Path) -> anyhow::Result<Source> {
        let Some(url) = git_remote(checkout) else { return Ok(Source::Path(checkout.to_path_buf())) };
        Ok(Source::Git { url, rev: head_commit(checkout)? })
    }

    /// The source `--git` and `--rev` ask for: a git repository if either is given (the other
    /// from `checkout`: its remote, its `HEAD`), else [`Source::of_checkout`].
    ///
    /// # Errors
    /// `--rev` without `--git` for a checkout without a remote; `--git` without `--rev` for a
    /// checkout whose `HEAD` cannot be read.
    pub(crate) fn chosen(checkout: &Path, url: Option<String>, rev: Option<String>) -> anyhow::Result<Source> {
        let (url, rev) = match (url, rev) {
            (None, None) => return Source::of_checkout(checkout),
            (Some(url), Some(rev)) => (url, rev),
            (Some(url), None) => {
                (url, head_commit(checkout).context("--git without --rev takes the checkout's HEAD (or pass --rev)")?)
            }
            (None, Some(rev)) => {
                let Some(url) = git_remote(checkout) else {
                    bail!(
                        "--rev {rev} needs --git <url>: the Tidepool checkout {} has no git remote to take the \
                         repository from",
                        checkout.display()
                    )
                };
                (url, rev)
            }
        };
        Ok(Source::Git { url, rev })
    }

    /// The dependency table of the Tidepool package `package` at `path` inside the repository,
    /// for a crate in `project`.
    fn dependency(&self, package_path: &str, project: &Path) -> anyhow::Result<String> {
        Ok(match self {
            Source::Git { url, rev } => format!("{{ git = \"{url}\", rev = \"{rev}\" }}"),
            Source::Path(checkout) => {
                let relative = relative_path(project, &fs::canonicalize(checkout)?);
                let relative = relative.to_str().context("the Tidepool path is not UTF-8")?.trim_end_matches('/');
                format!("{{ path = \"{relative}/{package_path}\" }}")
            }
        })
    }

    /// The comment above the dependencies in `Cargo.toml`.
    fn cargo_note(&self) -> String {
        match self {
            Source::Git { rev, .. } => format!(
                "# Tidepool is not on crates.io yet: the SDK and the Sandbox come from its git repository,\n\
                 # pinned to commit {short}. To upgrade, change `rev` in both lines and run `cargo update`.",
                short = &rev[..rev.len().min(12)]
            ),
            Source::Path(_) => {
                "# Tidepool is not on crates.io yet: the SDK and the Sandbox come from a Tidepool checkout on\n\
                 # this machine, by a path relative to this crate. Before you push, replace both paths with\n\
                 # `git = \"<Tidepool's repository URL>\", rev = \"<commit>\"`: CI has no such checkout."
                    .to_owned()
            }
        }
    }

    /// The line the README gives it.
    fn readme_note(&self) -> String {
        match self {
            Source::Git { url, rev } => {
                format!("Tidepool comes from `{url}` at commit `{}` (git dependencies in `Cargo.toml`).", &rev[..rev.len().min(12)])
            }
            Source::Path(_) => "Tidepool comes from a checkout on this machine (path dependencies in `Cargo.toml`): \
                 **before pushing, replace both paths with `git = \"<Tidepool's repository URL>\", rev = \"<commit>\"`**, \
                 or CI cannot build the crate."
                .to_owned(),
        }
    }
}

/// The templates, as `(path in the new crate, contents)`.
const TEMPLATES: [(&str, &str); 8] = [
    ("Cargo.toml", include_str!("../templates/counter/Cargo.toml")),
    (".cargo/config.toml", include_str!("../templates/counter/.cargo/config.toml")),
    ("rust-toolchain.toml", include_str!("../templates/counter/rust-toolchain.toml")),
    ("src/lib.rs", include_str!("../templates/counter/src/lib.rs")),
    ("tests/sandbox.rs", include_str!("../templates/counter/tests/sandbox.rs")),
    (".github/workflows/test.yml", include_str!("../templates/counter/.github/workflows/test.yml")),
    (".gitignore", include_str!("../templates/counter/.gitignore")),
    ("README.md", include_str!("../templates/counter/README.md")),
];

/// The placeholders the templates hold, filled by `scaffold` in this order: the crate's name,
/// its library name, the toolchain, the note above the dependencies, the SDK's and the Sandbox's
/// dependency tables, the README's line on where Tidepool comes from.
const PLACEHOLDERS: [&str; 7] = [
    "{name}",
    "{crate}",
    "{toolchain}",
    "{dependency_note}",
    "{sdk_source}",
    "{sandbox_source}",
    "{dependency_readme}",
];

/// Runs `tidepool new`.
pub(crate) fn run(args: NewArgs, json: bool) -> anyhow::Result<()> {
    let dir = args.path.clone().unwrap_or_else(|| PathBuf::from(&args.name));
    let checkout = args.tidepool.clone().unwrap_or_else(built_from);
    let source = Source::chosen(&checkout, args.git, args.rev)?;
    let files = scaffold(&args.name, &dir, &checkout, &source)?;
    if json {
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        outln!("{}", serde_json::json!({"name": args.name, "path": dir, "files": files}));
    } else {
        outln!("Created contract crate `{}` in {}:", args.name, dir.display());
        for file in &files {
            outln!("  {}", file.display());
        }
        match &source {
            Source::Git { url, rev } => outln!("\nTidepool: {url} at {rev} (push that commit before CI runs)"),
            Source::Path(_) => outln!(
                "\nTidepool: path dependencies on {} (this checkout has no git remote; \
                 see the README before pushing)",
                checkout.display()
            ),
        }
        outln!(
            "\nNext:\n  cd {}\n  cargo test     # builds the contract to wasm and runs it in the Sandbox",
            dir.display()
        );
        outln!("\nGuide: {}", checkout.join("docs/testing.md").display());
    }
    Ok(())
}

/// The Tidepool checkout this binary was built from.
fn built_from() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Writes the crate `name` into `dir` (created; must be absent or empty), depending on Tidepool
/// from `source`; `checkout` is a Tidepool checkout (for the lock file and the toolchain check).
/// Returns the files written, relative to `dir`.
///
/// # Errors
/// An invalid name, a non-empty `dir`, a `checkout` that is not a Tidepool checkout, or I/O.
pub(crate) fn scaffold(name: &str, dir: &Path, checkout: &Path, source: &Source) -> anyhow::Result<Vec<PathBuf>> {
    check_name(name)?;
    let checkout = fs::canonicalize(checkout)
        .with_context(|| format!("the Tidepool checkout {} does not exist", checkout.display()))?;
    for needed in ["contracts/sdk/Cargo.toml", "sandbox/Cargo.toml"] {
        ensure!(
            checkout.join(needed).is_file(),
            "{} is not a Tidepool checkout (no {needed}); pass --tidepool <dir>",
            checkout.display()
        );
    }
    if dir.exists() {
        let empty = fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.next().is_none();
        ensure!(empty, "{} already exists and is not empty", dir.display());
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let project = fs::canonicalize(dir)?;
    let crate_name = name.replace('-', "_");
    let sdk = source.dependency("contracts/sdk", &project)?;
    let sandbox = source.dependency("sandbox", &project)?;
    let (toolchain, cargo_note, readme_note) = (toolchain_channel(), source.cargo_note(), source.readme_note());
    let values = [name, &crate_name, &toolchain, &cargo_note, &sdk, &sandbox, &readme_note];
    let fill = |template: &str| {
        PLACEHOLDERS
            .iter()
            .zip(values)
            .fold(template.to_owned(), |text, (placeholder, value)| text.replace(placeholder, value))
    };
    let mut written = Vec::new();
    for (path, template) in TEMPLATES {
        let target = project.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, fill(template)).with_context(|| format!("writing {}", target.display()))?;
        written.push(PathBuf::from(path));
    }
    // Start from Tidepool's lock file: the same dependency versions Tidepool is tested with,
    // and no registry look-ups for them. Cargo drops what the new crate does not use.
    if let Ok(lock) = fs::read(checkout.join("Cargo.lock")) {
        fs::write(project.join("Cargo.lock"), lock)?;
        written.push(PathBuf::from("Cargo.lock"));
    }
    Ok(written)
}

/// The URL of `checkout`'s remote (`origin` if there is one, else the first), if it has any.
fn git_remote(checkout: &Path) -> Option<String> {
    let remotes = git(checkout, &["remote"]).ok()?;
    let remote = remotes.lines().find(|r| *r == "origin").or_else(|| remotes.lines().next())?;
    git(checkout, &["remote", "get-url", remote]).ok()
}

/// The commit `checkout`'s `HEAD` is at.
fn head_commit(checkout: &Path) -> anyhow::Result<String> {
    git(checkout, &["rev-parse", "HEAD"]).with_context(|| format!("reading the HEAD commit of {}", checkout.display()))
}

/// Runs `git` in `dir` and returns its trimmed standard output.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git").arg("-C").arg(dir).args(args).output().context("running git")?;
    ensure!(output.status.success(), "git {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    Ok(String::from_utf8(output.stdout).context("git printed non-UTF-8")?.trim().to_owned())
}

/// The Tidepool packages a scaffolded crate depends on, directly (the SDK, the Sandbox) or
/// through them, with `-` written `_`. Its lock file (Tidepool's, see [`scaffold`]) holds them at
/// the crate's own version, so a crate of one of these names collides with it: cargo refuses to
/// write two packages of one name and version.
const TIDEPOOL_PACKAGES: &[&str] = &[
    "tidepool_abi",
    "tidepool_keccak",
    "tidepool_ledger",
    "tidepool_node",
    "tidepool_sandbox",
    "tidepool_sdk",
    "tidepool_sdk_derive",
    "tidepool_vm",
    "tidepool_workspace_hack",
];

/// A name cargo accepts as a package name, that makes a valid library name, and that no package
/// the crate depends on has (names compared with `-` as `_`, as cargo does).
fn check_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        bail!("invalid crate name {name:?}: use letters, digits, `-` and `_`, starting with a letter");
    }
    const RESERVED: &[&str] = &["test", "core", "std", "alloc", "proc_macro", "self", "super", "crate"];
    let normalized = name.replace('-', "_");
    ensure!(!RESERVED.contains(&normalized.as_str()), "the crate name {name:?} is reserved");
    ensure!(
        !TIDEPOOL_PACKAGES.contains(&normalized.as_str()),
        "the crate name {name:?} is taken: the crate depends on Tidepool's package of that name, and \
         cargo cannot hold both in one lock file; choose another name"
    );
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
        for taken in ["tidepool-sandbox", "tidepool_sandbox", "tidepool-node", "tidepool_sdk-derive"] {
            let error = check_name(taken).unwrap_err().to_string();
            assert!(error.contains("depends on Tidepool's package of that name"), "{taken:?}: {error}");
        }
    }

    /// Every Tidepool package in a scaffolded crate's dependency graph, as cargo resolves it from
    /// the lock file the crate starts with, is a name `tidepool new` refuses.
    #[test]
    fn the_tidepool_packages_a_crate_depends_on_are_refused_as_names() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("counter");
        scaffold("counter", &project, &built_from(), &Source::Path(built_from())).unwrap();
        let mut cargo = Command::new("cargo");
        cargo.current_dir(&project).args(["metadata", "--offline", "--format-version", "1"]);
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(outer_build_setting) {
                cargo.env_remove(key);
            }
        }
        let output = cargo.output().expect("cargo runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        // Path dependencies: Tidepool's packages are the ones without a registry source.
        let tidepool: Vec<&str> = metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["source"].is_null() && p["name"] != "counter")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(tidepool.contains(&"tidepool-sandbox") && tidepool.contains(&"tidepool-sdk"), "{tidepool:?}");
        for name in tidepool {
            assert!(check_name(name).is_err(), "{name} is accepted");
        }
    }

    #[test]
    fn git_and_rev_are_each_accepted_alone() {
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            new: NewArgs,
        }
        for flags in [&["--git", "https://example.com/t.git"][..], &["--rev", "abc"], &["--git", "u", "--rev", "r"]] {
            let parsed = <Command as clap::Parser>::try_parse_from([&["new", "counter"][..], flags].concat());
            assert!(parsed.is_ok(), "{flags:?}: {}", parsed.err().unwrap());
        }
    }

    #[test]
    fn refuses_a_non_empty_directory_and_a_wrong_checkout() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("keep"), "").unwrap();
        let source = Source::Path(built_from());
        let error = scaffold("counter", dir.path(), &built_from(), &source).unwrap_err();
        assert!(error.to_string().contains("not empty"), "{error}");
        let error = scaffold("counter", &dir.path().join("new"), dir.path(), &source).unwrap_err();
        assert!(error.to_string().contains("is not a Tidepool checkout"), "{error}");
    }

    #[test]
    fn without_a_remote_the_crate_depends_on_the_checkout_by_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("my-counter");
        let files = scaffold("my-counter", &project, &built_from(), &Source::Path(built_from())).unwrap();
        for (expected, _) in TEMPLATES {
            assert!(files.contains(&PathBuf::from(expected)), "{expected} in {files:?}");
        }
        let manifest = fs::read_to_string(project.join("Cargo.toml")).unwrap();
        let tidepool = relative_path(&fs::canonicalize(&project).unwrap(), &fs::canonicalize(built_from()).unwrap());
        assert!(manifest.contains(&format!("path = \"{}/contracts/sdk\"", tidepool.display())), "{manifest}");
        assert!(manifest.contains(&format!("path = \"{}/sandbox\"", tidepool.display())), "{manifest}");
        assert!(manifest.contains("Before you push, replace both paths"), "{manifest}");
        assert!(manifest.contains("name = \"my-counter\""));
        assert!(!manifest.contains("rocksdb"), "the Sandbox builds without RocksDB");
        for file in &files {
            let text = fs::read_to_string(project.join(file)).unwrap();
            for placeholder in PLACEHOLDERS {
                assert!(!text.contains(placeholder), "{placeholder} left in {}", file.display());
            }
        }
        assert!(project.join(&tidepool).join("sandbox/Cargo.toml").is_file(), "the relative path resolves");
        let readme = fs::read_to_string(project.join("README.md")).unwrap();
        assert!(readme.contains("before pushing, replace both paths"), "{readme}");
        let test = fs::read_to_string(project.join("tests/sandbox.rs")).unwrap();
        assert!(test.contains("use my_counter::{"), "{test}");
        let cargo_config = fs::read_to_string(project.join(".cargo/config.toml")).unwrap();
        assert!(cargo_config.contains("--initial-memory=2097152"), "{cargo_config}");
        let toolchain = fs::read_to_string(project.join("rust-toolchain.toml")).unwrap();
        assert!(toolchain.contains(&format!("channel = \"{}\"", toolchain_channel())), "{toolchain}");
        assert!(toolchain.contains("wasm32-unknown-unknown"));
        assert!(!toolchain_channel().is_empty() && toolchain_channel() != "stable");
        let ci = fs::read_to_string(project.join(".github/workflows/test.yml")).unwrap();
        assert!(ci.contains("TIDEPOOL_GAS_CHECK: \"1\"") && !ci.contains("git clone"), "{ci}");
    }

    #[test]
    fn a_checkout_with_a_remote_gives_git_dependencies_pinned_to_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let checkout = dir.path().join("tidepool");
        fs::create_dir_all(&checkout).unwrap();
        let run = |args: &[&str]| git(&checkout, args).unwrap();
        run(&["init", "-q"]);
        fs::write(checkout.join("README.md"), "x").unwrap();
        run(&["add", "README.md"]);
        run(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one"]);
        assert_eq!(Source::of_checkout(&checkout).unwrap(), Source::Path(checkout.clone()), "no remote yet");
        let error = Source::chosen(&checkout, None, Some("abc".into())).unwrap_err().to_string();
        assert!(error.contains("--rev abc needs --git <url>") && error.contains("no git remote"), "{error}");
        run(&["remote", "add", "upstream", "https://example.com/other.git"]);
        run(&["remote", "add", "origin", "https://example.com/tidepool.git"]);
        let head = run(&["rev-parse", "HEAD"]);
        let source = Source::of_checkout(&checkout).unwrap();
        assert_eq!(source, Source::Git { url: "https://example.com/tidepool.git".into(), rev: head.clone() });
        // `--git` and `--rev` each take the other from the checkout.
        assert_eq!(Source::chosen(&checkout, None, None).unwrap(), source);
        assert_eq!(
            Source::chosen(&checkout, None, Some("abc".into())).unwrap(),
            Source::Git { url: "https://example.com/tidepool.git".into(), rev: "abc".into() }
        );
        assert_eq!(
            Source::chosen(&checkout, Some("https://example.com/fork.git".into()), None).unwrap(),
            Source::Git { url: "https://example.com/fork.git".into(), rev: head.clone() }
        );

        let project = dir.path().join("counter");
        scaffold("counter", &project, &built_from(), &source).unwrap();
        let manifest = fs::read_to_string(project.join("Cargo.toml")).unwrap();
        let pinned = format!("{{ git = \"https://example.com/tidepool.git\", rev = \"{head}\" }}");
        assert!(manifest.contains(&format!("tidepool-sdk = {pinned}")), "{manifest}");
        assert!(manifest.contains(&format!("tidepool-sandbox = {pinned}")), "{manifest}");
        assert!(!manifest.contains("path ="), "{manifest}");
        let readme = fs::read_to_string(project.join("README.md")).unwrap();
        assert!(readme.contains("https://example.com/tidepool.git") && !readme.contains("before pushing"), "{readme}");
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
        tidepool_sandbox::build::is_host_build_setting(key)
            || matches!(key, "CARGO" | "RUSTC" | "RUSTDOC" | "RUSTUP_TOOLCHAIN")
            || key.starts_with("CARGO_TARGET_")
            || key.starts_with("TIDEPOOL_")
    }

    /// The steps of the generated workflow after the checkout, as `(command, environment)`:
    /// the `run:` of each step and the `env:` entries beneath it. The workflow is small and
    /// regular (ours), so this reads it line by line rather than with a YAML parser.
    fn workflow_commands(workflow: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut steps: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut in_env = false;
        for line in workflow.lines() {
            let trimmed = line.trim_start().trim_start_matches("- ");
            if line.trim_start().starts_with("- ") {
                in_env = false;
            }
            if let Some(command) = trimmed.strip_prefix("run: ") {
                steps.push((command.to_owned(), Vec::new()));
                in_env = false;
            } else if trimmed == "env:" && line.starts_with("        ") {
                in_env = true;
            } else if in_env
                && let Some((key, value)) = trimmed.split_once(": ")
                && let Some((_, env)) = steps.last_mut()
            {
                env.push((key.to_owned(), value.trim_matches('"').to_owned()));
            }
        }
        steps
    }

    /// The working tree of this checkout (committed or not, ignored files left out) as a commit
    /// in the bare repository `bare`, made with a temporary index so the checkout's own index and
    /// branches are untouched. Returns the commit's hash.
    fn snapshot_into(checkout: &Path, bare: &Path) -> String {
        let index = bare.with_extension("index");
        let git_env = |cmd: &mut Command| {
            cmd.env("GIT_INDEX_FILE", &index)
                .env("GIT_AUTHOR_NAME", "tidepool test")
                .env("GIT_AUTHOR_EMAIL", "test@localhost")
                .env("GIT_COMMITTER_NAME", "tidepool test")
                .env("GIT_COMMITTER_EMAIL", "test@localhost");
        };
        let run = |args: &[&str]| {
            let mut cmd = Command::new("git");
            cmd.arg("-C").arg(checkout).args(args);
            git_env(&mut cmd);
            let output = cmd.output().expect("git runs");
            assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).unwrap().trim().to_owned()
        };
        let _ = fs::remove_file(&index);
        run(&["add", "-A", "."]);
        let tree = run(&["write-tree"]);
        let commit = run(&["commit-tree", &tree, "-m", "the working tree, for the scaffold test"]);
        if !bare.join("HEAD").is_file() {
            let output = Command::new("git").args(["init", "-q", "--bare"]).arg(bare).output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        }
        run(&["push", "-q", "--force", bare.to_str().unwrap(), &format!("{commit}:refs/heads/main")]);
        let _ = fs::remove_file(&index);
        commit
    }

    /// The whole promise, as a contract author meets it: `tidepool new` against a Tidepool
    /// repository (a local bare repository holding this working tree), `cargo test` (which
    /// records the gas snapshot the author commits), then the generated CI workflow's commands
    /// in order — fmt, clippy, and the tests with the gas check — all passing.
    ///
    /// Cost: the scaffold is its own workspace with its own profiles, so it compiles the Sandbox
    /// and wasmtime once in `<target>/scaffold-test/target` (its own check build too, for clippy);
    /// later runs reuse that directory and take well under a minute.
    #[test]
    fn a_scaffolded_crate_passes_its_own_ci_workflow() {
        let work = target_dir().join("scaffold-test");
        fs::create_dir_all(&work).unwrap();
        let bare = work.join("tidepool.git");
        let commit = snapshot_into(&built_from(), &bare);
        let source = Source::Git { url: format!("file://{}", bare.display()), rev: commit.clone() };
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("counter");
        scaffold("counter", &project, &built_from(), &source).unwrap();

        let run = |command: &str, env: &[(String, String)]| {
            // `cargo` from the PATH (the rustup proxy), so the scaffold's rust-toolchain.toml
            // applies; the environment of this test's own build is not passed on.
            let mut cmd = Command::new("sh");
            cmd.current_dir(&project).args(["-c", command]);
            for (key, _) in std::env::vars_os() {
                if key.to_str().is_some_and(outer_build_setting) {
                    cmd.env_remove(key);
                }
            }
            // After the removals, which include an outer CARGO_TARGET_DIR: the scaffold's build
            // lives in one persistent directory, so only the first run compiles wasmtime.
            cmd.env("CARGO_TARGET_DIR", work.join("target"));
            cmd.envs(env.iter().map(|(k, v)| (k, v)));
            let output = cmd.output().expect("sh runs");
            let text =
                format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            assert!(output.status.success(), "`{command}` in the scaffold failed:\n{text}");
            text
        };
        let first = run("cargo test", &[]);
        assert!(first.contains("test result: ok. 5 passed"), "{first}");
        let snapshot = fs::read_to_string(project.join(".gas-snapshot")).unwrap();
        assert!(
            snapshot.starts_with("counter increment ") && snapshot.contains("\ncounter instantiate "),
            "{snapshot}"
        );

        let workflow = fs::read_to_string(project.join(".github/workflows/test.yml")).unwrap();
        let steps = workflow_commands(&workflow);
        let commands: Vec<&str> = steps.iter().map(|(command, _)| command.as_str()).collect();
        assert_eq!(
            commands,
            ["rustup show", "cargo fmt --check", "cargo clippy --all-targets -- -D warnings", "cargo test"],
            "{workflow}"
        );
        assert_eq!(steps[3].1, [("TIDEPOOL_GAS_CHECK".to_owned(), "1".to_owned())]);
        for (command, env) in &steps {
            run(command, env);
        }
        // Cargo keeps a checkout of every pinned commit; this one was only for the test.
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"));
        for checkouts in fs::read_dir(cargo_home.join("git/checkouts")).into_iter().flatten().flatten() {
            if checkouts.file_name().to_string_lossy().starts_with("tidepool-") {
                let _ = fs::remove_dir_all(checkouts.path().join(&commit[..7]));
            }
        }
    }
}
