//! Dev accounts and key files, used to sign.

use tidepool_node::keys::keystore::Keystore;
use tidepool_node::keys::{DEFAULT_DEV_ACCOUNTS, dev_accounts, private_key_hex};
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

#[test]
fn a_stored_key_survives_a_round_trip_and_signs() {
    let dir = tempfile::tempdir().unwrap();
    let store = Keystore::new(dir.path());
    let imported = store.import(&dev_accounts(1)[0].key, Some("deployer")).unwrap();
    assert_eq!(imported.path, dir.path().join("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266.json"));
    let text = std::fs::read_to_string(&imported.path).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["private_key"], private_key_hex(&imported.key));
    assert_eq!(file["name"], "deployer");

    let loaded = Keystore::new(dir.path()).find("deployer").unwrap();
    let tx = Transaction {
        chain_id: 1,
        nonce: 0,
        from: loaded.address,
        gas_limit: 1,
        action: Action::UploadCode { wasm: vec![0, 1, 2] },
    };
    assert_eq!(tx.sign(&loaded.key).unwrap().check().unwrap().sender(), imported.address);
}
