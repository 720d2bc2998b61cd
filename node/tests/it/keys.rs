//! Dev accounts, used to sign.

use tidepool_node::keys::{DEFAULT_DEV_ACCOUNTS, dev_accounts};
use tidepool_node::{Action, Transaction};

#[test]
fn dev_accounts_are_distinct_and_sign_for_themselves() {
    let accounts = dev_accounts(DEFAULT_DEV_ACCOUNTS);
    let addresses: std::collections::BTreeSet<_> = accounts.iter().map(|a| a.address).collect();
    assert_eq!(addresses.len(), accounts.len());
    for account in &accounts {
        let tx = Transaction {
            chain_id: 1337,
            nonce: 0,
            from: account.address,
            gas_limit: 21_000,
            action: Action::Transfer { to: accounts[0].address, amount: 1 },
        };
        assert_eq!(tx.sign(&account.key).unwrap().check().unwrap().sender(), account.address);
    }
}
