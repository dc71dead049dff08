//! Opt-in pre-liquidation: `set_protection` (owner) and `deleverage` (anyone,
//! inside the band): fraction cap, bonus cap, band edges, must-improve, and every
//! refusal leaving accounts unchanged.

use margin_client::{
    instructions::{self, SeizeAccounts},
    pda::PoolKeys,
};
use margin_interface::{
    error::MarginError,
    health::Health,
    liquidation::{deleverage_plan, LiquidationPlan},
    state::{PoolConfig, Protection},
};
use margin_tests::{Env, Feed, Liquidator};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};

/// Threshold 1.15, a quarter of a debt per step, 1% bonus.
const PROTECTION: Protection =
    Protection { threshold_bps: 11_500, max_fraction_bps: 2_500, bonus_bps: 100, _padding: [0; 2] };

struct Market {
    env: Env,
    sol: PoolKeys,
    usdc: PoolKeys,
    owner: Keypair,
    account: Pubkey,
    keeper: Liquidator,
}

/// 100 SOL at $100 against 7,000 USDC in a cross account (Maintenance ratio
/// 8,500 / 7,350 = 1.157), and a keeper holding USDC.
fn market(configs: Option<(PoolConfig, PoolConfig)>, debt: u64) -> Market {
    let mut env = Env::new();
    let (sol, usdc) = match configs {
        Some((sol_config, usdc_config)) => {
            let sol = env.add_pool_with(9, sol_config);
            env.set_usd(&sol, 100.0);
            (sol, env.add_pool_with(6, usdc_config))
        }
        None => (env.add_priced_pool(9, 100.0, Feed::Pull), env.add_priced_pool(6, 1.0, Feed::Legacy)),
    };
    let (owner, account) = env.borrower(&sol, &usdc, 100_000_000_000, debt);
    let keeper = Liquidator::new(&mut env, &[usdc]);
    Market { env, sol, usdc, owner, account, keeper }
}

impl Market {
    fn protect(&mut self, protection: Protection) {
        let ix = instructions::set_protection(&self.owner.pubkey(), &self.account, protection);
        self.env.svm.process(&[ix], &[&self.owner]).expect("set_protection");
        assert_eq!(self.env.margin(&self.account).header.protection, protection);
    }

    fn deleverage_ix(&mut self, max_repay: u64) -> Instruction {
        let metas = self.env.health_metas_after(&self.account, None);
        let accounts = SeizeAccounts {
            keeper: self.keeper.key.pubkey(),
            keeper_margin: self.keeper.margin,
            account: self.account,
            asset: &self.sol,
            liability: &self.usdc,
            source: self.keeper.wallet(&self.usdc),
            account_health: &metas,
            keeper_health: &[],
        };
        instructions::deleverage(&accounts, max_repay)
    }

    /// Every account a refused deleverage must leave as it was.
    fn watched(&self) -> [Pubkey; 6] {
        [
            self.account,
            self.keeper.margin,
            self.sol.pool,
            self.usdc.pool,
            self.usdc.vault,
            self.keeper.wallet(&self.usdc),
        ]
    }

    fn expect_refused(&mut self, max_repay: u64, error: MarginError) {
        let ix = self.deleverage_ix(max_repay);
        let watched = self.watched();
        let keeper = self.keeper.key.insecure_clone();
        self.env.expect_error(&[ix], &[&keeper], error, &watched);
    }

    /// Maintenance health (with weighted liabilities) from the client's cache.
    fn health(&mut self) -> Health {
        self.env.health_cache(&self.account).health().unwrap()
    }

    /// The program's sizing of a deleverage now (the shared formula), as a check
    /// that the program fed it the account's own settings and prices.
    fn planned(&mut self, max_repay: u64) -> LiquidationPlan {
        let protection = self.env.margin(&self.account).header.protection;
        self.env.seizure_input(&self.account, &self.sol, &self.usdc, max_repay, |input| {
            deleverage_plan(input, protection.max_fraction_bps, protection.bonus_bps).unwrap()
        })
    }
}

/// Maintenance health ratio (weighted collateral / weighted debt).
fn ratio(health: &Health) -> f64 {
    let liabilities = health.maintenance_liabilities as f64;
    (health.maintenance as f64 + liabilities) / liabilities
}

