//! Applying one transaction to a block's overlay.
//!
//! Two kinds of failure, kept apart: a *rejection* (wrong chain id, wrong nonce, unknown contract,
//! insufficient funds, invalid code, gas limit out of range) is the client's fault — it is
//! returned as an error, nothing is written and the nonce does not move; an *execution failure*
//! (the contract reverted, trapped or ran out of gas) is a normal receipt: the nonce advances and
//! everything else the transaction did is reverted.

use tidepool_ledger::{Account, Address, Hash, Overlay};
use tidepool_vm::{Call, CallKind, Env, Vm};

use crate::diff::DiffRecord;
use crate::error::{NodeError, Rejection};
use crate::receipt::ReceiptStatus;
use crate::record::ReceiptRecord;
use crate::tx::{Action, Transaction};

/// Gas every transaction costs before it does anything (Ethereum's figure, for familiarity): it
/// pays for the signature check and the nonce and balance updates.
pub const TX_BASE_GAS: u64 = 21_000;

/// The largest gas limit a transaction may ask for.
pub const MAX_TX_GAS: u64 = 1_000_000_000;

/// The block a transaction runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockContext {
    /// The chain id transactions must carry.
    pub chain_id: u64,
    /// The block's height.
    pub height: u64,
    /// The block's time, Unix seconds.
    pub time: u64,
}

/// Applies `tx` (already authenticated as sent by `tx.from`) to `overlay`; the receipt's record
/// carries the transaction's state diff.
///
/// # Errors
/// A rejection leaves `overlay` untouched; a [`HostError::Ledger`](crate::error::HostError::Ledger)
/// or [`HostError::Vm`](crate::error::HostError::Vm) means the host is broken.
pub fn apply_transaction(
    vm: &Vm,
    overlay: &mut Overlay,
    block: &BlockContext,
    tx: &Transaction,
    tx_hash: Hash,
    index: u32,
) -> Result<ReceiptRecord, NodeError> {
    let start = overlay.checkpoint();
    let mut receipt = execute(vm, overlay, block, tx, tx_hash, index)?;
    receipt.state_diff = DiffRecord::from_changes(overlay.diff_since(start)?);
    Ok(receipt)
}

/// [`apply_transaction`] but the diff.
fn execute(
    vm: &Vm,
    overlay: &mut Overlay,
    block: &BlockContext,
    tx: &Transaction,
    tx_hash: Hash,
    index: u32,
) -> Result<ReceiptRecord, NodeError> {
    let mut sender = check(vm, overlay, block, tx)?;
    sender.nonce += 1;
    overlay.set_account(&tx.from, &sender);

    let mut receipt = ReceiptRecord::new(tx_hash, block.height, index, tx.from, TX_BASE_GAS);
    let env = Env { chain_id: block.chain_id, height: block.height, time: block.time, origin: tx.from };
    let gas_for_execution = tx.gas_limit - TX_BASE_GAS;
    let call = |contract: Address, kind: CallKind, msg: &serde_json::Value, funds: u128| Call {
        sender: tx.from,
        contract,
        kind,
        msg: serde_json::to_vec(msg).expect("a JSON value serialises"),
        funds,
        gas_limit: gas_for_execution,
    };

    let outcome = match &tx.action {
        Action::Transfer { to, amount } => {
            // `check` proved the balance covers the amount.
            sender.balance -= amount;
            overlay.set_account(&tx.from, &sender);
            let mut recipient = overlay.account(to)?;
            // `check` proved the sum fits.
            recipient.balance += amount;
            overlay.set_account(to, &recipient);
            return Ok(receipt);
        }
        Action::UploadCode { wasm } => {
            let cost = vm.gas_schedule().upload_cost(wasm.len());
            if cost > gas_for_execution {
                receipt.status = ReceiptStatus::OutOfGas;
                receipt.gas_used = tx.gas_limit;
                receipt.error = Some(format!("uploading {} bytes costs {cost} gas", wasm.len()));
                return Ok(receipt);
            }
            let hash =
                vm.upload(overlay, tx.from, block.height, wasm)?.map_err(|e| Rejection::InvalidCode(e.to_string()))?;
            receipt.gas_used += cost;
            receipt.code_hash = Some(hash);
            return Ok(receipt);
        }
        Action::Instantiate { code_hash, msg, funds, label, admin } => {
            let address = Address::contract(&tx.from, tx.nonce);
            let kind = CallKind::Instantiate { code_hash: *code_hash, admin: *admin, label: label.clone() };
            let outcome = vm.call(overlay, &env, call(address, kind, msg, *funds))?;
            if outcome.status.is_success() {
                receipt.contract_address = Some(address);
            }
            outcome
        }
        Action::Execute { contract, msg, funds } => {
            vm.call(overlay, &env, call(*contract, CallKind::Execute, msg, *funds))?
        }
        Action::Migrate { contract, new_code_hash, msg } => {
            let kind = CallKind::Migrate { new_code_hash: *new_code_hash };
            vm.call(overlay, &env, call(*contract, kind, msg, 0))?
        }
    };
    receipt.gas_used = receipt.gas_used.saturating_add(outcome.gas_used);
    receipt.apply_outcome(outcome);
    Ok(receipt)
}

/// The checks that make a transaction acceptable, without changing anything. Returns the
/// sender's account.
fn check(vm: &Vm, overlay: &Overlay, block: &BlockContext, tx: &Transaction) -> Result<Account, NodeError> {
    if tx.chain_id != block.chain_id {
        return Err(Rejection::WrongChainId { expected: block.chain_id, got: tx.chain_id }.into());
    }
    tx.check_form()?;
    let sender = overlay.account(&tx.from)?;
    if tx.nonce != sender.nonce {
        return Err(Rejection::BadNonce { expected: sender.nonce, got: tx.nonce }.into());
    }
    let funds_needed = match &tx.action {
        Action::Transfer { amount, .. } => *amount,
        Action::Instantiate { funds, .. } | Action::Execute { funds, .. } => *funds,
        Action::UploadCode { .. } | Action::Migrate { .. } => 0,
    };
    if funds_needed > sender.balance {
        return Err(Rejection::InsufficientFunds { needed: funds_needed, available: sender.balance }.into());
    }
    match &tx.action {
        Action::Transfer { to, amount } => {
            // Checked here, before the sender is debited: a rejection must write nothing. (A
            // transfer to oneself leaves the balance as it is and cannot overflow.)
            if to != &tx.from && overlay.account(to)?.balance.checked_add(*amount).is_none() {
                return Err(Rejection::BalanceOverflow.into());
            }
        }
        Action::UploadCode { wasm } => {
            // Validation here keeps invalid code a rejection; the compiled module is cached, so
            // the upload itself does not compile again.
            vm.prepare_code(wasm)?.map_err(|e| Rejection::InvalidCode(e.to_string()))?;
        }
        Action::Instantiate { code_hash, .. } => {
            if overlay.code_meta(code_hash)?.is_none() {
                return Err(Rejection::UnknownCode(*code_hash).into());
            }
        }
        Action::Execute { contract, .. } => {
            if overlay.instance(contract)?.is_none() {
                return Err(Rejection::UnknownContract(*contract).into());
            }
        }
        Action::Migrate { contract, new_code_hash, .. } => {
            if overlay.instance(contract)?.is_none() {
                return Err(Rejection::UnknownContract(*contract).into());
            }
            if overlay.code_meta(new_code_hash)?.is_none() {
                return Err(Rejection::UnknownCode(*new_code_hash).into());
            }
        }
    }
    Ok(sender)
}
