//! Integration tests of the API crate, one binary (see STYLE.md).

mod bodies;
mod connections;
mod consistency;
mod dev;
mod history;
mod openapi_file;
mod pages;
mod queries;
mod routes;
mod stream;
mod support;
mod web;
