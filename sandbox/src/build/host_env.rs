//! Which variables of an outer build's environment must not reach a nested cargo build for
//! wasm: flags, wrappers (clippy's, sccache), profile and target overrides, the target directory
//! and the outer build's jobserver would break or pollute it.
//!
//! One list for every place that runs cargo inside a build: the sample contracts' build script
//! (`artifacts/build.rs` includes this file by path, as a build script cannot depend on this
//! crate) and [`build_contract`](crate::build_contract).

/// Whether `key` is an outer build's setting that a nested wasm build must not inherit.
/// `CARGO_BUILD_JOBS` passes: it limits the machine, not the build.
pub fn is_host_build_setting(key: &str) -> bool {
    matches!(
        key,
        "RUSTFLAGS"
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
        || key.starts_with("CARGO_TARGET_WASM32")
        || key.starts_with("__CARGO")
}
