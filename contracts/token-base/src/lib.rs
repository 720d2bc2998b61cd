//! The fungible token of LENDING.md (CW20/ERC-20 shape): balances, allowances, an optional
//! minter, and events for transfer / approve / mint / burn.
//!
//! This crate holds the messages, state and handlers; the `token` contract exports them as-is,
//! and the test-only variants (`callback-token`, `fee-token`) reuse them with a [`Hooks`]
//! implementation that changes what a transfer does. It is a library without entry points, so
//! several contracts can link it (entry points in a shared crate would clash at link time, and
//! a feature switch would be unified across the workspace build).

#![no_std]

pub mod msg;
mod state;

use tidepool_sdk::prelude::*;

pub use msg::{
    AllowanceResponse, BalanceResponse, ExecuteMsg, InitialBalance, InstantiateMsg, QueryMsg, TokenInfoResponse,
    TransferResponse,
};
use state::{ALLOWANCES, BALANCES, TOKEN_INFO, TokenInfo};

/// What a token variant changes about transfers. The plain token uses [`NoHooks`].
pub trait Hooks {
    /// How much of `amount` sent reaches the recipient; the rest is burned (a fee-on-transfer
    /// token returns less than `amount`).
    ///
    /// # Errors
    /// A failure reading the variant's configuration.
    fn delivered(&self, amount: Uint128) -> Result<Uint128, ContractError> {
        Ok(amount)
    }

    /// Runs after a transfer's balances are written (a callback token calls the recipient).
    ///
    /// # Errors
    /// Aborts the transfer.
    fn after_transfer(&self, from: &Address, to: &Address, amount: Uint128) -> Result<(), ContractError> {
        let _ = (from, to, amount);
        Ok(())
    }

    /// Whether transfers answer [`TransferResponse`] (and `token_info` says so). Every variant
    /// reports but one test token that stands for tokens which do not.
    ///
    /// # Errors
    /// A failure reading the variant's configuration.
    fn reports_delivery(&self) -> Result<bool, ContractError> {
        Ok(true)
    }
}

/// The plain token: transfers deliver everything and call nobody.
pub struct NoHooks;

impl Hooks for NoHooks {}

/// `instantiate{name, symbol, decimals, initial_balances, minter}`.
///
/// # Errors
/// An empty name or symbol, more than 38 decimals, a duplicate initial holder, or a supply
/// overflow.
pub fn instantiate(_ctx: &Context, msg: InstantiateMsg) -> Result<Response, ContractError> {
    ensure!(!msg.name.is_empty() && msg.name.len() <= 64, "name must be 1 to 64 bytes");
    ensure!(!msg.symbol.is_empty() && msg.symbol.len() <= 16, "symbol must be 1 to 16 bytes");
    ensure!(msg.decimals <= 38, "decimals must be at most 38");
    let mut total_supply = Uint128::ZERO;
    let mut response = Response::new();
    for InitialBalance { address, amount } in &msg.initial_balances {
        ensure!(!BALANCES.has(address), "duplicate address in initial_balances");
        BALANCES.save(address, amount)?;
        total_supply = total_supply.checked_add(*amount)?;
        response = response.event("mint", &msg::MintEvent { to: *address, amount: *amount });
    }
    TOKEN_INFO.save(&TokenInfo {
        name: msg.name,
        symbol: msg.symbol,
        decimals: msg.decimals,
        total_supply,
        minter: msg.minter,
    })?;
    Ok(response)
}

/// Runs an execute message with the given hooks.
///
/// # Errors
/// Insufficient balance or allowance, a non-minter minting, or a hook's error.
pub fn execute(ctx: &Context, msg: ExecuteMsg, hooks: &impl Hooks) -> Result<Response, ContractError> {
    let sender = ctx.caller();
    match msg {
        ExecuteMsg::Transfer { to, amount } => transfer(&sender, &to, amount, hooks),
        ExecuteMsg::TransferFrom { owner, to, amount } => {
            spend_allowance(&owner, &sender, amount)?;
            transfer(&owner, &to, amount, hooks)
        }
        ExecuteMsg::Approve { spender, amount } => {
            ALLOWANCES.save(&(sender, spender), &amount)?;
            Ok(Response::new().event("approve", &msg::ApproveEvent { owner: sender, spender, amount }))
        }
        ExecuteMsg::Mint { to, amount } => {
            let mut info = TOKEN_INFO.load()?;
            ensure!(info.minter == Some(sender), "unauthorized: only the minter can mint");
            info.total_supply = info.total_supply.checked_add(amount)?;
            TOKEN_INFO.save(&info)?;
            credit(&to, amount)?;
            Ok(Response::new().event("mint", &msg::MintEvent { to, amount }))
        }
        ExecuteMsg::Burn { amount } => {
            burn(&sender, amount)?;
            Ok(Response::new().event("burn", &msg::BurnEvent { from: sender, amount }))
        }
    }
}

