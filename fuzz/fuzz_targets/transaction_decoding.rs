//! Any bytes as the body of `POST /v1/txs`: decoding, the canonical encoding, the hash and the
//! signature check must answer — a transaction or an error — and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidepool_node::SignedTransaction;

fuzz_target!(|body: &[u8]| {
    if let Ok(signed) = serde_json::from_slice::<SignedTransaction>(body) {
        let _ = signed.hash();
        let _ = signed.tx.canonical_bytes();
        let _ = signed.check();
    }
});
