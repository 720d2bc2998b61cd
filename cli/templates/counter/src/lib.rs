//! {name}: a Tidepool contract — a counter anyone can increment and only its owner can reset.
//!
//! Messages are JSON: `{"increment": {"by": 2}}`, `{"reset": {}}`; queries `{"count": {}}`
//! → `{"count": 7}` and `{"owner": {}}` → `{"owner": "0x…"}`. The message types are public, so
//! the tests (and any Rust client) use the same types the contract does.
#![cfg_attr(target_arch = "wasm32", no_std)]

use tidepool_sdk::prelude::*;

/// `{"start": 5}`: the first count.
#[msg]
pub struct InstantiateMsg {
    /// The count to start from.
    pub start: u64,
}

/// What the contract does.
#[msg]
pub enum ExecuteMsg {
    /// Adds `by` to the count (anyone).
    Increment {
        /// How much.
        by: u64,
    },
    /// Sets the count to zero (the owner only).
    Reset {},
}

/// What it answers.
#[msg]
pub enum QueryMsg {
    /// → [`CountResponse`].
    Count {},
    /// → [`OwnerResponse`].
    Owner {},
}

/// `{"count": 7}`; also the data of the `count` event.
#[msg]
#[derive(Eq)]
pub struct CountResponse {
    /// The count.
    pub count: u64,
}

/// `{"owner": "0x…"}`.
#[msg]
#[derive(Eq)]
pub struct OwnerResponse {
    /// Who may reset.
    pub owner: Address,
}

const COUNT: Item<u64> = Item::new("count");
const OWNER: Item<Address> = Item::new("owner");

fn instantiate(ctx: &Context, msg: InstantiateMsg) -> Result<Response, ContractError> {
    COUNT.save(&msg.start)?;
    OWNER.save(&ctx.caller())?;
    Ok(Response::new())
}

fn execute(ctx: &Context, msg: ExecuteMsg) -> Result<Response, ContractError> {
    let count = match msg {
        ExecuteMsg::Increment { by } => COUNT
            .load()?
            .checked_add(by)
            .ok_or(ContractError::Overflow)?,
        ExecuteMsg::Reset {} => {
            ensure!(ctx.caller() == OWNER.load()?, "only the owner can reset");
            0
        }
    };
    COUNT.save(&count)?;
    Ok(Response::new().event("count", &CountResponse { count }))
}

fn query(_ctx: &Context, msg: QueryMsg) -> Result<Binary, ContractError> {
    match msg {
        QueryMsg::Count {} => to_json_binary(&CountResponse {
            count: COUNT.load()?,
        }),
        QueryMsg::Owner {} => to_json_binary(&OwnerResponse {
            owner: OWNER.load()?,
        }),
    }
}

tidepool_sdk::entry_points! {
    instantiate = instantiate;
    execute = execute;
    query = query;
}
