//! Security review of the flash loans (commit a561b5b) and the capital-less
//! liquidator bot built on them. Each test asserts the SAFE behaviour, so it
//! fails while the weakness it demonstrates is present.

use margin_ops::{
    bots::{self, Attempt, BotError, Chain, Embedded, Liquidator, OracleBook},
    router::{Router, Sale},
};
use margin_tests::{
    flash::{FixtureRouter, FlashMarket},
    Liquidator as Keeper,
};
use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
    signature::Keypair,
    signer::Signer,
};

/// 50 SOL the bot already holds (e.g. the profit of earlier liquidations whose
/// debt was SOL) in the token account it names for the SOL mint.
const OWN_SOL: u64 = 50_000_000_000;
/// 1,000 USDC the bot already holds (earlier profit) in its USDC wallet.
const OWN_USDC: u64 = 1_000_000_000;

/// The capital-less bot of `m.liquidator` with `$router`, naming `$sol_wallet`
/// for SOL (a macro: the bot borrows fields of `m` the test keeps mutating).
macro_rules! bot_for {
    ($m:expr, $sol_wallet:expr, $router:expr) => {
        Liquidator {
            wallets: [($m.usdc.mint, $m.usdc_wallet), ($m.sol.mint, $sol_wallet)].into_iter().collect(),
            oracles: OracleBook { feeds: $m.env.oracles.values().map(|o| (o.address, o.account)).collect() },
            router: Some($router),
            ..Liquidator::new(&$m.liquidator, $m.liquidator_margin)
        }
    };
}

/// SPL Token `Transfer` (tag 3) of `amount` from `source` to `destination`.
fn token_transfer(program: Pubkey, source: Pubkey, destination: Pubkey, authority: Pubkey, amount: u64) -> Instruction {
    let mut data = vec![3];
    data.extend_from_slice(&amount.to_le_bytes());
    Instruction {
        program_id: program,
        accounts: vec![
            AccountMeta::new(source, false),
            AccountMeta::new(destination, false),
            AccountMeta::new_readonly(authority, true),
        ],
        data,
    }
}

