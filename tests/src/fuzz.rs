//! Stateful invariant fuzzer: random sequences of user, keeper, liquidator and
//! admin actions plus price and clock moves, run against the real program in the
//! SVM through the client crate, with the protocol's invariants checked after
//! every step. Deterministic from a seed; a failure reports the seed, the step and
//! the action log so it replays exactly (`cargo run -p margin-tests --bin fuzz --
//! --seed S --steps N`).

use std::collections::HashMap;

use margin_client::{
    health::{health_account_metas, offchain_health, positions_after},
    instructions::{self, RepayAmount, WithdrawAmount},
    pda::PoolKeys,
};
use margin_interface::{
    fixed,
    health::{ALL_LEVELS},
    state::PoolStatus,
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::{Keypair, Signer}};

use crate::{usd_price, Env, Feed};

/// xorshift64*: the fuzzer's only source of randomness.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct User {
    key: Keypair,
    accounts: Vec<Pubkey>,
    wallets: Vec<Pubkey>,
}

/// A failed invariant with what is needed to replay it.
#[derive(Debug)]
pub struct Violation {
    pub seed: u64,
    pub step: usize,
    pub message: String,
    pub log: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "invariant broken at step {} (seed {}): {}", self.step, self.seed, self.message)?;
        writeln!(f, "replay: cargo run -p margin-tests --bin fuzz -- --seed {} --steps {}", self.seed, self.step + 1)?;
        for line in self.log.iter().rev().take(25).rev() {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub steps: usize,
    pub landed: usize,
    pub failed: usize,
    pub liquidations: usize,
    pub bad_debt: usize,
    pub by_action: HashMap<&'static str, (usize, usize)>,
}

struct World {
    env: Env,
    pools: Vec<PoolKeys>,
    usd: Vec<f64>,
    users: Vec<User>,
    /// Every margin account, for share sums.
    margins: Vec<Pubkey>,
}

impl World {
    fn new(rng: &mut Rng) -> Self {
        let mut env = Env::new();
        let specs = [(9u8, 100.0, Feed::Pull), (8, 50_000.0, Feed::Legacy), (6, 1.0, Feed::Pull)];
        let mut pools = Vec::new();
        let mut usd = Vec::new();
        for (decimals, price, feed) in specs {
            pools.push(env.add_priced_pool(decimals, price, feed));
            usd.push(price);
        }
        let mut users = Vec::new();
        let mut margins = Vec::new();
        for u in 0..6 {
            let key = env.user();
            let wallets: Vec<Pubkey> = pools
                .iter()
                .enumerate()
                .map(|(i, p)| env.token_account(p, &key.pubkey(), [1_000_000_000_000u64, 100_000_000_000, 10_000_000_000_000][i]))
                .collect();
            let cross = env.open_cross(&key, 0);
            let c = rng.below(3) as usize;
            let d = (c + 1 + rng.below(2) as usize) % 3;
            let (collateral, debt) = (pools[c], pools[d]);
            let isolated = env.open_isolated(&key, 1, &collateral, &debt);
            margins.extend([cross, isolated]);
            let _ = u;
            users.push(User { key, accounts: vec![cross, isolated], wallets });
        }
        Self { env, pools, usd, users, margins }
    }

    /// Every account whose bytes must survive a failed transaction unchanged.
    fn watched(&self) -> Vec<Pubkey> {
        let mut keys: Vec<Pubkey> = self.pools.iter().flat_map(|p| [p.pool, p.vault]).collect();
        keys.extend(self.margins.iter().copied());
        for user in &self.users {
            keys.extend(user.wallets.iter().copied());
        }
        keys
    }

    fn health_metas(&mut self, margin: &Pubkey, extra: Option<&Pubkey>) -> Vec<solana_sdk::instruction::AccountMeta> {
        let account = self.env.margin(margin);
        let positions = positions_after(&account, extra);
        health_account_metas(&positions, |pool| self.env.oracles[pool].account)
    }

    fn health(&mut self, margin: &Pubkey) -> Option<margin_interface::health::Health> {
        let account = self.env.margin(margin);
        let mut fetched = HashMap::new();
        for position in account.active() {
            let pool = Pubkey::new_from_array(position.pool);
            let oracle = self.env.oracles[&pool].account;
            for key in [pool, oracle] {
                fetched.insert(key, self.env.svm.account(&key)?);
            }
        }
        let oracles = self.env.oracles.clone();
        offchain_health(&account, &fetched, |p| oracles[p].account, self.env.svm.now(), ALL_LEVELS).ok()
    }

