//! Examples for the transaction schemas: a transfer of 1,000 base units from dev account 0 to dev
//! account 1 on the dev chain, as a fresh dev node (`make run`) accepts it. The signed example
//! carries dev account 0's real signature, so it goes through once (then its nonce is used).

use std::sync::LazyLock;

use serde_json::Value;

use crate::config::DEV_CHAIN_ID;
use crate::keys::dev_accounts;
use crate::tx::{Action, Transaction};

/// The transfer, derived once per process: the document is built at every server start and
/// asks for these a dozen times, and each time derived dev keys and signed.
static TRANSFER: LazyLock<Transaction> = LazyLock::new(|| {
    let accounts = dev_accounts(2);
    Transaction {
        chain_id: DEV_CHAIN_ID,
        nonce: 0,
        from: accounts[0].address,
        gas_limit: 100_000,
        action: Action::Transfer { to: accounts[1].address, amount: 1_000 },
    }
});

/// The example [`Transaction`]: unsigned, for `/v1/simulate` and `/dev/impersonate`.
pub fn transaction() -> Value {
    serde_json::to_value(&*TRANSFER).expect("a transaction serialises")
}

/// The example [`crate::SignedTransaction`]: the same transfer, signed by dev account 0.
pub fn signed_transaction() -> Value {
    static SIGNED: LazyLock<Value> = LazyLock::new(|| {
        let signed = TRANSFER.clone().sign(&dev_accounts(1)[0].key).expect("the example has no floats");
        serde_json::to_value(signed).expect("a transaction serialises")
    });
    SIGNED.clone()
}

/// The example transaction's hash, for `GET /v1/txs/{hash}` (found once the signed example went
/// through).
pub fn transaction_hash() -> Value {
    Value::String(TRANSFER.hash().expect("the example has no floats").to_string())
}
