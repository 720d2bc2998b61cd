//! tidepool-network's integration tests: genesis and block purity on real nodes, and four
//! validators in this process reaching agreement on a real chain.

mod cluster;
mod purity;
mod support;
mod validators;