/// A lost race the program lets land: a competitor liquidates part of the victim
/// between the bot's planning and its transaction, so `liquidate` (capped at the
/// program's new plan) seizes less than the bot planned to sell. `withdraw All`
/// plus an exact-in sale of the *planned* amount then sells the bot's own SOL,
/// with only `min_out = owed` as protection (no bound on what was seized): a
/// sandwich of the venue takes the rest, and the bot ends poorer than it started.
#[test]
fn review_capital_less_bot_never_sells_collateral_it_did_not_seize() {
    let mut m = FlashMarket::new();
    let liquidator = m.liquidator.insecure_clone();
    let own_sol_wallet = m.env.token_account(&m.sol, &liquidator.pubkey(), OWN_SOL);
    let router = m.router();
    let bot = bot_for!(m, own_sol_wallet, &router);

    // 1. The bot plans: repay 3,500 USDC, sell the ~46.5 SOL it expects to seize.
    let mut lines = Vec::new();
    let planned =
        bots::find_liquidations(&mut Embedded(&mut m.env.svm), &bot, &mut |l| lines.push(l.to_string())).expect("plan");
    assert_eq!(planned.len(), 1, "{}", lines.join("\n"));

    // 2. A competitor lands first with a partial liquidation (2,000 USDC): the
    //    victim stays liquidatable, the program's plan for the bot shrinks.
    let competitor = Keeper::new(&mut m.env, &[m.usdc]);
    let (victim, sol, usdc) = (m.victim, m.sol, m.usdc);
    let ix = competitor.ix(&mut m.env, &victim, &sol, &usdc, 2_000_000_000);
    m.env.svm.process(&[ix], &[&competitor.key]).expect("competitor's partial liquidation");

    // 3. A sandwicher sells SOL into the venue so the bot's sale pays just the
    //    owed amount (its min_out) and nothing more.
    let owed: u64 = 3_500_000_000;
    let planned_sale = 46_541_250_000u64;
    let front = {
        // Largest SOL sale into the venue that still leaves quote(planned_sale) >= owed.
        let (mut lo, mut hi) = (0u64, 10_000_000_000_000u64);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let r_in = m.env.svm.token_balance(&m.route.vault_in) + mid;
            let r_out = m.env.svm.token_balance(&m.route.vault_out)
                - margin_sim::swap::quote(
                    mid,
                    m.env.svm.token_balance(&m.route.vault_in),
                    m.env.svm.token_balance(&m.route.vault_out),
                );
            if margin_sim::swap::quote(planned_sale, r_in, r_out) > owed + 1_000_000 {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    };
    let sandwicher = m.env.user();
    let s_sol = m.env.token_account(&m.sol, &sandwicher.pubkey(), front);
    let s_usdc = m.env.token_account(&m.usdc, &sandwicher.pubkey(), 0);
    let ix = m.route.swap(&sandwicher.pubkey(), &s_sol, &s_usdc, front, 0);
    m.env.svm.process(&[ix], &[&sandwicher]).expect("front-run");

    // 4. The bot sends what it planned.
    let sol_price = 80.0;
    let usdc_wallet = m.usdc_wallet;
    macro_rules! value {
        () => {
            m.env.svm.token_balance(&usdc_wallet) as f64 / 1e6
                + m.env.svm.token_balance(&own_sol_wallet) as f64 / 1e9 * sol_price
        };
    }
    let before = value!();
    let attempts =
        bots::execute(&mut Embedded(&mut m.env.svm), &bot, planned, &mut |l| lines.push(l.to_string())).expect("pass");
    let after = value!();
    let sol_left = m.env.svm.token_balance(&own_sol_wallet);
    println!(
        "attempts {attempts:?}; bot SOL {OWN_SOL} -> {sol_left}; value ${before:.2} -> ${after:.2}\n{}",
        lines.join("\n")
    );
    // Safe: the bot only ever sells what it seized in that transaction (or the
    // transaction fails), so its own SOL stays and it never ends poorer.
    assert!(sol_left >= OWN_SOL, "the bot sold {} units of its own SOL", OWN_SOL - sol_left);
    assert!(after >= before, "the bot lost ${:.2}", before - after);
}

/// The router's instructions run signed by the bot, inside the bot's flash
/// (health checks off), and the bot checks nothing about them: not the
/// programs, not which accounts the bot's signature authorises, not the
/// balances after. A router that returns the sale plus one more transfer (a
/// compromised aggregator API, a buggy integration) empties the bot's wallet.
#[test]
fn review_router_instructions_cannot_spend_the_bots_other_funds() {
    struct Skimming {
        honest: FixtureRouter,
        token_program: Pubkey,
        thief: Pubkey,
    }
    impl Router for Skimming {
        // It even declares the token program: the bot never lets a route call
        // it directly.
        fn programs(&self) -> Vec<Pubkey> {
            let mut programs = self.honest.programs();
            programs.push(self.token_program);
            programs
        }
        fn quote(&self, chain: &mut dyn Chain, sale: &Sale) -> Result<Option<u64>, BotError> {
            self.honest.quote(chain, sale)
        }
        fn swap(
            &self,
            owner: &Pubkey,
            sale: &Sale,
            source: &Pubkey,
            destination: &Pubkey,
            min_out: u64,
        ) -> Vec<Instruction> {
            let mut steps = self.honest.swap(owner, sale, source, destination, min_out);
            // After the sale the destination holds the bot's savings plus the proceeds;
            // the bot still repays `owed` from it, so take exactly the savings.
            steps.push(token_transfer(self.token_program, *destination, self.thief, *owner, OWN_USDC));
            steps
        }
    }

    let mut m = FlashMarket::new();
    let liquidator = m.liquidator.insecure_clone();
    // The bot's USDC wallet holds earlier profit.
    let usdc_wallet = m.env.token_account(&m.usdc, &liquidator.pubkey(), OWN_USDC);
    m.usdc_wallet = usdc_wallet;
    let thief_owner = Keypair::new();
    let thief = m.env.token_account(&m.usdc, &thief_owner.pubkey(), 0);
    let router = Skimming { honest: m.router(), token_program: m.usdc.token_program, thief };
    let sol_wallet = m.sol_wallet;
    let bot = bot_for!(m, sol_wallet, &router);
    let mut lines = Vec::new();
    let attempts =
        bots::liquidator_once(&mut Embedded(&mut m.env.svm), &bot, &mut |l| lines.push(l.to_string())).expect("a pass");
    let stolen = m.env.svm.token_balance(&thief);
    println!("{attempts:?}\n{}", lines.join("\n"));
    let landed = matches!(attempts.as_slice(), [Attempt::Liquidated { .. }]);
    assert!(lines.iter().any(|l| l.contains("may not call")), "the route is refused for calling the token program");
    // Safe: an instruction from the router that moves anything but the sale's
    // input never runs under the bot's signature (the bot refuses the route, or
    // checks balances and aborts).
    assert_eq!(stolen, 0, "the router took {stolen} units of the bot's USDC (liquidation landed: {landed})");
    assert!(m.env.svm.token_balance(&usdc_wallet) >= OWN_USDC);
}

/// Capital-less repays are sized by the debt pool's idle liquidity only; the
/// flash `borrow` also answers to the pool's borrow cap. A debt pool at (or
/// near) its cap — the pools whose risk the admin is already limiting — can
/// then never be liquidated by the capital-less bot: every pass builds a
/// borrow over the cap, the transaction fails, the bot pays and moves on.
#[test]
fn review_capital_less_bot_sizes_the_flash_borrow_within_the_borrow_cap() {
    let mut m = FlashMarket::new();
    let usdc = m.usdc;
    let debt = m.env.pool(&usdc).total_debt().expect("debt");
    // 200 USDC of borrowing room left under the cap.
    let cap = u64::try_from(debt).expect("u64") + 200_000_000;
    m.env.write_pool(&usdc, |pool| pool.config.borrow_cap = cap);
    let router = m.router();
    let sol_wallet = m.sol_wallet;
    let bot = bot_for!(m, sol_wallet, &router);
    let mut lines = Vec::new();
    let attempts =
        bots::liquidator_once(&mut Embedded(&mut m.env.svm), &bot, &mut |l| lines.push(l.to_string())).expect("a pass");
    // Safe: the bot borrows what the cap allows (200 USDC, still profitable) and liquidates.
    assert!(matches!(attempts.as_slice(), [Attempt::Liquidated { .. }]), "{attempts:?}\n{}", lines.join("\n"));
}

/// A bot account that already lends in the debt pool (collateral it seized and
/// kept in capital mode, `keep_positions`, before switching to capital-less) can
/// never flash-borrow that token: `borrow` refuses a position holding a deposit
/// (`DepositOutstanding`). The bot neither withdraws it first nor skips the
/// pair, so every pass fails the same way and the victim stays unliquidated.
#[test]
fn review_capital_less_bot_is_not_blocked_by_its_own_deposit_in_the_debt_pool() {
    let mut m = FlashMarket::new();
    let liquidator = m.liquidator.insecure_clone();
    let (usdc, margin) = (m.usdc, m.liquidator_margin);
    let savings = m.env.token_account(&usdc, &liquidator.pubkey(), 10_000_000);
    m.env.deposit(&liquidator, &margin, &usdc, &savings, 10_000_000).expect("the bot's USDC deposit");
    let router = m.router();
    let sol_wallet = m.sol_wallet;
    let bot = bot_for!(m, sol_wallet, &router);
    let mut lines = Vec::new();
    let attempts =
        bots::liquidator_once(&mut Embedded(&mut m.env.svm), &bot, &mut |l| lines.push(l.to_string())).expect("a pass");
    // Safe: the bot clears (or works around) its deposit and liquidates.
    assert!(matches!(attempts.as_slice(), [Attempt::Liquidated { .. }]), "{attempts:?}\n{}", lines.join("\n"));
}
