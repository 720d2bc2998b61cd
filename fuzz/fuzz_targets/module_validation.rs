//! Any bytes as contract code: validation (`tidepool_vm::validate`) and, for what passes it,
//! compilation (`Vm::prepare_code`) must answer — accept or refuse — and never panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tidepool_vm::{Limits, Vm, VmConfig};

static VM: LazyLock<Vm> = LazyLock::new(|| Vm::new(VmConfig::for_tests()).expect("a VM"));

fuzz_target!(|wasm: &[u8]| {
    if tidepool_vm::validate::validate(wasm, &Limits::default()).is_ok() {
        let _ = VM.prepare_code(wasm).expect("no host failure");
    }
});
