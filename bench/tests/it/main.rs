//! Integration tests of `tidepool-bench`, one binary (see STYLE.md).

mod quick;
