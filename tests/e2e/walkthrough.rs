//! The README's lending walkthrough (`examples/lending_walkthrough.rs`) against a fresh node: the
//! story it tells is what happens.

use crate::harness::TestNode;

const WAD: u128 = 1_000_000_000_000_000_000;

#[test]
fn the_lending_walkthrough_tells_what_happens() {
    let node = TestNode::dev();
    let mut narration = Vec::new();
    let summary = tidepool_examples::lending_walkthrough(node.url(), &mut narration)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", String::from_utf8_lossy(&narration)));
    let narration = String::from_utf8(narration).unwrap();

    // Borrowing 75% of the collateral's value: healthy, with WETH's 82.5% threshold → 1.1.
    let borrowed = &summary.after_borrow;
    assert_eq!(borrowed.weth_supplied, 10 * 10u128.pow(18));
    assert_eq!(borrowed.collateral_value, 30_000 * 10u128.pow(8));
    assert!((borrowed.usdc_debt..=borrowed.usdc_debt + 1).contains(&(22_500 * 10u128.pow(6))), "{borrowed:?}");
    assert!(borrowed.health_factor.abs_diff(WAD * 11 / 10) < WAD / 10_000, "{borrowed:?}");

    // A year of interest: more debt, a lower health factor, still healthy.
    let year = &summary.after_a_year;
    assert!(year.usdc_debt > borrowed.usdc_debt, "{year:?}");
    assert!(year.health_factor < borrowed.health_factor && year.health_factor > WAD, "{year:?}");
    assert!(summary.stale_price_error.contains("stale price"), "{}", summary.stale_price_error);

    // The price drop makes her liquidatable; the liquidation repays half and restores health.
    let dropped = &summary.after_price_drop;
    assert_eq!(dropped.collateral_value, 26_500 * 10u128.pow(8));
    assert!(dropped.health_factor < WAD, "{dropped:?}");
    let liquidated = &summary.after_liquidation;
    // The liquidation runs a block or two after the position was read, and interest accrues per
    // second of block time in between: about 1.4 base units a second here, hence the tolerance.
    let close_enough = |a: u128, b: u128| a.abs_diff(b) <= dropped.usdc_debt / 100_000;
    assert!(close_enough(summary.bob_repaid_usdc, dropped.usdc_debt / 2), "close factor 50%: {summary:?}");
    assert!(close_enough(liquidated.usdc_debt, dropped.usdc_debt - summary.bob_repaid_usdc), "{summary:?}");
    assert!(liquidated.health_factor > WAD, "{liquidated:?}");
    // Bob gets the collateral for the debt at a 5% bonus (the pool keeps 10% of the bonus as its
    // fee): between 104% and 105% of what he paid, at $2,650 per WETH.
    let paid_usd = summary.bob_repaid_usdc * 10u128.pow(12); // 18 decimals
    let received_usd = summary.bob_received_weth * 2_650;
    assert!(received_usd * 100 > paid_usd * 104 && received_usd * 100 <= paid_usd * 105, "{summary:?}");
    assert!(liquidated.weth_supplied < dropped.weth_supplied - summary.bob_received_weth + 1, "{summary:?}");

    for heading in ["Alice supplies", "borrows", "A year passes", "WETH falls", "Bob liquidates"] {
        assert!(narration.contains(heading), "the narration lacks {heading:?}:\n{narration}");
    }

    // Fresh keys each run: it runs again on the same node.
    let again = tidepool_examples::lending_walkthrough(node.url(), &mut std::io::sink()).unwrap();
    assert!(again.after_liquidation.health_factor > WAD);
}
