//! End-to-end tests of Tidepool: the real `tidepool` binary, a temporary RocksDB directory, real
//! HTTP. Everything lives in the integration-test binary `tests/it/main.rs`; start reading at its
//! `harness` module. Run with `cargo test -p tidepool-e2e` after building the binary
//! (`cargo build -p tidepool-api --bin tidepool`; `make test` builds it).
