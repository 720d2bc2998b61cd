//! Integration tests of the API crate, one binary (see STYLE.md).

mod bench;
mod consistency;
mod routes;
