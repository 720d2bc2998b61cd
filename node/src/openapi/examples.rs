//! Examples for the transaction schemas: a transfer of 1,000 base units from dev account 0 to dev
//! account 1 on the dev chain, as a fresh dev node (`make run`) accepts it. The signed example
//! carries dev account 0's real signature, so it goes through once (then its nonce is used).

use serde_json::Value;

use crate::config::DEV_CHAIN_ID;
use crate::keys::dev_accounts;
use crate::tx::{Action, Transaction};

fn transfer() -> Transaction {
    let accounts = dev_accounts(2);
    Transaction {
        chain_id: DEV_CHAIN_ID,
        nonce: 0,
        from: accounts[0].address,
        gas_limit: 100_000,
        action: Action::Transfer { to: accounts[1].address, amount: 1_000 },
    }
}

/// The example [`Transaction`]: unsigned, for `/v1/simulate` and `/dev/impersonate`.
pub fn transaction() -> Value {
    serde_json::to_value(transfer()).expect("a transaction serialises")
}

/// The example [`crate::SignedTransaction`]: the same transfer, signed by dev account 0.
pub fn signed_transaction() -> Value {
    let signed = transfer().sign(&dev_accounts(1)[0].key).expect("the example has no floats");
    serde_json::to_value(signed).expect("a transaction serialises")
}

/// The example transaction's hash, for `GET /v1/txs/{hash}` (found once the signed example went
/// through).
pub fn transaction_hash() -> Value {
    Value::String(transfer().hash().expect("the example has no floats").to_string())
}