    fn supply(&mut self, pool: usize) -> u128 {
        let mint = self.pools[pool].mint;
        let vault = self.pools[pool].vault;
        let wallets = self.env.token_accounts_of(&mint);
        wallets.iter().map(|w| self.env.svm.token_balance(w) as u128).sum::<u128>() + self.env.svm.token_balance(&vault) as u128
    }
}

/// One random action: a name, the instruction, its signer, and the account it
/// targets (for per-action invariants).
struct Action {
    name: &'static str,
    ix: Option<Instruction>,
    signer: Option<Keypair>,
    subject: Option<Pubkey>,
}

fn pick(world: &mut World, rng: &mut Rng) -> Action {
    let u = rng.below(world.users.len() as u64) as usize;
    let owner = world.users[u].key.insecure_clone();
    let use_isolated = rng.below(3) == 0;
    let margin = world.users[u].accounts[use_isolated as usize];
    let kind = rng.below(100);
    // Isolated accounts mostly act on their own pools (collateral for deposits,
    // debt for borrows); sometimes on a random one, to exercise the refusals.
    let p = if use_isolated && rng.below(8) != 0 {
        let account = world.env.margin(&margin);
        let slot = if (32..=59).contains(&kind) { 1 } else { 0 };
        world.pools.iter().position(|k| k.pool.to_bytes() == account.positions[slot].pool).unwrap()
    } else {
        rng.below(3) as usize
    };
    let keys = world.pools[p];
    let wallet = world.users[u].wallets[p];
    let scale = [10_000_000_000u64, 1_000_000_000, 1_000_000_000][p];
    let mut amount = 1 + rng.below(scale) >> rng.below(12);
    if (32..=49).contains(&kind) {
        // Borrow around the Initial limit: 30%..120% of what health allows.
        if let Some(health) = world.health(&margin) {
            let decimals = [9, 8, 6][p];
            let room_usd = margin_client::health::to_usd(health.initial).max(0.0);
            let units = room_usd / (world.usd[p] * 1.1) * 10f64.powi(decimals);
            amount = (units * (0.3 + rng.below(90) as f64 / 100.0)) as u64 + 1;
        }
    }
    let (name, ix) = match kind {
        0..=19 => ("deposit", Some(instructions::deposit(&owner.pubkey(), &margin, &keys, &wallet, amount))),
        20..=31 => {
            let how = if rng.below(3) == 0 { WithdrawAmount::All } else { WithdrawAmount::Exact(amount) };
            let metas = world.health_metas(&margin, None);
            ("withdraw", Some(instructions::withdraw_with_health(&owner.pubkey(), &margin, &keys, &wallet, how, &metas)))
        }
        32..=49 => {
            let metas = world.health_metas(&margin, Some(&keys.pool));
            ("borrow", Some(instructions::borrow(&owner.pubkey(), &margin, &keys, &wallet, amount / 4 + 1, &metas)))
        }
        50..=59 => {
            let how = if rng.below(2) == 0 { RepayAmount::All } else { RepayAmount::Exact(amount / 8 + 1) };
            ("repay", Some(instructions::repay(&owner.pubkey(), &margin, &keys, &wallet, how)))
        }
        60..=64 => {
            let other = world.users[u].accounts.iter().copied().find(|a| *a != margin).unwrap();
            let metas = world.health_metas(&margin, None);
            let how = if rng.below(2) == 0 { WithdrawAmount::All } else { WithdrawAmount::Exact(amount) };
            ("transfer_collateral", Some(instructions::transfer_collateral(&owner.pubkey(), &margin, &other, &world.env.group, &keys.pool, how, &metas)))
        }
        65..=76 => {
            // A liquidator (another user, on its cross account) picks a victim,
            // preferring unhealthy accounts.
            let others: Vec<Pubkey> = world.users.iter().enumerate().filter(|(i, _)| *i != u).flat_map(|(_, user)| user.accounts.clone()).collect();
            let unhealthy: Vec<Pubkey> = others.iter().copied().filter(|m| world.health(m).is_some_and(|h| h.maintenance < 0)).collect();
            let pool_of = if unhealthy.is_empty() || rng.below(5) == 0 { &others } else { &unhealthy };
            let victim = pool_of[rng.below(pool_of.len() as u64) as usize];
            let account = world.env.margin(&victim);
            let assets: Vec<usize> = account.active().iter().filter(|p| p.deposit_shares > 0).map(|p| world.pools.iter().position(|k| k.pool.to_bytes() == p.pool).unwrap()).collect();
            let debts: Vec<usize> = account.active().iter().filter(|p| p.borrow_shares > 0).map(|p| world.pools.iter().position(|k| k.pool.to_bytes() == p.pool).unwrap()).collect();
            if assets.is_empty() || debts.is_empty() {
                return Action { name: "liquidate", ix: None, signer: None, subject: None };
            }
            let asset = world.pools[assets[rng.below(assets.len() as u64) as usize]];
            let liability_index = debts[rng.below(debts.len() as u64) as usize];
            let liability = world.pools[liability_index];
            let metas = world.health_metas(&victim, None);
            let source = world.users[u].wallets[liability_index];
            let max = if rng.below(2) == 0 { u64::MAX } else { amount };
            let ix = instructions::liquidate(&owner.pubkey(), &world.users[u].accounts[0], &victim, &asset, &liability, &source, max, &metas, &[]);
            return Action { name: "liquidate", ix: Some(ix), signer: Some(owner), subject: Some(victim) };
        }
        77..=82 => ("accrue_interest", Some(instructions::accrue_interest(&keys.pool))),
        83..=90 => {
            // Price move: -30% .. +20%.
            let factor = 0.7 + rng.below(51) as f64 / 100.0;
            world.usd[p] = (world.usd[p] * factor).max(1e-3);
            let now = world.env.svm.now();
            world.env.set_price(&keys, usd_price(world.usd[p], now));
            ("price_move", None)
        }
        91..=95 => {
            world.env.svm.advance_time(1 + rng.below(30 * 86_400) as i64);
            world.env.refresh_prices();
            ("clock_move", None)
        }
        _ => {
            let status = [PoolStatus::Active, PoolStatus::Active, PoolStatus::Active, PoolStatus::ReduceOnly, PoolStatus::Paused][rng.below(5) as usize];
            let admin = world.env.admin.insecure_clone();
            let ix = instructions::set_pool_status(&admin.pubkey(), &world.env.group, &keys.pool, status);
            return Action { name: "admin_status", ix: Some(ix), signer: Some(admin), subject: None };
        }
    };
    Action { name, ix, signer: Some(owner), subject: Some(margin) }
}

