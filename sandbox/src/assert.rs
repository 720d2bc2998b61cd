//! Assertions for tests: [`TxResultExt`] on call results (`expect_success`, `expect_error`),
//! balance checks on the [`Sandbox`], and the loose JSON matching that event assertions use.
//! Every failing assertion panics with the readable trace of the call.

use std::fmt;

use serde_json::Value;

use super::error::SandboxError;
use super::{HasAddress, Sandbox};

/// Assertions on the `Result` of a Sandbox call.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use tidepool_sandbox::{Sandbox, TxResultExt};
///
/// let sandbox = Sandbox::new();
/// let (alice, bob) = (sandbox.account("alice"), sandbox.account("bob"));
/// let code = sandbox.upload(tidepool_artifacts::TOKEN).expect_success();
/// let init = json!({"name": "Coin", "symbol": "COIN", "decimals": 6,
///                   "initial_balances": [{"address": alice.address(), "amount": "1000"}]});
/// let token = sandbox.instantiate(&code, &alice, &init, "coin").expect_success();
///
/// token.execute(&alice, &json!({"transfer": {"to": bob.address(), "amount": "10"}})).expect_success();
/// token
///     .execute(&bob, &json!({"transfer": {"to": alice.address(), "amount": "11"}}))
///     .expect_error("insufficient balance: have 10, need 11");
/// ```
pub trait TxResultExt<T> {
    /// The success value; panics with the readable trace of the failure otherwise.
    ///
    /// # Panics
    /// If the call failed.
    fn expect_success(self) -> T;

    /// The error, which must contain `text`; panics with the readable trace otherwise (a
    /// success, or another error).
    ///
    /// # Panics
    /// If the call succeeded or failed differently.
    fn expect_error(self, text: &str) -> SandboxError;
}

impl<T: fmt::Debug> TxResultExt<T> for Result<T, SandboxError> {
    #[track_caller]
    fn expect_success(self) -> T {
        match self {
            Ok(value) => value,
            Err(error) => panic!("expected success, got:\n{error:?}"),
        }
    }

    #[track_caller]
    fn expect_error(self, text: &str) -> SandboxError {
        match self {
            Ok(value) => panic!("expected an error containing {text:?}, but the call succeeded:\n{value:?}"),
            Err(error) => {
                error.assert_message(text);
                error
            }
        }
    }
}

impl Sandbox {
    /// Panics unless `who`'s native balance is `expected`.
    ///
    /// # Panics
    /// If it is not.
    #[track_caller]
    pub fn assert_balance(&self, who: &impl HasAddress, expected: u128) {
        let address = who.address();
        let actual = self.balance(&address);
        assert_eq!(actual, expected, "native balance of {}", self.names().label(&address));
    }
}

/// Whether `actual` has everything `expected` says, loosely: objects may carry more members
/// than `expected` names; `0x` hex strings (addresses, hashes) compare in any letter case; an
/// integer matches the same integer written as a decimal string.
pub(crate) fn json_matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            want.iter().all(|(key, value)| have.get(key).is_some_and(|h| json_matches(value, h)))
        }
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| json_matches(w, h))
        }
        (Value::String(want), Value::String(have)) => want == have || (is_hex(want) && want.eq_ignore_ascii_case(have)),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            n.as_i128().is_some_and(|n| s.parse::<i128>().ok() == Some(n))
                || n.as_u128().is_some_and(|n| s.parse::<u128>().ok() == Some(n))
        }
        _ => expected == actual,
    }
}

fn is_hex(s: &str) -> bool {
    s.strip_prefix("0x").is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn subsets_addresses_and_decimal_strings_match() {
        let event = json!({"from": "0xabcdef0000000000000000000000000000000001", "amount": "25", "n": [1, "2"]});
        assert!(json_matches(&json!({}), &event));
        assert!(json_matches(&json!({"from": "0xABCDEF0000000000000000000000000000000001"}), &event));
        assert!(json_matches(&json!({"amount": 25}), &event));
        assert!(json_matches(&json!({"amount": "25", "n": ["1", 2]}), &event));
        assert!(!json_matches(&json!({"amount": 26}), &event));
        assert!(!json_matches(&json!({"missing": 1}), &event));
        assert!(!json_matches(&json!({"n": [1]}), &event));
        assert!(!json_matches(&json!({"amount": "025x"}), &event));
        assert!(!json_matches(&json!("Hello"), &json!("hello")), "plain strings are case-sensitive");
    }
}
