//! The capital-less liquidation a flash loan serves, shared by the flash tests and
//! the compute-unit bench: a liquidator holding no tokens at all opens a flash on
//! its own margin account, borrows the debt token, liquidates, withdraws the
//! seized collateral, sells it on the swap fixture, repays, and closes the flash
//! with a profit, in one transaction.

use margin_client::{
    instructions::{self, RepayAmount, WithdrawAmount},
    pda::PoolKeys,
};
use margin_interface::{
    fixed,
    liquidation::{plan, LiquidationPlan},
    state::Position,
};
use margin_ops::{
    bots::{BotError, Chain},
    router::{Router, Sale},
};
use margin_sim::swap::{self, SwapRoute};
use solana_sdk::{
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

use crate::{Env, Feed};

/// SOL reserve of the swap venue (native units): 10,000 SOL.
pub const VENUE_SOL: u64 = 10_000_000_000_000;
/// USDC reserve of the swap venue: 800,000 USDC (SOL at $80 there too).
pub const VENUE_USDC: u64 = 800_000_000_000;

/// A victim below maintenance and a liquidator with empty wallets.
pub struct FlashMarket {
    pub env: Env,
    pub sol: PoolKeys,
    pub usdc: PoolKeys,
    /// An isolated account: 100 SOL against 7,000 USDC, SOL now at $80.
    pub victim: Pubkey,
    pub liquidator: Keypair,
    /// The liquidator's cross account, empty.
    pub liquidator_margin: Pubkey,
    /// The liquidator's token accounts, both empty.
    pub usdc_wallet: Pubkey,
    pub sol_wallet: Pubkey,
    /// SOL in, USDC out.
    pub route: SwapRoute,
}

impl FlashMarket {
    pub fn new() -> Self {
        let mut env = Env::new();
        let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
        let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
        env.lend(&usdc, 100_000_000_000);
        let owner = env.user();
        let victim = env.open_isolated(&owner, 0, &sol, &usdc);
        let wallet = env.token_account(&sol, &owner.pubkey(), 100_000_000_000);
        env.deposit(&owner, &victim, &sol, &wallet, 100_000_000_000).expect("victim deposit");
        let wallet = env.token_account(&usdc, &owner.pubkey(), 0);
        env.borrow(&owner, &victim, &usdc, &wallet, 7_000_000_000).expect("victim borrow");
        // 100 x 80 x 0.85 = 6,800 < 7,000 x 1.05 = 7,350.
        env.set_usd(&sol, 80.0);

        let liquidator = env.user();
        let liquidator_margin = env.open_cross(&liquidator, 0);
        let usdc_wallet = env.token_account(&usdc, &liquidator.pubkey(), 0);
        let sol_wallet = env.token_account(&sol, &liquidator.pubkey(), 0);

        let (authority, _) = swap::authority();
        let venue_sol = env.svm.create_token_account(&sol.mint, &authority, VENUE_SOL, &sol.token_program);
        let venue_usdc = env.svm.create_token_account(&usdc.mint, &authority, VENUE_USDC, &usdc.token_program);
        let route = SwapRoute { vault_in: venue_sol, vault_out: venue_usdc, token_program: sol.token_program };
        Self { env, sol, usdc, victim, liquidator, liquidator_margin, usdc_wallet, sol_wallet, route }
    }

    /// The program's sizing of a liquidation repaying up to `max_repay` now.
    pub fn plan(&mut self, max_repay: u64) -> LiquidationPlan {
        let (victim, sol, usdc) = (self.victim, self.sol, self.usdc);
        self.env.seizure_input(&victim, &sol, &usdc, max_repay, |input| plan(input).expect("plan"))
    }

    /// SOL (native units) a withdrawal of all `shares` pays now (rounded down).
    pub fn sol_for(&mut self, shares: u64) -> u64 {
        let value = self.env.pool(&self.sol).deposit_share_value();
        u64::try_from(fixed::mul_q64_floor(shares, value).expect("in range")).expect("u64")
    }

    /// USDC the venue pays for `sol` now.
    pub fn quote(&mut self, sol: u64) -> u64 {
        let reserve_in = self.env.svm.token_balance(&self.route.vault_in);
        let reserve_out = self.env.svm.token_balance(&self.route.vault_out);
        swap::quote(sol, reserve_in, reserve_out)
    }

    /// The inner steps of the capital-less liquidation of `planned`: borrow the
    /// repay amount, liquidate, then (with `sell`) withdraw the seized SOL, sell
    /// it and repay the whole debt.
    pub fn steps(&mut self, planned: &LiquidationPlan, sell: bool) -> Vec<Instruction> {
        let owner = self.liquidator.pubkey();
        let (margin, sol, usdc) = (self.liquidator_margin, self.sol, self.usdc);
        let victim_health = self.env.health_metas_after(&self.victim, None);
        let seize = instructions::SeizeAccounts {
            keeper: owner,
            keeper_margin: margin,
            account: self.victim,
            asset: &sol,
            liability: &usdc,
            source: self.usdc_wallet,
            account_health: &victim_health,
            keeper_health: &[],
        };
        let mut steps = vec![
            instructions::borrow(&owner, &margin, &usdc, &self.usdc_wallet, planned.repay, &[]),
            instructions::liquidate_with(&seize, planned.repay),
        ];
        if sell {
            let sol_out = self.sol_for(planned.liquidator_shares);
            let usdc_out = self.quote(sol_out);
            steps.extend([
                instructions::withdraw(&owner, &margin, &sol, &self.sol_wallet, WithdrawAmount::All),
                self.route.swap(&owner, &self.sol_wallet, &self.usdc_wallet, sol_out, usdc_out),
                instructions::repay(&owner, &margin, &usdc, &self.usdc_wallet, RepayAmount::All),
            ]);
        }
        steps
    }

    /// The whole transaction: `flash_begin`, [`FlashMarket::steps`], `flash_end`
    /// (with the liquidator's health accounts as they will stand).
    pub fn transaction(&mut self, planned: &LiquidationPlan, sell: bool) -> Vec<Instruction> {
        let steps = self.steps(planned, sell);
        let end_health = if sell {
            Vec::new()
        } else {
            // Keeping the SOL and the USDC debt: USDC opened first (the borrow).
            let positions =
                [self.usdc, self.sol].map(|keys| Position { pool: keys.pool.to_bytes(), ..Position::default() });
            self.env.health_metas(&positions)
        };
        instructions::flash_wrap(&self.liquidator.pubkey(), &self.liquidator_margin, 0, steps, &end_health)
    }
}

impl FlashMarket {
    /// The fixture venue as a router selling SOL for USDC.
    pub fn router(&self) -> FixtureRouter {
        FixtureRouter { routes: std::collections::HashMap::from([((self.sol.mint, self.usdc.mint), self.route)]) }
    }
}

impl Default for FlashMarket {
    fn default() -> Self {
        Self::new()
    }
}

/// The swap fixture as the liquidator bot's [`Router`]: one fixture pool per
/// (sold mint, bought mint) pair.
pub struct FixtureRouter {
    pub routes: std::collections::HashMap<(Pubkey, Pubkey), SwapRoute>,
}

impl FixtureRouter {
    fn route(&self, sale: &Sale) -> Option<&SwapRoute> {
        self.routes.get(&(sale.from_mint, sale.to_mint))
    }
}

impl Router for FixtureRouter {
    fn programs(&self) -> Vec<Pubkey> {
        vec![swap::SWAP_PROGRAM_ID]
    }

    fn quote(&self, chain: &mut dyn Chain, sale: &Sale) -> Result<Option<u64>, BotError> {
        let Some(route) = self.route(sale) else { return Ok(None) };
        let mut reserve = |vault: &Pubkey| -> Result<u64, BotError> {
            let data = chain.account(vault)?.map(|a| a.data).unwrap_or_default();
            Ok(data.get(64..72).map_or(0, |amount| u64::from_le_bytes(amount.try_into().expect("8 bytes"))))
        };
        let (reserve_in, reserve_out) = (reserve(&route.vault_in)?, reserve(&route.vault_out)?);
        Ok(Some(swap::quote(sale.amount_in, reserve_in, reserve_out)))
    }

    fn swap(
        &self,
        owner: &Pubkey,
        sale: &Sale,
        source: &Pubkey,
        destination: &Pubkey,
        min_out: u64,
    ) -> Vec<Instruction> {
        self.route(sale)
            .map(|route| route.swap(owner, source, destination, sale.amount_in, min_out))
            .into_iter()
            .collect()
    }
}
