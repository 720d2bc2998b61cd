//! Tidepool's HTTP API (axum): routes, request and response types, the OpenAPI document and the
//! one mapping of errors to statuses. The `tidepool` command (tidepool-cli) serves it.
//!
//! [`server::app`] builds the router over a [`tidepool_node::Node`]; [`server::serve`] runs it with
//! a graceful shutdown. Routes live in [`routes`], one module per resource; [`error`] is the one
//! place node errors become HTTP statuses; [`openapi`] generates the document served at
//! `/openapi.json` from the handlers' annotations; [`dashboard`] serves the web dashboard built into
//! the binary, and [`cors`] lets pages from other origins call the API.

pub mod body;
pub mod connections;
pub mod cors;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod negotiation;
pub mod openapi;
pub mod path;
pub mod routes;
pub mod server;
pub mod stream;
