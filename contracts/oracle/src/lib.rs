//! The sample price oracle of LENDING.md: the owner pushes USD prices (USD per whole token
//! × 10^8), each stored with the block time it was set; anyone reads them. The lending pool
//! refuses zero and stale prices, so this contract only records what it is told.
#![cfg_attr(target_arch = "wasm32", no_std)]

use serde::Serialize;
use tidepool_sdk::prelude::*;

/// `{"owner": "0x…"}`; the owner defaults to the instantiating account.
#[msg]
#[derive(Default)]
pub struct InstantiateMsg {
    /// Who may set prices.
    #[serde(default)]
    pub owner: Option<Address>,
}

/// One price: `{"asset": "0x…", "price": "200000000000"}` (USD × 10^8 per whole token).
#[msg]
#[derive(Eq)]
pub struct PriceInput {
    /// The asset (a token contract address).
    pub asset: Address,
    /// USD per whole token × 10^8.
    pub price: Uint128,
}

/// Execute messages.
#[msg]
pub enum ExecuteMsg {
    /// `{"set_price": {"asset", "price"}}` (owner only).
    SetPrice {
        /// The asset.
        asset: Address,
        /// USD per whole token × 10^8.
        price: Uint128,
    },
    /// `{"set_prices": {"prices": [{"asset", "price"}, …]}}` (owner only).
    SetPrices {
        /// The prices.
        prices: Vec<PriceInput>,
    },
    /// `{"transfer_ownership": {"owner": "0x…"}}` (owner only).
    TransferOwnership {
        /// The new owner.
        owner: Address,
    },
}

/// Queries.
#[msg]
pub enum QueryMsg {
    /// `{"price": {"asset"}}` → [`PriceResponse`]; an error if no price was ever set.
    Price {
        /// The asset.
        asset: Address,
    },
    /// `{"prices": {"assets": ["0x…", …]}}` → [`PricesResponse`], in the order asked; an error
    /// for the first asset that never had a price.
    Prices {
        /// The assets.
        assets: Vec<Address>,
    },
    /// `{"config": {}}` → [`ConfigResponse`].
    Config {},
}

/// `{"price": "…", "updated_at": 1700000000}`.
#[msg]
#[derive(Eq)]
pub struct PriceResponse {
    /// USD per whole token × 10^8.
    pub price: Uint128,
    /// Block time (Unix seconds) when it was set.
    pub updated_at: u64,
}

/// `{"prices": [{"price", "updated_at"}, …]}`, one per asset asked, in order.
#[msg]
#[derive(Eq)]
pub struct PricesResponse {
    /// The prices.
    pub prices: Vec<PriceResponse>,
}

/// `{"owner": "0x…"}`.
#[msg]
#[derive(Eq)]
pub struct ConfigResponse {
    /// Who may set prices.
    pub owner: Address,
}

#[derive(Serialize)]
struct PriceEvent {
    asset: Address,
    price: Uint128,
    updated_at: u64,
}

#[derive(Serialize)]
struct OwnerEvent {
    previous: Address,
    owner: Address,
}

const OWNER: Item<Address> = Item::new("owner");
const PRICES: Map<Address, PriceResponse> = Map::new("price");

fn instantiate(ctx: &Context, msg: InstantiateMsg) -> Result<Response, ContractError> {
    OWNER.save(&msg.owner.unwrap_or_else(|| ctx.caller()))?;
    Ok(Response::new())
}

fn execute(ctx: &Context, msg: ExecuteMsg) -> Result<Response, ContractError> {
    let owner = OWNER.load()?;
    ensure!(ctx.caller() == owner, "unauthorized: only the owner can do this");
    let now = ctx.block_time();
    let mut response = Response::new();
    let prices = match msg {
        ExecuteMsg::SetPrice { asset, price } => vec![PriceInput { asset, price }],
        ExecuteMsg::SetPrices { prices } => prices,
        ExecuteMsg::TransferOwnership { owner: new } => {
            OWNER.save(&new)?;
            return Ok(response.event("ownership_transferred", &OwnerEvent { previous: owner, owner: new }));
        }
    };
    for PriceInput { asset, price } in prices {
        PRICES.save(&asset, &PriceResponse { price, updated_at: now })?;
        response = response.event("price", &PriceEvent { asset, price, updated_at: now });
    }
    Ok(response)
}

fn query(_ctx: &Context, msg: QueryMsg) -> Result<Binary, ContractError> {
    match msg {
        QueryMsg::Price { asset } => to_json_binary(&price_of(&asset)?),
        QueryMsg::Prices { assets } => {
            let prices = assets.iter().map(price_of).collect::<Result<_, _>>()?;
            to_json_binary(&PricesResponse { prices })
        }
        QueryMsg::Config {} => to_json_binary(&ConfigResponse { owner: OWNER.load()? }),
    }
}

fn price_of(asset: &Address) -> Result<PriceResponse, ContractError> {
    PRICES.may_load(asset)?.ok_or_else(|| ContractError::msg(format!("no price for {asset}")))
}

tidepool_sdk::entry_points! {
    instantiate = instantiate;
    execute = execute;
    query = query;
}
