//! tidepool-network's integration tests: genesis and block purity on real nodes, four
//! validators in this process reaching agreement on a real chain, and a validator reporting
//! that its network cannot decide blocks.

mod cluster;
mod health;
mod purity;
mod restart;
mod support;
mod validators;
