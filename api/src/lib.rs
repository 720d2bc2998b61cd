//! Tidepool's HTTP API (axum) and the pieces of the `tidepool` command-line tool.
//!
//! [`server::app`] builds the router over a [`tidepool_node::Node`]; [`server::serve`] runs it with
//! a graceful shutdown. Routes live in [`routes`], one module per resource; [`error`] is the one
//! place node errors become HTTP statuses; [`openapi`] generates the document served at
//! `/openapi.json` from the handlers' annotations.

pub mod bench;
pub mod error;
pub mod extract;
pub mod gas_report;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod server;
