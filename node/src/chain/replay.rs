//! Replaying a committed transaction: re-executing it on the state just before it (the parent
//! block's state plus the transactions before it in its block), to compare with what was stored.

use serde::Serialize;
use tidepool_ledger::Hash;

use super::Node;
use crate::apply::{BlockContext, apply_transaction};
use crate::error::{HostError, NodeError, Rejection};
use crate::receipt::Receipt;

/// The most differences a [`Replay`] lists.
const MAX_DIFFERENCES: usize = 100;

/// A committed transaction executed again.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replay {
    /// The receipt the replay produced (with its trace and state diff).
    pub receipt: Receipt,
    /// Whether it equals the stored receipt.
    pub matches: bool,
    /// Where the two differ, as JSON pointers into the receipt (at most 100); empty when they
    /// match.
    pub differences: Vec<String>,
    /// The stored receipt, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<Receipt>,
}

impl Node {
    /// Re-executes the committed transaction `hash` on the state before it.
    ///
    /// # Errors
    /// [`Rejection::UnknownTransaction`] if no committed transaction has this hash
    /// ([`Rejection::PendingTransaction`] if it waits in the pending block);
    /// [`Rejection::HeightPruned`] if the state before its block is no longer kept; host
    /// failures.
    pub fn replay(&self, hash: &Hash) -> Result<Replay, NodeError> {
        let latest = self.view()?;
        let Some((_, stored)) = latest.transaction(hash)? else {
            let pending = self.is_pending(hash);
            return Err(if pending {
                Rejection::PendingTransaction(*hash)
            } else {
                Rejection::UnknownTransaction(*hash)
            }
            .into());
        };
        let header = latest.block(stored.height)?.ok_or(HostError::CorruptRecord(format!(
            "transaction {hash} is in block {}, which is missing",
            stored.height
        )))?;
        let parent = stored.height.checked_sub(1).ok_or(Rejection::UnknownTransaction(*hash))?;
        let before = self.view_at(Some(parent))?;
        let context = BlockContext { chain_id: self.config().chain_id, height: header.height, time: header.time };
        let mut overlay = before.state().overlay();
        let _slot = self.admission().enter();
        let mut replayed = None;
        for (index, tx_hash) in header.tx_hashes.iter().enumerate().take(stored.index as usize + 1) {
            // Only the transaction: decoding each earlier receipt would be work for nothing.
            let tx = latest.stored_tx(tx_hash)?.ok_or_else(|| {
                HostError::CorruptRecord(format!(
                    "block {} lists transaction {tx_hash}, which is missing",
                    header.height
                ))
            })?;
            let receipt = apply_transaction(self.vm(), &mut overlay, &context, &tx.tx, *tx_hash, index as u32)?;
            overlay.take_events();
            replayed = Some(receipt);
        }
        let receipt = replayed
            .ok_or_else(|| HostError::CorruptRecord(format!("block {} lacks {hash}", header.height)))?
            .into_receipt();
        let differences = differences(&stored, &receipt);
        let matches = differences.is_empty();
        Ok(Replay { receipt, matches, differences, stored: (!matches).then_some(stored) })
    }
}

/// The JSON pointers at which `a` and `b` differ.
fn differences(a: &Receipt, b: &Receipt) -> Vec<String> {
    let (a, b) = (serde_json::to_value(a).unwrap_or_default(), serde_json::to_value(b).unwrap_or_default());
    let mut out = Vec::new();
    compare(&a, &b, &mut String::new(), &mut out);
    out
}

fn compare(a: &serde_json::Value, b: &serde_json::Value, path: &mut String, out: &mut Vec<String>) {
    use serde_json::Value;
    if out.len() >= MAX_DIFFERENCES || a == b {
        return;
    }
    let at = path.len();
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                compare(x.get(key).unwrap_or(&Value::Null), y.get(key).unwrap_or(&Value::Null), path, out);
                path.truncate(at);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                path.push_str(&format!("/{i}"));
                compare(x, y, path, out);
                path.truncate(at);
            }
        }
        _ => out.push(if path.is_empty() { "/".to_owned() } else { path.clone() }),
    }
}