#[test]
fn a_keeper_deleverages_inside_the_band_for_the_small_bonus() {
    let mut m = market(None, 7_000_000_000);
    // Not opted in: refused whatever the health.
    m.env.set_usd(&m.sol, 99.0);
    m.expect_refused(u64::MAX, MarginError::NotProtected);
    m.protect(PROTECTION);

    // At $100 the ratio (1.157) is above the 1.15 threshold: outside the band.
    m.env.set_usd(&m.sol, 100.0);
    assert!((ratio(&m.health()) - 8_500.0 / 7_350.0).abs() < 1e-6);
    m.expect_refused(u64::MAX, MarginError::OutsideProtectionBand);

    // At $99: 8,415 / 7,350 = 1.145, inside. A quarter of the debt (1,750 USDC)
    // for 1,750 x 1.01 / 99 = 17.853535353 SOL, all to the keeper.
    m.env.set_usd(&m.sol, 99.0);
    let before = m.health();
    let plan = m.planned(u64::MAX);
    assert_eq!((plan.repay, plan.seized, plan.bonus_bps), (1_750_000_000, 17_853_535_353, 100));
    let wallet_before = m.env.svm.token_balance(&m.keeper.wallet(&m.usdc));
    let ix = m.deleverage_ix(u64::MAX);
    m.env.svm.process(&[ix], &[&m.keeper.key]).expect("deleverage inside the band");
    assert_eq!(m.env.svm.token_balance(&m.keeper.wallet(&m.usdc)), wallet_before - 1_750_000_000);
    let keeper_account = m.env.margin(&m.keeper.margin);
    assert_eq!(keeper_account.active()[0].deposit_shares, plan.liquidator_shares);
    let account = m.env.margin(&m.account);
    assert_eq!(account.active()[0].deposit_shares, 100_000_000_000 - plan.seized_shares);
    let after = m.health();
    assert!(ratio(&after) > ratio(&before), "{} -> {}", ratio(&before), ratio(&after));
    // (100 - 17.85) x 99 x 0.85 / (5,250 x 1.05) = 1.254: out of the band.
    assert!(ratio(&after) > 1.15);
    m.expect_refused(u64::MAX, MarginError::OutsideProtectionBand);
}

#[test]
fn the_fraction_caps_each_step_and_max_repay_caps_it_further() {
    let mut m = market(None, 7_000_000_000);
    m.protect(Protection { threshold_bps: 20_000, ..PROTECTION });
    // In the band at once (1.157 < 2). A keeper asking for less repays less.
    let plan = m.planned(1_000_000_000);
    assert_eq!(plan.repay, 1_000_000_000);
    let ix = m.deleverage_ix(1_000_000_000);
    m.env.svm.process(&[ix], &[&m.keeper.key]).expect("a smaller step");
    // Then a full step: a quarter of the 6,000 USDC left (interest: none, the
    // clock did not move).
    let plan = m.planned(u64::MAX);
    assert_eq!(plan.repay, 1_500_000_000);
    let ix = m.deleverage_ix(u64::MAX);
    m.env.svm.process(&[ix], &[&m.keeper.key]).expect("a full step");
    let owed = m.env.margin(&m.account).active()[1].borrow_shares;
    let value = m.env.pool(&m.usdc).borrow_share_value();
    let debt = margin_interface::fixed::mul_q64_ceil(owed, value).unwrap();
    assert_eq!(debt, 4_500_000_000);
}

#[test]
fn liquidatable_accounts_are_for_liquidators_not_keepers() {
    let mut m = market(None, 7_000_000_000);
    m.protect(PROTECTION);
    // $86: 7,310 / 7,350 < 1: below the band (liquidation's territory).
    m.env.set_usd(&m.sol, 86.0);
    assert!(m.health().maintenance < 0);
    m.expect_refused(u64::MAX, MarginError::OutsideProtectionBand);
}