/// Answers a query for the plain token.
///
/// # Errors
/// Only on corrupt state.
pub fn query(ctx: &Context, msg: QueryMsg) -> Result<Binary, ContractError> {
    query_with(ctx, msg, &NoHooks)
}

/// Answers a query for a variant with the given hooks.
///
/// # Errors
/// Only on corrupt state.
pub fn query_with(_ctx: &Context, msg: QueryMsg, hooks: &impl Hooks) -> Result<Binary, ContractError> {
    match msg {
        QueryMsg::Balance { address } => to_json_binary(&BalanceResponse { balance: balance_of(&address)? }),
        QueryMsg::Allowance { owner, spender } => {
            let allowance = ALLOWANCES.may_load(&(owner, spender))?.unwrap_or_default();
            to_json_binary(&AllowanceResponse { allowance })
        }
        QueryMsg::TokenInfo {} => {
            let info = TOKEN_INFO.load()?;
            to_json_binary(&TokenInfoResponse {
                name: info.name,
                symbol: info.symbol,
                decimals: info.decimals,
                total_supply: info.total_supply,
                minter: info.minter,
                reports_delivery: hooks.reports_delivery()?,
            })
        }
    }
}

/// The balance of `address`.
///
/// # Errors
/// Only on corrupt state.
pub fn balance_of(address: &Address) -> Result<Uint128, ContractError> {
    Ok(BALANCES.may_load(address)?.unwrap_or_default())
}

/// Moves `amount` from `from` to `to` (the recipient gets what the hooks deliver; the rest is
/// burned), writes the balances, then runs the hooks' `after_transfer`. Answers
/// [`TransferResponse`] if the hooks report delivery.
///
/// # Errors
/// Insufficient balance, or a hook's error.
pub fn transfer(from: &Address, to: &Address, amount: Uint128, hooks: &impl Hooks) -> Result<Response, ContractError> {
    let have = balance_of(from)?;
    ensure!(have >= amount, ContractError::msg(format!("insufficient balance: have {have}, need {amount}")));
    BALANCES.save(from, &(have - amount))?;
    let delivered = hooks.delivered(amount)?.min(amount);
    credit(to, delivered)?;
    let mut response =
        Response::new().event("transfer", &msg::TransferEvent { from: *from, to: *to, amount, delivered });
    if delivered < amount {
        let mut info = TOKEN_INFO.load()?;
        info.total_supply -= amount - delivered;
        TOKEN_INFO.save(&info)?;
        response = response.event("burn", &msg::BurnEvent { from: *from, amount: amount - delivered });
    }
    hooks.after_transfer(from, to, amount)?;
    if hooks.reports_delivery()? {
        response = response.set_data(&msg::TransferResponse { delivered });
    }
    Ok(response)
}

fn credit(to: &Address, amount: Uint128) -> Result<(), ContractError> {
    BALANCES.save(to, &balance_of(to)?.checked_add(amount)?)
}

fn burn(from: &Address, amount: Uint128) -> Result<(), ContractError> {
    let have = balance_of(from)?;
    ensure!(have >= amount, ContractError::msg(format!("insufficient balance: have {have}, need {amount}")));
    BALANCES.save(from, &(have - amount))?;
    let mut info = TOKEN_INFO.load()?;
    info.total_supply -= amount;
    TOKEN_INFO.save(&info)
}

/// Spends `amount` of the allowance `owner` gave `spender`. An allowance of `u128::MAX` is
/// unlimited and never decreases (as in OpenZeppelin's ERC-20).
fn spend_allowance(owner: &Address, spender: &Address, amount: Uint128) -> Result<(), ContractError> {
    let key = (*owner, *spender);
    let allowed = ALLOWANCES.may_load(&key)?.unwrap_or_default();
    if allowed == Uint128::MAX {
        return Ok(());
    }
    ensure!(allowed >= amount, ContractError::msg(format!("insufficient allowance: have {allowed}, need {amount}")));
    ALLOWANCES.save(&key, &(allowed - amount))
}