/// Runs `steps` random steps from `seed`, checking every invariant after each.
pub fn run(seed: u64, steps: usize) -> Result<Report, Violation> {
    let mut rng = Rng::new(seed);
    let mut world = World::new(&mut rng);
    let mut report = Report::default();
    let mut log = Vec::new();
    let supply: Vec<u128> = (0..3).map(|p| world.supply(p)).collect();
    let mut touched = [0u128; 3];
    let mut previous_values: Vec<(u128, u128)> = (0..3).map(|p| { let pool = world.env.pool(&world.pools[p]); (pool.deposit_share_value(), pool.borrow_share_value()) }).collect();
    let fail = |step: usize, message: String, log: &Vec<String>| Violation { seed, step, message, log: log.clone() };

    for step in 0..steps {
        report.steps += 1;
        let action = pick(&mut world, &mut rng);
        log.push(format!("{step}: {}{}", action.name, action.subject.map(|s| format!(" on {s}")).unwrap_or_default()));
        let Some(ix) = action.ix.clone() else { continue };
        let touches: Vec<usize> = (0..3)
            .filter(|&p| ix.accounts.iter().any(|m| m.pubkey == world.pools[p].pool && m.is_writable))
            .collect();
        let health_before = match (action.name, action.subject) {
            ("liquidate", Some(victim)) => {
                // The keeper brings every pool up to date first, so "before" and
                // "after" see the same interest (the program compares after accrual).
                for p in 0..3 {
                    let crank = instructions::accrue_interest(&world.pools[p].pool);
                    world.env.svm.process(&[crank], &[]).map_err(|f| fail(step, format!("accrue failed: {f}"), &log))?;
                }
                world.health(&victim)
            }
            _ => None,
        };
        let watched = world.watched();
        let before: Vec<_> = watched.iter().map(|k| world.env.svm.account(k)).collect();
        let signer = action.signer.as_ref().map(|k| vec![k]).unwrap_or_default();
        let outcome = world.env.svm.process(&[ix], &signer);
        let entry = report.by_action.entry(action.name).or_default();
        match outcome {
            Err(failure) => {
                entry.1 += 1;
                report.failed += 1;
                log.last_mut().unwrap().push_str(&format!(" -> failed: {failure}"));
                // A failed transaction changes nothing.
                for (key, b) in watched.iter().zip(&before) {
                    if &world.env.svm.account(key) != b {
                        return Err(fail(step, format!("failed {} changed account {key}", action.name), &log));
                    }
                }
                continue;
            }
            Ok(_) => {
                entry.0 += 1;
                report.landed += 1;
            }
        }
        for p in touches {
            touched[p] += 1;
        }

        // No user action leaves its account below Initial health.
        if matches!(action.name, "withdraw" | "borrow" | "transfer_collateral") {
            let margin = action.subject.unwrap();
            if let Some(health) = world.health(&margin) {
                if health.initial < 0 && world.env.margin(&margin).active().iter().any(|p| p.borrow_shares > 0) {
                    return Err(fail(step, format!("{} left {margin} below initial health", action.name), &log));
                }
            }
        }
        // No liquidation leaves health worse; bankrupt accounts are written off.
        if action.name == "liquidate" {
            report.liquidations += 1;
            let victim = action.subject.unwrap();
            if let (Some(before), Some(after)) = (health_before, world.health(&victim)) {
                if after.maintenance <= before.maintenance {
                    return Err(fail(step, format!("liquidation of {victim} did not improve health"), &log));
                }
            }
            let account = world.env.margin(&victim);
            if account.active().iter().all(|p| p.deposit_shares == 0) {
                for position in account.active().to_vec() {
                    if position.borrow_shares > 0 {
                        let ix = instructions::resolve_bad_debt(&victim, &world.env.group, &Pubkey::new_from_array(position.pool));
                        world.env.svm.process(&[ix], &[]).map_err(|f| fail(step, format!("resolve_bad_debt failed: {f}"), &log))?;
                        report.bad_debt += 1;
                        log.push(format!("{step}: resolve_bad_debt on {victim}"));
                    }
                }
            }
        }
        check_books(&mut world, &supply, &touched, &mut previous_values, action.name == "liquidate")
            .map_err(|message| fail(step, message, &log))?;
    }
    Ok(report)
}

