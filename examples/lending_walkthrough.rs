//! The lending market, over REST: Alice supplies WETH and borrows USDC, a year of interest
//! passes, the WETH price drops, and Bob liquidates her. Positions and health factors are
//! printed at each step.
//!
//! Run with: cargo run -p tidepool-examples --example lending_walkthrough
//!
//! with a dev node running (`make run` in another terminal: it deploys the market at genesis).
//! The node's URL comes from `TIDEPOOL_URL` (default `http://127.0.0.1:8545`).
//!
//! Every step is a signed transaction (EIP-191 `personal_sign` over the transaction's canonical
//! JSON, made locally with the dev account's or a fresh key) posted to `/v1/txs`, or a query
//! posted to `/v1/contracts/{address}/query`; the year passes through `POST /dev/warp`, which
//! publishes the oracle's prices again at the new time (`"refresh_prices": true`). The story
//! itself lives in `tidepool_examples::lending_walkthrough` (`examples/src/lib.rs`), so the
//! end-to-end tests run the same code.

fn main() -> anyhow::Result<()> {
    let url = std::env::var("TIDEPOOL_URL").unwrap_or_else(|_| "http://127.0.0.1:8545".to_string());
    let summary = tidepool_examples::lending_walkthrough(&url, &mut std::io::stdout())?;
    println!(
        "\nDone. Alice's health factor went {} → {} → {} → {}.",
        tidepool_examples::health(summary.after_borrow.health_factor),
        tidepool_examples::health(summary.after_a_year.health_factor),
        tidepool_examples::health(summary.after_price_drop.health_factor),
        tidepool_examples::health(summary.after_liquidation.health_factor),
    );
    Ok(())
}
