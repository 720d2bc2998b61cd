//! The sample contracts of `contracts/` (real Rust output): they validate, and the token runs.

use tidepool_ledger::Address;
use tidepool_vm::{Call, CallKind, Status};

use crate::support::*;

#[test]
fn every_sample_contract_validates() {
    let chain = Chain::new();
    for (name, wasm) in tidepool_artifacts::ALL {
        let prepared = chain.vm.prepare_code(wasm).unwrap().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(prepared.entry_points.contains(&"execute".to_owned()), "{name}");
        assert!(!prepared.reentrant, "{name}");
    }
}

#[test]
fn the_token_instantiates_transfers_and_answers_queries() {
    let mut chain = Chain::new();
    let code = chain.upload(tidepool_artifacts::TOKEN);
    let token = Address([0x70; 20]);
    let bob = Address([0xB0; 20]);
    let init = format!(
        r#"{{"name":"Tide","symbol":"TIDE","decimals":6,"initial_balances":[{{"address":"{}","amount":"1000"}}],"minter":null}}"#,
        chain.sender
    );
    let kind = CallKind::Instantiate { code_hash: code, admin: None, label: "tide".into() };
    let created = chain.run(Call {
        sender: chain.sender,
        contract: token,
        kind,
        msg: init.into_bytes(),
        funds: 0,
        gas_limit: GAS,
    });
    assert_eq!(created.status, Status::Success, "{created:?}");

    let transfer = format!(r#"{{"transfer":{{"to":"{bob}","amount":"250"}}}}"#);
    let sent = chain.execute(token, transfer.as_bytes());
    ok(&sent);
    assert!(sent.events.iter().any(|e| e.ty.contains("transfer")), "{:?}", sent.events);

    let balance = chain.query(token, format!(r#"{{"balance":{{"address":"{bob}"}}}}"#).as_bytes());
    let answer: serde_json::Value = serde_json::from_slice(ok(&balance)).unwrap();
    assert_eq!(answer["balance"], "250");

    let too_much = format!(r#"{{"transfer":{{"to":"{bob}","amount":"100000"}}}}"#);
    let refused = chain.execute(token, too_much.as_bytes());
    assert!(matches!(refused.status, Status::Reverted { .. }), "{:?}", refused.status);
    assert!(chain.last_writes.is_empty());
}
