//! Integration tests of the API crate, one binary (see STYLE.md).

mod consistency;
mod openapi_file;
mod routes;
mod web;
