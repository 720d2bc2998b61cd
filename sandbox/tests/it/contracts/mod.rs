//! The sample contracts of `contracts/` through the real node, VM and ledger: every vector of
//! LENDING.md ([`vectors`]), every attack of its table ([`attacks`]), a seeded randomized
//! invariant test ([`invariants`]), and the token and oracle on their own ([`token_oracle`]).
//! The same scenarios also run natively against the SDK's test double in
//! `contracts/lending-pool/tests`; these prove that the wasm, the host functions, gas, nested
//! calls and rollback behave as that double assumes.
//!
//! [`harness`] deploys the contracts with signed transactions on a dev node (manual clock);
//! [`formulas`] states LENDING.md's arithmetic again, test-side, to compute expectations.

mod attacks;
mod formulas;
mod harness;
mod invariants;
mod token_oracle;
mod vectors;
