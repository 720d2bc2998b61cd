//! The sample contracts of `contracts/`, their behaviour tests, all through the real node, VM
//! and ledger (the Sandbox): ordinary use of the pool ([`flows`]), every vector of docs/lending.md
//! ([`vectors`]), every attack of its table ([`attacks`]), the `positions` listing
//! ([`positions`]), a seeded randomized invariant test ([`invariants`]), and the token and oracle
//! on their own ([`token_oracle`]). This is the one
//! home of those tests; the contracts' crates keep only unit tests of their pure logic (math,
//! config, market formulas) beside the code.
//!
//! [`harness`] deploys the contracts with signed transactions on a dev node (manual clock);
//! [`formulas`] states docs/lending.md's arithmetic again, test-side, to compute expectations.

mod attacks;
mod flows;
mod formulas;
mod harness;
mod invariants;
mod positions;
mod token_oracle;
mod vectors;
