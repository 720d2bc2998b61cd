//! Tidepool as a network of validators on the Malachite BFT engine (`tidepool-consensus`).
//!
//! A network starts from a [`GenesisDocument`] every validator shares (chain id, genesis time,
//! funded accounts, validators, the sample market or not). Each validator runs a
//! [`Validator`]: its node, opened in network mode
//! ([`Mining::Network`](tidepool_node::Mining::Network)), driven by consensus through
//! [`NodeApp`] — the proposer builds a block from its mempool, every validator executes it
//! before voting, all commit it with its certificate once more than 2/3 of the voting power
//! precommitted it — and [`gossip`] forwarding what its mempool admits to the others.
//! [`testnet`] writes the [`home`] directories of N validators on one machine.
//!
//! Start reading at [`Validator::start`], then [`NodeApp`] (`src/app.rs`) for the seam with the
//! engine; the node's side is `tidepool_node`'s `chain::network` module and its mempool. The
//! operator's guide is docs/network.md.

pub mod app;
pub mod error;
pub mod genesis;
pub mod gossip;
pub mod home;
pub mod status;
pub mod testnet;
pub mod validator;

pub use app::NodeApp;
pub use error::NetworkError;
pub use genesis::{GenesisAccount, GenesisDocument, GenesisValidator};
pub use home::{NodeHome, NodeSettings, Peer};
pub use testnet::{GeneratedNode, TestnetSpec, generate};
pub use validator::{Validator, ValidatorSpec};
