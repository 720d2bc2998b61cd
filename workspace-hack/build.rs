//! Empty: a build script makes cargo honour the crate's `[build-dependencies]`, which unify the
//! features of the workspace's build-time dependencies the way `[dependencies]` unify the rest.
fn main() {}
