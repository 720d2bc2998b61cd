//! Who and when: this contract, the caller, the origin, block height and time, chain id,
//! attached funds, gas left; and the native token: balance and transfer.

use tidepool_abi::{host as h, status};
use tidepool_ledger::{Address, Overlay};
use wasmtime::Caller;

use super::imports::AbiLinker;
use super::{HostExit, HostState, charge, memory, require_writable};

pub(super) fn register(linker: &mut AbiLinker) -> wasmtime::Result<()> {
    linker.define(h::SELF_ADDRESS, |c: Caller<'_, HostState>, out: i32| {
        let address = c.data().frame.contract;
        write_fixed(c, out, &address.0, h::SELF_ADDRESS)
    })?;
    linker.define(h::CALLER, |c: Caller<'_, HostState>, out: i32| {
        let address = c.data().frame.caller;
        write_fixed(c, out, &address.0, h::CALLER)
    })?;
    linker.define(h::ORIGIN, |c: Caller<'_, HostState>, out: i32| {
        let address = c.data().env.origin;
        write_fixed(c, out, &address.0, h::ORIGIN)
    })?;
    linker.define(h::ATTACHED_FUNDS, |c: Caller<'_, HostState>, out: i32| {
        let funds = c.data().frame.funds;
        write_fixed(c, out, &funds.to_le_bytes(), h::ATTACHED_FUNDS)
    })?;
    linker.define(h::BLOCK_HEIGHT, |c: Caller<'_, HostState>| read_u64(c, |s| s.env.height))?;
    linker.define(h::BLOCK_TIME, |c: Caller<'_, HostState>| read_u64(c, |s| s.env.time))?;
    linker.define(h::CHAIN_ID, |c: Caller<'_, HostState>| read_u64(c, |s| s.env.chain_id))?;
    linker.define(h::GAS_LEFT, gas_left)?;
    linker.define(h::BALANCE, balance)?;
    linker.define(h::TRANSFER, transfer)?;
    Ok(())
}

/// Writes a fixed-size value (an address, an amount) to the guest.
fn write_fixed(mut caller: Caller<'_, HostState>, out: i32, bytes: &[u8], what: &str) -> wasmtime::Result<()> {
    charge(&mut caller, |g| g.host_call)?;
    memory::write(memory::of(&caller)?.data_mut(&mut caller), out, bytes, what)?;
    Ok(())
}

/// Returns a `u64` of the context as the ABI's `i64` (bit-for-bit).
fn read_u64(mut caller: Caller<'_, HostState>, value: impl FnOnce(&HostState) -> u64) -> wasmtime::Result<i64> {
    charge(&mut caller, |g| g.host_call)?;
    Ok(value(caller.data()) as i64)
}

fn gas_left(mut caller: Caller<'_, HostState>) -> wasmtime::Result<i64> {
    charge(&mut caller, |g| g.host_call)?;
    caller.data_mut().tx.inconclusive = true;
    Ok(caller.get_fuel()?.min(i64::MAX as u64) as i64)
}

fn balance(mut caller: Caller<'_, HostState>, addr_ptr: i32, out: i32) -> wasmtime::Result<()> {
    charge(&mut caller, |g| g.host_call + g.balance)?;
    let memory = memory::of(&caller)?;
    let address = Address(memory::read_array(memory.data(&caller), addr_ptr, "balance: address")?);
    let balance = caller.data().tx.overlay.account(&address).map_err(HostExit::from)?.balance;
    memory::write(memory.data_mut(&mut caller), out, &balance.to_le_bytes(), "balance: out")?;
    Ok(())
}

fn transfer(mut caller: Caller<'_, HostState>, to_ptr: i32, amount_ptr: i32) -> wasmtime::Result<i32> {
    require_writable(&caller, h::TRANSFER)?;
    charge(&mut caller, |g| g.host_call + g.transfer)?;
    let data = memory::of(&caller)?.data(&caller);
    let to = Address(memory::read_array(data, to_ptr, "transfer: recipient")?);
    let amount = u128::from_le_bytes(memory::read_array(data, amount_ptr, "transfer: amount")?);
    let state = caller.data_mut();
    let from = state.frame.contract;
    Ok(if move_funds(&mut state.tx.overlay, &from, &to, amount)? { status::OK } else { status::INSUFFICIENT_FUNDS })
}

/// Moves `amount` from `from` to `to`. `Ok(false)` if `from` has too little (nothing changes).
///
/// # Errors
/// A ledger failure, or a recipient balance that would overflow `u128` (a trap: no real
/// supply comes near it, so only a broken genesis could get there).
pub(crate) fn move_funds(overlay: &mut Overlay, from: &Address, to: &Address, amount: u128) -> Result<bool, HostExit> {
    // Nothing to move (every query and most nested calls): no account to read.
    if amount == 0 {
        return Ok(true);
    }
    if from == to {
        return Ok(overlay.account(from)?.balance >= amount);
    }
    let mut sender = overlay.account(from)?;
    let Some(rest) = sender.balance.checked_sub(amount) else {
        return Ok(false);
    };
    let mut recipient = overlay.account(to)?;
    recipient.balance = recipient
        .balance
        .checked_add(amount)
        .ok_or_else(|| HostExit::Trap(format!("transfer: the balance of {to} would overflow")))?;
    sender.balance = rest;
    overlay.set_account(from, &sender);
    overlay.set_account(to, &recipient);
    Ok(true)
}
