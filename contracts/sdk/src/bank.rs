//! The chain's native token: balances and transfers from this contract.

use crate::{Address, ContractError, sys};

/// Native balance of `address`.
pub fn balance(address: &Address) -> u128 {
    let mut out = [0u8; 16];
    // SAFETY: a 20-byte address and a 16-byte output buffer, as the ABI requires.
    unsafe { sys::balance(address.0.as_ptr(), out.as_mut_ptr()) };
    u128::from_le_bytes(out)
}

/// Sends `amount` of the native token from this contract to `to`.
///
/// # Errors
/// [`ContractError::InsufficientFunds`] if this contract's balance is smaller.
pub fn transfer(to: &Address, amount: u128) -> Result<(), ContractError> {
    let amount = amount.to_le_bytes();
    // SAFETY: a 20-byte address and a 16-byte amount.
    match unsafe { sys::transfer(to.0.as_ptr(), amount.as_ptr()) } {
        tidepool_abi::status::OK => Ok(()),
        _ => Err(ContractError::InsufficientFunds),
    }
}