#[test]
fn a_step_that_would_lower_the_ratio_is_refused() {
    // Collateral at a 99% maintenance weight and no liquidation bonus, debt at
    // 100%: near the liquidation line, paying 1.5% on top of 99% lowers the ratio.
    let mut sol = margin_client::config::default_pool_config();
    (sol.init_asset_weight_bps, sol.maint_asset_weight_bps) = (9_800, 9_900);
    (sol.liquidation_penalty_min_bps, sol.liquidation_penalty_max_bps) = (0, 0);
    let mut usdc = margin_client::config::default_pool_config();
    (usdc.init_liab_weight_bps, usdc.maint_liab_weight_bps) = (10_000, 10_000);
    let mut m = market(Some((sol, usdc)), 9_000_000_000);
    m.protect(Protection { bonus_bps: 150, ..PROTECTION });
    // $91.10: 9,018.9 / 9,000 = 1.0021 (inside); a step would leave 1.0012.
    m.env.set_usd(&m.sol, 91.1);
    assert!((ratio(&m.health()) - 9_018.9 / 9_000.0).abs() < 1e-6);
    m.expect_refused(u64::MAX, MarginError::DeleverageDidNotImprove);
}

#[test]
fn set_protection_is_the_owners_and_bounded() {
    let mut m = market(None, 7_000_000_000);
    let owner = m.owner.insecure_clone();
    // Bounds: threshold at the liquidation line, a zero fraction, a 1.51% bonus.
    for bad in [
        Protection { threshold_bps: 10_000, ..PROTECTION },
        Protection { max_fraction_bps: 0, ..PROTECTION },
        Protection { bonus_bps: 151, ..PROTECTION },
    ] {
        let ix = instructions::set_protection(&owner.pubkey(), &m.account, bad);
        m.env.expect_error(&[ix], &[&owner], MarginError::InvalidProtection, &[m.account]);
    }
    // Someone else, or the owner without signing.
    let stranger = m.env.user();
    let ix = instructions::set_protection(&stranger.pubkey(), &m.account, PROTECTION);
    m.env.expect_error(&[ix], &[&stranger], MarginError::Unauthorized, &[m.account]);
    let ix = margin_tests::strip_signer(
        instructions::set_protection(&owner.pubkey(), &m.account, PROTECTION),
        &owner.pubkey(),
    );
    m.env.expect_error(&[ix], &[], MarginError::MissingSigner, &[m.account]);
    // Opting out again turns deleverage off.
    m.protect(PROTECTION);
    m.protect(Protection::default());
    m.env.set_usd(&m.sol, 99.0);
    m.expect_refused(u64::MAX, MarginError::NotProtected);
}

#[test]
fn the_keeper_bot_steps_protected_accounts_in_their_band_and_leaves_the_rest() {
    use margin_ops::bots::{Embedded, OracleBook};
    let mut m = market(None, 7_000_000_000);
    // A twin borrower that did not opt in, same position.
    let (_, unprotected) = m.env.borrower(&m.sol, &m.usdc, 100_000_000_000, 7_000_000_000);
    m.protect(PROTECTION);
    let feeds = m.env.oracles.values().map(|o| (o.address, o.account)).collect();
    let usdc_mint = m.usdc.mint;
    let keeper_key = m.keeper.key.insecure_clone();
    let keeper = margin_ops::bots::Liquidator {
        wallets: [(usdc_mint, m.keeper.wallet(&m.usdc))].into_iter().collect(),
        oracles: OracleBook { feeds },
        ..margin_ops::bots::Liquidator::new(&keeper_key, m.keeper.margin)
    };
    let mut log = Vec::new();
    // Above the threshold: nothing to do.
    let stepped = margin_ops::deleverage::deleverage_once(&mut Embedded(&mut m.env.svm), &keeper, &mut |l| {
        log.push(l.to_string())
    })
    .unwrap();
    assert!(stepped.is_empty(), "{log:?}");
    // $99: both twins at ratio 1.145; only the protected one is stepped, by the
    // program's sizing (a quarter of its debt).
    m.env.set_usd(&m.sol, 99.0);
    let plan = m.planned(u64::MAX);
    let stepped = margin_ops::deleverage::deleverage_once(&mut Embedded(&mut m.env.svm), &keeper, &mut |l| {
        log.push(l.to_string())
    })
    .unwrap();
    assert_eq!(stepped, vec![m.account], "{log:?}");
    assert_eq!(m.env.margin(&m.keeper.margin).active()[0].deposit_shares, plan.liquidator_shares);
    assert_eq!(m.env.margin(&unprotected).active()[1].borrow_shares, 7_000_000_000);
    // Out of the band after the step: the next pass leaves it.
    let stepped = margin_ops::deleverage::deleverage_once(&mut Embedded(&mut m.env.svm), &keeper, &mut |l| {
        log.push(l.to_string())
    })
    .unwrap();
    assert!(stepped.is_empty(), "{log:?}");
}
