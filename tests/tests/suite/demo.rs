//! The demo (README's main job). The run is deterministic (fixed prices, users
//! and order), so the tests pin its numbers: tokens are conserved, the crash
//! liquidates, the over-leveraged borrower's bad debt is written off, and of the
//! twin borrowers the one opted in to pre-liquidation pays strictly less and is
//! never liquidated.

use margin_ops::demo::{self, DemoConfig, DemoSummary, TwinSummary};

/// Cents, for comparing USD amounts measured in f64.
fn cents(usd: f64) -> i64 {
    (usd * 100.0).round() as i64
}

fn conserves_tokens(summary: &DemoSummary) {
    assert_eq!(summary.pools.len(), 3);
    for pool in &summary.pools {
        assert!(pool.minted > 0);
        assert_eq!(pool.minted, pool.held_by_wallets + pool.vault_balance, "{} tokens not conserved", pool.symbol);
    }
}

/// The protected twin never crosses the liquidation line and pays less.
fn protection_pays(summary: &DemoSummary) -> (&TwinSummary, &TwinSummary) {
    let [protected, unprotected] = &summary.twins[..] else { panic!("two twins") };
    assert!(protected.protected && !unprotected.protected);
    assert_eq!(protected.liquidations, 0, "the protected twin was never liquidated");
    assert!(protected.lowest_ratio >= 1.0, "and never liquidatable at a day's end");
    assert_eq!(protected.liquidation_paid_usd, 0.0);
    assert!(protected.deleverage_steps > 0);
    assert_eq!(unprotected.deleverage_steps, 0, "no deleverage without the opt-in");
    assert!(unprotected.liquidations > 0);
    assert!(protected.paid_usd() < unprotected.paid_usd(), "the protected twin paid strictly less");
    (protected, unprotected)
}

#[test]
fn small_demo_conserves_tokens() {
    let config = DemoConfig { users: 9, days: 4, plot: None, bot_logs: false, progress: false };
    let summary = demo::run(config, |_| {}).expect("demo runs");
    assert_eq!(
        summary.accounts_opened,
        9 + 1 + 3 + 2 + 1,
        "users, the twins' lender, twins and the over-leveraged, liquidators, keeper"
    );
    assert_eq!(summary.timeline.len(), 8);
    conserves_tokens(&summary);
    // The crash liquidates five accounts in eight liquidations; the second
    // liquidator loses six races. One send fails: both liquidators planned the
    // over-leveraged account, the first ones seized all its collateral, and the
    // last plan finds the position gone (`PoolNotInAccount`, which the bot counts
    // as a failure: only `NotLiquidatable` counts as a lost race).
    assert_eq!(
        (summary.liquidations, summary.races_lost, summary.accounts_liquidated, summary.failed_sends),
        (8, 6, 5, 1)
    );
    assert_eq!(summary.pools[2].total_debt, 43_072_374_327, "USDC debt left after the liquidations");
    // The over-leveraged borrower is insolvent after the crash: written off.
    assert_eq!(summary.bad_debt_resolutions, 1);
    assert_eq!(cents(summary.bad_debt_usd), 242_964);
    let (protected, unprotected) = protection_pays(&summary);
    assert_eq!(protected.deleverage_steps, 4);
    assert_eq!(cents(protected.deleverage_paid_usd), 4_791);
    assert_eq!((protected.collateral_left, protected.debt_left), (44_289_718_122, 2_217_976_462));
    assert_eq!(unprotected.liquidations, 1);
    assert_eq!(cents(unprotected.liquidation_paid_usd), 12_289);
    assert_eq!((unprotected.collateral_left, unprotected.debt_left), (60_657_869_689, 3_800_960_767));

    // The plot: an SVG with text (the embedded font measured it) and lines, and a
    // PNG of the same drawing.
    let svg = demo::plot_svg(&summary.timeline).expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains("polyline") && svg.contains("<text"));
    assert!(svg.contains("SOL price") && svg.contains("protection threshold 1.20"));
    let path = std::env::temp_dir().join(format!("margin-demo-{}.png", std::process::id()));
    demo::plot_png(&summary.timeline, &path).expect("png");
    let png = std::fs::read(&path).expect("png written");
    std::fs::remove_file(&path).ok();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!((&png[16..20], &png[20..24]), (&960u32.to_be_bytes()[..], &1200u32.to_be_bytes()[..]));
    assert!(png.ends_with(b"IEND\xaeB`\x82"));
}

#[test]
fn default_demo_shows_what_the_readme_promises() {
    let config = DemoConfig { plot: None, progress: false, ..DemoConfig::default() };
    let summary = demo::run(config, |_| {}).expect("demo runs");
    assert_eq!(summary.accounts_opened, 24 + 1 + 3 + 2 + 1);
    assert_eq!(summary.timeline.len(), 60);
    conserves_tokens(&summary);
    assert_eq!(
        (summary.liquidations, summary.races_lost, summary.accounts_liquidated, summary.failed_sends),
        (94, 92, 10, 1)
    );
    assert_eq!(summary.deleverage_steps, 12);
    // README: "bad debt written off".
    assert_eq!(summary.bad_debt_resolutions, 1);
    assert_eq!(cents(summary.bad_debt_usd), 248_704);
    // README: the twins, what each paid and its end state.
    let (protected, unprotected) = protection_pays(&summary);
    assert_eq!(protected.deleverage_steps, 12);
    assert_eq!(cents(protected.deleverage_paid_usd), 6_825);
    assert_eq!((protected.collateral_left, protected.debt_left), (9_648_276_145, 223_636_867));
    assert_eq!(protected.health_ratio.map(|r| (r * 1_000.0).round()), Some(1_298.0));
    assert_eq!(unprotected.liquidations, 7);
    assert_eq!(cents(unprotected.liquidation_paid_usd), 29_346);
    assert_eq!((unprotected.collateral_left, unprotected.debt_left), (2_020_133_163, 60_564_329));
    assert_eq!(unprotected.health_ratio.map(|r| (r * 1_000.0).round()), Some(1_004.0));
    let table = demo::render(&summary);
    assert!(table.contains("bad debt: 1 write-off(s), $2487.04 written off"), "{table}");
    assert!(table.contains("protected            12       $68.25"), "{table}");
}
