//! Integration tests of the API crate, one binary (see STYLE.md).

mod consistency;
mod history;
mod routes;
mod support;