/// Pool-level invariants after a landed step.
fn check_books(world: &mut World, supply: &[u128], touched: &[u128; 3], previous: &mut [(u128, u128)], bad_debt_possible: bool) -> Result<(), String> {
    for p in 0..3 {
        let keys = world.pools[p];
        let pool = world.env.pool(&keys);
        // Token conservation across every holder.
        let now_supply = world.supply(p);
        if now_supply != supply[p] {
            return Err(format!("pool {p}: tokens not conserved ({now_supply} vs {})", supply[p]));
        }
        // Sum of account shares equals the pool totals.
        let (mut deposits, mut borrows) = (0u128, 0u128);
        for margin in world.margins.clone() {
            for position in world.env.margin(&margin).active() {
                if position.pool == keys.pool.to_bytes() {
                    deposits += position.deposit_shares as u128;
                    borrows += position.borrow_shares as u128;
                }
            }
        }
        if deposits != pool.total_deposit_shares as u128 || borrows != pool.total_borrow_shares as u128 {
            return Err(format!("pool {p}: shares {deposits}/{borrows} vs totals {}/{}", pool.total_deposit_shares, pool.total_borrow_shares));
        }
        // Vault >= deposits - debt + fees + insurance, within one unit per operation.
        let vault = world.env.svm.token_balance(&keys.vault) as i128;
        let fees = (fixed::load(&pool.protocol_fees) >> 64) as i128 + (fixed::load(&pool.insurance_fund) >> 64) as i128;
        let debt = pool.total_debt().map_err(|e| e.to_string())? as i128;
        let books = pool.total_deposits().map_err(|e| e.to_string())? as i128 - debt + fees;
        if vault + (touched[p] as i128 + 2) < books {
            return Err(format!("pool {p}: vault {vault} below books {books}"));
        }
        // Debt never exceeds what depositors and fee buckets hold claims on.
        if debt > pool.total_deposits().unwrap_or(0) as i128 + fees + touched[p] as i128 + 2 {
            return Err(format!("pool {p}: debt {debt} above deposits plus fees"));
        }
        // Share values move only up, except deposits after a bad-debt write-off.
        let (deposit_value, borrow_value) = (pool.deposit_share_value(), pool.borrow_share_value());
        if borrow_value < previous[p].1 || (deposit_value < previous[p].0 && !bad_debt_possible) {
            return Err(format!("pool {p}: share value went down"));
        }
        previous[p] = (deposit_value, borrow_value);
    }
    // Zero collateral implies zero debt (bankrupt accounts were just written off).
    for margin in world.margins.clone() {
        let account = world.env.margin(&margin);
        if account.active().iter().all(|p| p.deposit_shares == 0) && account.active().iter().any(|p| p.borrow_shares > 0) {
            return Err(format!("{margin} has debt and no collateral outside the bad-debt path"));
        }
    }
    Ok(())
}
