//! Stateful invariant fuzzer: random sequences of user, keeper, liquidator and
//! admin actions plus price, oracle-outage and clock moves, run against the real
//! program in the SVM through the client crate, with the protocol's invariants
//! checked after every step. Deterministic from a seed; a failure reports the
//! seed, the step and the action log so it replays exactly (`cargo run -p
//! margin-tests --bin fuzz -- --seed S --steps N`).
//!
//! Actions: deposits (also of 1-10 units, into every pool, the one without an
//! oracle included), withdrawals, borrows near the Initial limit, repays,
//! collateral moves, liquidations, interest cranks, price moves, clock moves and
//! long idle gaps (nobody cranks), oracle outages (stale, halted, too wide), pull
//! updates older than the newest price a pool recorded, admin config changes
//! (loosening at once, tightening after the delay, out of bounds), pool status
//! changes and group pauses.
//!
//! Invariants, after every step:
//! - a refused transaction changes no watched account; tokens are conserved; share
//!   sums match pool totals; vault and debt bounds hold; share values only rise
//!   (deposits may fall by a write-off); no cross account holds the unpriced pool;
//! - no withdraw, borrow or collateral move lands leaving Initial health < 0 (off
//!   chain, same clock, interest projected); a liquidation lands only on an
//!   account with Maintenance < 0 and raises it;
//! - a keeper liquidates every account with Maintenance < 0 (off chain with
//!   `Unpriced::ZeroAll`, as `liquidate` judges it) that has priced collateral,
//!   with no interest crank first: it must land unless it rounds to nothing;
//! - a bankrupt account (Equity < 0) it cannot liquidate is written off, refused
//!   only by an oracle outage on a remaining deposit; one with debt and no
//!   deposits always is;
//! - an older pull update is refused (`OracleOutdated`), a deposit while paused
//!   is not, a borrow or withdrawal while paused never lands;
//! - no admin action changes any account's Equity.

use std::collections::{BTreeMap, HashMap};

use margin_client::{
    health::{health_account_metas, offchain_health_with, positions_after, to_usd, with_collateral_writable},
    instructions::{self, RepayAmount, WithdrawAmount},
    oracle as pyth,
    pda::PoolKeys,
};
use margin_interface::{
    error::MarginError,
    fixed,
    health::{deposit_is_dust, settlement_unit_prices, Health, Unpriced, ALL_LEVELS, STRESS},
    liquidation::{confidence_ratio_bps, plan, seized_asset_weight_bps, LiquidationInput, LiquidationPlan},
    oracle::{is_outage, read_oracle, OraclePrice, PYTH_LEGACY_PROGRAM_ID},
    protection::{in_band, ratio_rose},
    state::{AccountKind, OracleKind, PoolConfig, PoolStatus, Protection, POOL_FLAG_ISOLATED_ONLY},
};
use margin_sim::svm::Failed;
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

use crate::{usd_price, Env, Feed};

/// xorshift64*: the fuzzer's only source of randomness.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The pools: mint decimals and, when priced, the starting USD price and the Pyth
/// format. The last one has no oracle: only isolated accounts may hold it.
const POOLS: [(u8, Option<(f64, Feed)>); 4] =
    [(9, Some((100.0, Feed::Pull))), (8, Some((50_000.0, Feed::Legacy))), (6, Some((1.0, Feed::Pull))), (6, None)];
/// Index of the pool without an oracle.
const UNPRICED: usize = 3;
/// Number of priced pools (indices `0..PRICED`).
const PRICED: usize = 3;
/// Each user's starting balance of each mint.
const USER_WALLET: [u64; 4] = [1_000_000_000_000, 100_000_000_000, 10_000_000_000_000, 1_000_000_000_000];
/// The keeper's balance of each mint: more than any debt can grow to, so a
/// liquidation is never refused for want of tokens.
const KEEPER_WALLET: u64 = 1 << 60;
/// Q64.64 one, as a float (for the f64 estimates only).
const Q64: f64 = fixed::ONE as f64;

struct User {
    key: Keypair,
    /// Cross account first, then isolated ones.
    accounts: Vec<Pubkey>,
    /// One token account per pool.
    wallets: Vec<Pubkey>,
}

/// The fuzzer's own liquidator: a cross account that never borrows (so it needs no
/// health accounts of its own) and a wallet of every mint.
struct Keeper {
    key: Keypair,
    margin: Pubkey,
    wallets: Vec<Pubkey>,
}

/// Why a priced pool's oracle has no usable price.
#[derive(Clone, Copy, Debug)]
enum Outage {
    /// The feed stopped publishing: this last price ages past `max_age_secs`.
    Stale(OraclePrice),
    /// Legacy aggregate status not Trading.
    Halted,
    /// Confidence wider than the pool's limit, in bps of the price.
    Wide(u64),
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
        for line in self.log.iter().rev().take(40).rev() {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub steps: usize,
    /// Transactions that landed / were refused (every sender: users, keeper, admin).
    pub landed: usize,
    pub failed: usize,
    /// Liquidations that landed (users' and the keeper's).
    pub liquidations: usize,
    /// Bad-debt write-offs that landed.
    pub bad_debt: usize,
    /// Per action: (landed, refused).
    pub by_action: BTreeMap<&'static str, (usize, usize)>,
    /// Per action and program error (or runtime error): refusals.
    pub refusals: BTreeMap<(&'static str, String), usize>,
    /// Every step's actions and outcomes.
    pub log: Vec<String>,
    /// Known program issues met (and tolerated, see [`Options::tolerate_known`]).
    pub known: BTreeMap<KnownIssue, usize>,
}

/// How strict a run is.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Program issues this fuzzer found and reported but that are not fixed yet
    /// ([`KnownIssue`]) are counted in [`Report::known`] instead of failing the
    /// run, so long runs can look past them. Off by default: the suite is strict.
    pub tolerate_known: bool,
}

/// Program issues found by this fuzzer, reported, not yet fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KnownIssue {
    /// An account bankrupt at prices that all read, holding priced collateral above
    /// its pool's dust threshold (which may be 0, or below one debt unit's worth)
    /// whose liquidation rounds to nothing (a one-unit repay burns no debt share
    /// once the borrow share value is above one; zero-value shares after a
    /// write-off): neither liquidatable nor resolvable, the bad debt stays.
    BankruptWithUnliquidatableCollateral,
}

struct World {
    env: Env,
    pools: Vec<PoolKeys>,
    feeds: Vec<Option<Feed>>,
    /// Market price of each pool (what its oracle publishes when it can).
    usd: Vec<f64>,
    /// Starting prices: moves stay within 1/100x..100x of them.
    base_usd: Vec<f64>,
    /// Current outage of each pool and the step it ends at.
    outages: Vec<Option<(Outage, usize)>>,
    /// The step the group's pause ends at.
    paused_until: Option<usize>,
    users: Vec<User>,
    keeper: Keeper,
    /// Every margin account (users' and the keeper's), for share sums.
    margins: Vec<Pubkey>,
    /// Every account whose bytes must survive a failed transaction unchanged.
    watched: Vec<Pubkey>,
    /// Landed transactions that wrote each pool (one unit of rounding slack each).
    touched: Vec<u128>,
    /// Whether a write-off landed this step (deposit share values may then fall).
    wrote_off: bool,
    /// Readable names of the margin accounts for logs ("u2.cross", "u2.iso1", "keeper"):
    /// addresses change from run to run, names do not.
    names: HashMap<Pubkey, String>,
}

impl World {
    fn new(rng: &mut Rng) -> Self {
        let mut env = Env::new();
        let (mut pools, mut feeds, mut usd) = (Vec::new(), Vec::new(), Vec::new());
        for (decimals, priced) in POOLS {
            match priced {
                Some((price, feed)) => {
                    pools.push(env.add_priced_pool(decimals, price, feed));
                    usd.push(price);
                }
                None => {
                    pools.push(env.add_unpriced_pool(decimals));
                    usd.push(0.0);
                }
            }
            feeds.push(priced.map(|(_, feed)| feed));
        }
        let mut users = Vec::new();
        let mut margins = Vec::new();
        for u in 0..6 {
            let key = env.user();
            let wallets: Vec<Pubkey> =
                pools.iter().zip(USER_WALLET).map(|(p, amount)| env.token_account(p, &key.pubkey(), amount)).collect();
            let mut accounts = vec![env.open_cross(&key, 0)];
            let c = rng.below(PRICED as u64) as usize;
            let d = (c + 1 + rng.below(2) as usize) % PRICED;
            accounts.push(env.open_isolated(&key, 1, &pools[c], &pools[d]));
            if u < 2 {
                // Collateral without an oracle: it may be deposited but never backs debt.
                let d = rng.below(PRICED as u64) as usize;
                accounts.push(env.open_isolated(&key, 2, &pools[UNPRICED], &pools[d]));
            }
            margins.extend(accounts.iter().copied());
            users.push(User { key, accounts, wallets });
        }
        let keeper_key = env.user();
        let keeper_margin = env.open_cross(&keeper_key, 0);
        let keeper_wallets = pools.iter().map(|p| env.token_account(p, &keeper_key.pubkey(), KEEPER_WALLET)).collect();
        margins.push(keeper_margin);
        let keeper = Keeper { key: keeper_key, margin: keeper_margin, wallets: keeper_wallets };

        let mut watched: Vec<Pubkey> = pools.iter().flat_map(|p| [p.pool, p.vault]).collect();
        watched.extend(margins.iter().copied());
        watched.extend(users.iter().flat_map(|u| u.wallets.iter().copied()));
        watched.extend(keeper.wallets.iter().copied());
        let n = pools.len();
        let mut names: HashMap<Pubkey, String> = users
            .iter()
            .enumerate()
            .flat_map(|(u, user)| {
                user.accounts
                    .iter()
                    .enumerate()
                    .map(move |(a, m)| (*m, if a == 0 { format!("u{u}.cross") } else { format!("u{u}.iso{a}") }))
            })
            .collect();
        names.insert(keeper.margin, "keeper".into());
        Self {
            env,
            pools,
            feeds,
            base_usd: usd.clone(),
            usd,
            outages: vec![None; n],
            paused_until: None,
            users,
            keeper,
            margins,
            watched,
            touched: vec![0; n],
            wrote_off: false,
            names,
        }
    }

    /// The account's name in logs.
    fn name(&self, margin: &Pubkey) -> String {
        self.names.get(margin).cloned().unwrap_or_else(|| margin.to_string())
    }

    fn pool_index(&self, pool: &[u8; 32]) -> usize {
        self.pools.iter().position(|k| k.pool.to_bytes() == *pool).expect("a pool of the world")
    }

    /// The account passed as `pool`'s oracle (any account for the unpriced pool:
    /// the program reports `OracleNotConfigured` whatever it is).
    fn oracle_of(&self, pool: &Pubkey) -> Pubkey {
        self.env.oracles.get(pool).map(|o| o.account).unwrap_or_default()
    }

    fn health_metas(&mut self, margin: &Pubkey, extra: Option<&Pubkey>) -> Vec<AccountMeta> {
        let account = self.env.margin(margin);
        let positions = positions_after(&account, extra);
        let oracles: HashMap<Pubkey, Pubkey> = self.pools.iter().map(|k| (k.pool, self.oracle_of(&k.pool))).collect();
        health_account_metas(&positions, |pool| oracles[pool])
    }

    /// Health accounts for a withdrawal (or collateral move) from `pool`: taking
    /// all of a cross deposit frees its slot before the health check.
    fn health_metas_after_withdraw(&mut self, margin: &Pubkey, pool: &Pubkey, all: bool) -> Vec<AccountMeta> {
        let account = self.env.margin(margin);
        let cross = account.header.kind == AccountKind::Cross as u8;
        let positions: Vec<_> = account
            .active()
            .iter()
            .copied()
            .filter(|p| !(all && cross && p.pool == pool.to_bytes() && p.borrow_shares == 0))
            .collect();
        let oracles: HashMap<Pubkey, Pubkey> = self.pools.iter().map(|k| (k.pool, self.oracle_of(&k.pool))).collect();
        health_account_metas(&positions, |pool| oracles[pool])
    }

    /// Health of `margin` computed off chain at the SVM's clock (interest
    /// projected to now, as the program does), with the given unpriced policy.
    fn health(&mut self, margin: &Pubkey, unpriced: Unpriced) -> Result<Health, MarginError> {
        let account = self.env.margin(margin);
        let oracles: HashMap<Pubkey, Pubkey> = self.pools.iter().map(|k| (k.pool, self.oracle_of(&k.pool))).collect();
        let mut fetched = HashMap::new();
        for position in account.active() {
            let pool = Pubkey::new_from_array(position.pool);
            for key in [pool, oracles[&pool]] {
                let data = self.env.svm.account(&key).unwrap_or_default();
                fetched.insert(key, data);
            }
        }
        offchain_health_with(&account, &fetched, |p| oracles[p], self.env.svm.now(), ALL_LEVELS | STRESS, unpriced)
    }

    /// Equity (ZeroAll) of every account: what admin actions must leave unchanged.
    fn equities(&mut self) -> Vec<Result<i128, MarginError>> {
        self.margins.clone().iter().map(|m| self.health(m, Unpriced::ZeroAll).map(|h| h.equity)).collect()
    }

    /// The price of pool `p` as `resolve_bad_debt` and liquidation settlement read
    /// it now: the configured oracle, validated, then not older than the newest
    /// price the pool recorded.
    fn read_price(&mut self, p: usize) -> Result<OraclePrice, MarginError> {
        let keys = self.pools[p];
        let pool = self.env.pool(&keys);
        let oracle = self.oracle_of(&keys.pool);
        let account = self.env.svm.account(&oracle).unwrap_or_default();
        let price = read_oracle(
            &pool.config.oracle,
            oracle.as_array(),
            account.owner.as_array(),
            &account.data,
            self.env.svm.now(),
        )?;
        if price.publish_time < pool.newest_publish_time {
            return Err(MarginError::OracleOutdated);
        }
        Ok(price)
    }

    /// True when `error` is a stale or too-wide price of a pull-priced pool that
    /// `margin` holds: curable by posting a fresh update, so not an outage.
    fn pull_feed_awaits_update(&mut self, margin: &Pubkey, error: MarginError) -> bool {
        if !matches!(error, MarginError::OracleStale | MarginError::OracleConfidenceTooWide) {
            return false;
        }
        let account = self.env.margin(margin);
        account.active().iter().filter(|p| !p.is_empty()).any(|position| {
            let q = self.pool_index(&position.pool);
            let pull = self.env.pool(&self.pools[q]).config.oracle.kind == OracleKind::PythPull as u8;
            pull && self.read_price(q) == Err(error)
        })
    }

    /// The error the health check (`Unpriced::ZeroDeposits`) of `margin` meets
    /// first, in slot order, when pool `swapped` is priced by an older update:
    /// `OracleOutdated` there, unless an earlier position's oracle fails first (a
    /// debt in an outage, or `extra_debt`, the pool a borrow adds debt to).
    fn first_health_error(&mut self, margin: &Pubkey, swapped: usize, extra_debt: Option<usize>) -> MarginError {
        let account = self.env.margin(margin);
        for position in account.active() {
            if position.is_empty() {
                continue;
            }
            let q = self.pool_index(&position.pool);
            if q == swapped {
                break;
            }
            if let Err(error) = self.read_price(q) {
                let kind = self.env.pool(&self.pools[q]).config.oracle.kind;
                if position.borrow_shares > 0 || extra_debt == Some(q) || !is_outage(error, kind) {
                    return error;
                }
            }
        }
        MarginError::OracleOutdated
    }

    /// Every used position of `margin`, valued at spot as settlement would (an
    /// accrual error would brick the pool: reported as a violation).
    fn legs(&mut self, margin: &Pubkey) -> Result<Vec<Leg>, String> {
        let now = self.env.svm.now();
        let account = self.env.margin(margin);
        let mut legs = Vec::new();
        for position in account.active() {
            if position.is_empty() {
                continue;
            }
            let p = self.pool_index(&position.pool);
            let mut pool = self.env.pool(&self.pools[p]);
            pool.accrue(now).map_err(|e| format!("pool {p}: accrual to now fails: {e:?}"))?;
            let price = self.read_price(p);
            let deposit = position.deposit_shares != 0;
            let amount = if deposit {
                fixed::mul_q64_floor(position.deposit_shares, pool.deposit_share_value())
            } else {
                fixed::mul_q64_ceil(position.borrow_shares, pool.borrow_share_value())
            };
            let amount = amount.map_or(u64::MAX, |a| u64::try_from(a).unwrap_or(u64::MAX));
            let (unit, value, dust, confidence_bps) = match &price {
                Ok(price) => {
                    let (asset, liability) = settlement_unit_prices(&pool, price).unwrap_or((0, 0));
                    let unit = if deposit { asset } else { liability };
                    let dust = deposit && deposit_is_dust(&pool, position.deposit_shares, price).unwrap_or(false);
                    (unit, (amount as u128).saturating_mul(unit), dust, confidence_ratio_bps(price))
                }
                Err(_) => (0, 0, false, 0),
            };
            let (share_value, shares) = if deposit {
                (pool.deposit_share_value(), position.deposit_shares)
            } else {
                (pool.borrow_share_value(), position.borrow_shares)
            };
            legs.push(Leg {
                pool: p,
                deposit,
                amount,
                price: price.map(|_| ()),
                unit,
                value,
                dust,
                share_value,
                shares,
                confidence_bps,
            });
        }
        Ok(legs)
    }

    /// Writes pool `p`'s oracle as the market and its outage say, published now.
    fn publish(&mut self, p: usize) {
        let Some(_) = self.feeds[p] else { return };
        let keys = self.pools[p];
        let price = usd_price(self.usd[p], self.env.svm.now());
        match self.outages[p].map(|(outage, _)| outage) {
            None => self.env.set_price(&keys, price),
            Some(Outage::Stale(frozen)) => self.env.set_price(&keys, frozen),
            Some(Outage::Halted) => {
                self.env.set_price(&keys, price);
                self.env.write_oracle_raw(&keys, pyth::legacy_price_account(&price, 0), PYTH_LEGACY_PROGRAM_ID);
            }
            Some(Outage::Wide(bps)) => {
                let conf = (price.price as u128 * bps as u128 / 10_000) as u64;
                self.env.set_price(&keys, OraclePrice { conf, ema_conf: conf, ..price });
            }
        }
    }

    /// Moves the clock on; every feed not in an outage publishes at the new time.
    fn advance(&mut self, seconds: i64) {
        self.env.svm.advance_time(seconds);
        for p in 0..self.pools.len() {
            self.publish(p);
        }
    }

    fn supply(&mut self, pool: usize) -> u128 {
        let mint = self.pools[pool].mint;
        let vault = self.pools[pool].vault;
        let wallets = self.env.token_accounts_of(&mint);
        wallets.iter().map(|w| self.env.svm.token_balance(w) as u128).sum::<u128>()
            + self.env.svm.token_balance(&vault) as u128
    }

    /// Sends one transaction and books it under `name`. A refusal must leave every
    /// watched account as it was (else the outer `Err`).
    fn send(
        &mut self,
        report: &mut Report,
        name: &'static str,
        ix: Instruction,
        signers: &[&Keypair],
    ) -> Result<Result<(), Failed>, String> {
        self.send_all(report, name, &[ix], signers)
    }

    /// [`World::send`] of several instructions in one transaction.
    fn send_all(
        &mut self,
        report: &mut Report,
        name: &'static str,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Result<(), Failed>, String> {
        let writes: Vec<usize> = (0..self.pools.len())
            .filter(|&p| {
                ixs.iter().flat_map(|ix| &ix.accounts).any(|m| m.pubkey == self.pools[p].pool && m.is_writable)
            })
            .collect();
        let watched = self.watched.clone();
        let before: Vec<_> = watched.iter().map(|k| self.env.svm.account(k)).collect();
        let outcome = self.env.svm.process(ixs, signers);
        let entry = report.by_action.entry(name).or_default();
        match outcome {
            Ok(_) => {
                entry.0 += 1;
                report.landed += 1;
                for p in writes {
                    self.touched[p] += 1;
                }
                Ok(Ok(()))
            }
            Err(failure) => {
                entry.1 += 1;
                report.failed += 1;
                let error = failure.margin_error().map_or_else(|| format!("{:?}", failure.error), |e| format!("{e:?}"));
                *report.refusals.entry((name, error)).or_default() += 1;
                for (key, b) in watched.iter().zip(&before) {
                    if &self.env.svm.account(key) != b {
                        return Err(format!("refused {name} ({failure}) changed account {key}"));
                    }
                }
                Ok(Err(failure))
            }
        }
    }
}

/// One used position valued at spot.
#[derive(Clone, Copy, Debug)]
struct Leg {
    pool: usize,
    deposit: bool,
    /// Native units, interest projected to now.
    amount: u64,
    /// Whether the oracle reads (else the error).
    price: Result<(), MarginError>,
    /// Settlement USD (Q64.64) per native unit; 0 when unpriced.
    unit: u128,
    /// `amount * unit`.
    value: u128,
    /// A priced deposit worth less than its pool's dust threshold.
    dust: bool,
    /// Deposit or borrow share value (Q64.64), accrued to now.
    share_value: u128,
    /// Deposit or borrow shares.
    shares: u64,
    /// `conf / price` (bps) of the price read; 0 when unpriced.
    confidence_bps: u64,
}

/// What a random action expects of the program beyond the generic invariants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Either outcome.
    Any,
    /// Must be refused, with one of these errors.
    RefusedWith(&'static [MarginError]),
}

/// One random transaction: a name, the instructions, its signer, the account it
/// targets (for per-action invariants) and what it must do.
struct Action {
    name: &'static str,
    ixs: Vec<Instruction>,
    signer: Keypair,
    subject: Pubkey,
    expect: Expect,
}

/// A cross account can never hold a pool without an oracle; these are the
/// refusals a deposit there may meet (a status or cap check comes first).
const UNPRICED_CROSS_DEPOSIT: &[MarginError] = &[
    MarginError::OracleNotConfigured,
    MarginError::PoolReduceOnly,
    MarginError::PoolPaused,
    MarginError::ZeroAmount,
    MarginError::DepositCapExceeded,
];

/// A random user transaction, or `None` when the draw has nothing to act on.
fn pick_user_action(world: &mut World, rng: &mut Rng, kind: u64) -> Option<Action> {
    let u = rng.below(world.users.len() as u64) as usize;
    let owner = world.users[u].key.insecure_clone();
    let accounts = world.users[u].accounts.clone();
    let a = if rng.below(3) == 0 { 1 + rng.below(accounts.len() as u64 - 1) as usize } else { 0 };
    let margin = accounts[a];
    let isolated = a != 0;
    let borrowing = (340..500).contains(&kind);
    let dust = (180..230).contains(&kind);
    let repaying = (500..590).contains(&kind);
    let p = match preferred_pool(world, rng, &margin, borrowing, repaying) {
        // Mostly a pool the action makes sense in; sometimes any, to exercise the
        // refusals (dust goes anywhere; other actions rarely pick the unpriced pool).
        Some(p) if !dust && rng.below(8) != 0 => p,
        _ if dust || rng.below(20) == 0 => rng.below(world.pools.len() as u64) as usize,
        _ => rng.below(PRICED as u64) as usize,
    };
    let keys = world.pools[p];
    let wallet = world.users[u].wallets[p];
    let decimals = POOLS[p].0;
    let scale = [10_000_000_000u64, 1_000_000_000, 1_000_000_000, 1_000_000_000][p];
    let mut amount = (1 + rng.below(scale)) >> rng.below(12);
    if borrowing {
        amount = amount / 4 + 1;
        // Borrow around the Initial limit: 30%..120% of what health allows.
        if let Ok(health) = world.health(&margin, Unpriced::ZeroDeposits) {
            let room_usd = to_usd(health.initial).max(0.0);
            let units = room_usd / (world.usd[p].max(1e-9) * 1.1) * 10f64.powi(decimals as i32);
            // f64 -> u64 saturates (and NaN is 0): a huge room cannot overflow.
            amount = ((units * (0.3 + rng.below(90) as f64 / 100.0)) as u64).saturating_add(1);
        }
    }
    let user_ix = |name, ix| {
        Some(Action { name, ixs: vec![ix], signer: owner.insecure_clone(), subject: margin, expect: Expect::Any })
    };
    match kind {
        0..=179 => user_ix("deposit", instructions::deposit(&owner.pubkey(), &margin, &keys, &wallet, amount)),
        180..=229 => {
            // Dust, into any pool: a cross account must not open the unpriced one.
            let amount = 1 + rng.below(10);
            let ix = instructions::deposit(&owner.pubkey(), &margin, &keys, &wallet, amount);
            let expect =
                if !isolated && p == UNPRICED { Expect::RefusedWith(UNPRICED_CROSS_DEPOSIT) } else { Expect::Any };
            Some(Action {
                name: "dust_deposit",
                ixs: vec![ix],
                signer: owner.insecure_clone(),
                subject: margin,
                expect,
            })
        }
        230..=339 => {
            let how = if rng.below(3) == 0 { WithdrawAmount::All } else { WithdrawAmount::Exact(amount) };
            let metas = world.health_metas_after_withdraw(&margin, &keys.pool, how == WithdrawAmount::All);
            user_ix(
                "withdraw",
                instructions::withdraw_with_health(&owner.pubkey(), &margin, &keys, &wallet, how, &metas),
            )
        }
        340..=499 => {
            let metas = world.health_metas(&margin, Some(&keys.pool));
            let metas = with_collateral_writable(metas, &world.env.margin(&margin));
            user_ix("borrow", instructions::borrow(&owner.pubkey(), &margin, &keys, &wallet, amount, &metas))
        }
        500..=589 => {
            let how = if rng.below(2) == 0 { RepayAmount::All } else { RepayAmount::Exact(amount / 8 + 1) };
            let tallied = world.env.margin(&margin).tallied_collateral().map(Pubkey::new_from_array);
            let ix = instructions::repay_tallied(&owner.pubkey(), &margin, &keys, &wallet, how, tallied.as_ref());
            user_ix("repay", ix)
        }
        590..=639 => {
            let others: Vec<Pubkey> = accounts.iter().copied().filter(|m| *m != margin).collect();
            let other = others[rng.below(others.len() as u64) as usize];
            let how = if rng.below(2) == 0 { WithdrawAmount::All } else { WithdrawAmount::Exact(amount) };
            let metas = world.health_metas_after_withdraw(&margin, &keys.pool, how == WithdrawAmount::All);
            let ix = instructions::transfer_collateral(&owner.pubkey(), &margin, &other, &keys, how, &metas);
            user_ix("transfer_collateral", ix)
        }
        690..=704 => {
            // The owner opts in, changes its settings or opts out; sometimes out
            // of bounds (refused with InvalidProtection).
            let protection = match rng.below(4) {
                0 => Protection::default(),
                _ => Protection {
                    threshold_bps: [10_000, 10_500, 11_500, 15_000, 30_001][rng.below(5) as usize],
                    max_fraction_bps: [0, 500, 2_500, 10_000][rng.below(4) as usize],
                    bonus_bps: [0, 50, 150, 151][rng.below(4) as usize],
                    _padding: [0; 2],
                },
            };
            let expect = if protection.validate().is_ok() {
                Expect::Any
            } else {
                Expect::RefusedWith(&[MarginError::InvalidProtection])
            };
            let ix = instructions::set_protection(&owner.pubkey(), &margin, protection);
            Some(Action { name: "set_protection", ixs: vec![ix], signer: owner, subject: margin, expect })
        }
        640..=659 => {
            // A flash loan: a borrow of 30%..150% of the Initial room with no
            // check, sometimes part of it repaid, then flash_end's check.
            let p = preferred_pool(world, rng, &margin, true, false).unwrap_or(p);
            let (keys, wallet) = (world.pools[p], world.users[u].wallets[p]);
            let room = world.health(&margin, Unpriced::ZeroDeposits).map_or(0.0, |h| to_usd(h.initial).max(0.0));
            let units = room / (world.usd[p].max(1e-9) * 1.1) * 10f64.powi(POOLS[p].0 as i32);
            let amount = ((units * (0.3 + rng.below(120) as f64 / 100.0)) as u64).saturating_add(1);
            let metas = world.health_metas(&margin, Some(&keys.pool));
            let account = world.env.margin(&margin);
            // Isolated accounts pass their health accounts to the borrow too (its
            // isolation debt tally reads them); cross accounts need none in a flash.
            let borrow_metas = if account.header.kind == AccountKind::Isolated as u8 {
                with_collateral_writable(metas.clone(), &account)
            } else {
                Vec::new()
            };
            let mut steps = vec![instructions::borrow(&owner.pubkey(), &margin, &keys, &wallet, amount, &borrow_metas)];
            if rng.below(2) == 0 {
                let part = RepayAmount::Exact(amount / 2 + 1);
                // The borrow above may have started a tally: pass the collateral
                // pool of an isolated account whenever its collateral is isolated-only.
                let collateral = (account.header.kind == AccountKind::Isolated as u8)
                    .then(|| Pubkey::new_from_array(account.positions[0].pool));
                let ix =
                    instructions::repay_tallied(&owner.pubkey(), &margin, &keys, &wallet, part, collateral.as_ref());
                steps.push(ix);
            }
            let ixs = instructions::flash_wrap(&owner.pubkey(), &margin, 0, steps, &metas);
            Some(Action { name: "flash", ixs, signer: owner, subject: margin, expect: Expect::Any })
        }
        _ => {
            // Another user liquidates (or deleverages) from its cross account,
            // preferring unhealthy (or protected, in-band) victims (the keeper
            // usually got there first).
            let deleverage = (705..=719).contains(&kind);
            let others: Vec<Pubkey> = world
                .users
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != u)
                .flat_map(|(_, user)| user.accounts.clone())
                .collect();
            let unhealthy: Vec<Pubkey> = others
                .iter()
                .copied()
                .filter(|m| {
                    if deleverage {
                        let protection = world.env.margin(m).header.protection;
                        world.health(m, Unpriced::ZeroDeposits).is_ok_and(|h| in_band(&h, &protection))
                    } else {
                        world.health(m, Unpriced::ZeroAll).is_ok_and(|h| h.maintenance < 0)
                    }
                })
                .collect();
            let candidates = if unhealthy.is_empty() || rng.below(5) == 0 { &others } else { &unhealthy };
            let victim = candidates[rng.below(candidates.len() as u64) as usize];
            let account = world.env.margin(&victim);
            let assets: Vec<usize> =
                account.active().iter().filter(|p| p.deposit_shares > 0).map(|p| world.pool_index(&p.pool)).collect();
            let debts: Vec<usize> =
                account.active().iter().filter(|p| p.borrow_shares > 0).map(|p| world.pool_index(&p.pool)).collect();
            if assets.is_empty() || debts.is_empty() {
                return None;
            }
            let asset = world.pools[assets[rng.below(assets.len() as u64) as usize]];
            let liability_index = debts[rng.below(debts.len() as u64) as usize];
            let liability = world.pools[liability_index];
            let metas = world.health_metas(&victim, None);
            let liquidator_margin = accounts[0];
            // The liquidator's own health accounts after receiving the collateral
            // (checked only when it has debt).
            let liquidator_metas = world.health_metas(&liquidator_margin, Some(&asset.pool));
            let source = world.users[u].wallets[liability_index];
            let max = if rng.below(2) == 0 { u64::MAX } else { amount };
            let accounts = instructions::SeizeAccounts {
                keeper: owner.pubkey(),
                keeper_margin: liquidator_margin,
                account: victim,
                asset: &asset,
                liability: &liability,
                source,
                account_health: &metas,
                keeper_health: &liquidator_metas,
            };
            let (name, ix) = if deleverage {
                ("deleverage", instructions::deleverage(&accounts, max))
            } else {
                ("liquidate", instructions::liquidate_with(&accounts, max))
            };
            Some(Action { name, ixs: vec![ix], signer: owner, subject: victim, expect: Expect::Any })
        }
    }
}

/// The pool a user action on `margin` most sensibly targets: an isolated
/// account's own pool (debt for borrow and repay, else collateral); for a cross
/// account a pool it owes (repay), a priced pool it holds no deposit in (borrow),
/// or one it holds a deposit in (the rest).
fn preferred_pool(world: &mut World, rng: &mut Rng, margin: &Pubkey, borrowing: bool, repaying: bool) -> Option<usize> {
    let account = world.env.margin(margin);
    if account.header.kind == AccountKind::Isolated as u8 {
        return Some(world.pool_index(&account.positions[usize::from(borrowing || repaying)].pool));
    }
    let held = |p: usize, debt: bool| {
        account.active().iter().any(|pos| {
            pos.pool == world.pools[p].pool.to_bytes()
                && if debt { pos.borrow_shares > 0 } else { pos.deposit_shares > 0 }
        })
    };
    let choices: Vec<usize> = if repaying {
        (0..world.pools.len()).filter(|&p| held(p, true)).collect()
    } else if borrowing {
        (0..PRICED).filter(|&p| !held(p, false)).collect()
    } else {
        (0..world.pools.len()).filter(|&p| held(p, false)).collect()
    };
    (!choices.is_empty()).then(|| choices[rng.below(choices.len() as u64) as usize])
}

/// Sends a user action and checks what it must and must not do.
fn run_user_action(world: &mut World, report: &mut Report, log: &mut [String], action: Action) -> Result<(), String> {
    let paused = world.paused_until.is_some();
    let liquidator_margin = action.ixs[0].accounts.get(1).map(|m| m.pubkey);
    let before = match action.name {
        "liquidate" => Some(world.health(&action.subject, Unpriced::ZeroAll)),
        "deleverage" => Some(world.health(&action.subject, Unpriced::ZeroDeposits)),
        _ => None,
    };
    let protection = world.env.margin(&action.subject).header.protection;
    let outcome = world.send_all(report, action.name, &action.ixs, &[&action.signer])?;
    if let Err(failure) = &outcome {
        log.last_mut().expect("logged").push_str(&format!(" -> refused: {failure}"));
    }
    let error = outcome.as_ref().err().and_then(|f| f.margin_error());
    let margin = action.subject;
    let who = world.name(&margin);
    if let Expect::RefusedWith(allowed) = action.expect {
        match error {
            Some(e) if allowed.contains(&e) => {}
            _ => {
                return Err(format!(
                    "{} on {who} should be refused with one of {allowed:?}, got {outcome:?}",
                    action.name
                ))
            }
        }
    }
    // Pausing the group stops what adds risk, never what lowers it.
    match (action.name, paused, &outcome) {
        ("deposit" | "dust_deposit" | "repay" | "transfer_collateral" | "liquidate" | "deleverage", _, Err(_))
            if error == Some(MarginError::GroupPaused) =>
        {
            return Err(format!("{} refused by the group pause", action.name));
        }
        ("borrow" | "withdraw" | "flash", true, Ok(())) => {
            return Err(format!("{} landed while the group is paused", action.name))
        }
        _ => {}
    }
    if outcome.is_err() {
        return Ok(());
    }

    // No user action that can lower health lands with Initial < 0 or the stress
    // scenario < 0 at that clock (interest projected): the off-chain engine must
    // agree both are >= 0.
    // A flash never outlives its transaction.
    let account = world.env.margin(&margin);
    if account.header.flash != 0 {
        return Err(format!("{} left {who} inside a flash", action.name));
    }
    // A borrow against isolated-only collateral stays within its ceiling.
    if matches!(action.name, "borrow" | "flash") && account.header.kind == AccountKind::Isolated as u8 {
        let collateral = world.env.pool(&world.pools[world.pool_index(&account.positions[0].pool)]);
        let ceiling = collateral.config.isolated_debt_ceiling_micro_usd;
        let tallied = collateral.config.flags & POOL_FLAG_ISOLATED_ONLY != 0;
        if tallied && ceiling != 0 && collateral.isolated_debt_micro_usd > ceiling {
            return Err(format!(
                "{} on {who} took the isolation tally to {} past the ceiling {ceiling}",
                action.name, collateral.isolated_debt_micro_usd
            ));
        }
    }
    if matches!(action.name, "withdraw" | "borrow" | "transfer_collateral" | "flash") && has_debt(world, &margin) {
        match world.health(&margin, Unpriced::ZeroDeposits) {
            Ok(health) if health.initial >= 0 && health.stress >= 0 => {}
            other => {
                return Err(format!("{} landed leaving {who} with debt and Initial health {other:?}", action.name))
            }
        }
    }
    if action.name == "deleverage" {
        // Only an opted-in account inside its band, and its health ratio rises.
        let before = before.expect("measured");
        let after = world.health(&margin, Unpriced::ZeroDeposits);
        match (&before, &after) {
            (Ok(b), Ok(a)) if in_band(b, &protection) && ratio_rose(b, a) => {}
            _ => {
                return Err(format!(
                    "deleverage of {who} ({protection:?}) landed: health before {before:?}, after {after:?}"
                ))
            }
        }
    }
    if matches!(action.name, "liquidate" | "deleverage") {
        if action.name == "liquidate" {
            report.liquidations += 1;
            // Only an unhealthy account can be liquidated, and only to its benefit.
            let before = before.expect("measured");
            let after = world.health(&margin, Unpriced::ZeroAll);
            match (&before, &after) {
                (Ok(b), Ok(a)) if b.maintenance < 0 && a.maintenance > b.maintenance => {}
                _ => {
                    return Err(format!("liquidation of {who} landed: Maintenance before {before:?}, after {after:?}"))
                }
            }
        }
        // The liquidator's own account keeps Initial >= 0 when it has debt.
        if let Some(liquidator) = liquidator_margin {
            if has_debt(world, &liquidator) {
                match world.health(&liquidator, Unpriced::ZeroDeposits) {
                    Ok(health) if health.initial >= 0 => {}
                    other => {
                        return Err(format!(
                            "liquidation left the liquidator {} with Initial health {other:?}",
                            world.name(&liquidator)
                        ))
                    }
                }
            }
        }
    }
    Ok(())
}

fn has_debt(world: &mut World, margin: &Pubkey) -> bool {
    world.env.margin(margin).active().iter().any(|p| p.borrow_shares > 0)
}

/// A price move of a priced pool: log-symmetric, -30%..+43%, within 1/100x..100x
/// of the start (a -30%..+20% walk drifts to the floor over a long run).
fn price_move(world: &mut World, rng: &mut Rng) -> String {
    let p = rng.below(PRICED as u64) as usize;
    let factor = (0.7f64.ln() * (2.0 * rng.unit() - 1.0)).exp();
    world.usd[p] = (world.usd[p] * factor).clamp(world.base_usd[p] / 100.0, world.base_usd[p] * 100.0);
    world.publish(p);
    format!("price_move pool {p} x{factor:.3} -> ${:.6}", world.usd[p])
}

/// Starts an outage on a priced pool (stale, halted for the legacy feed, or too
/// wide), lasting 5..60 steps.
fn start_outage(world: &mut World, rng: &mut Rng, step: usize) -> String {
    let p = rng.below(PRICED as u64) as usize;
    if world.outages[p].is_some() {
        return format!("oracle_outage pool {p}: already out");
    }
    let until = step + 5 + rng.below(56) as usize;
    let legacy = world.feeds[p] == Some(Feed::Legacy);
    let outage = match rng.below(3) {
        0 => Outage::Stale(world.env.oracles[&world.pools[p].pool].price),
        1 if legacy => Outage::Halted,
        // Wider than the 5% set_oracle allows, up to 50%.
        _ => Outage::Wide(501 + rng.below(4_500)),
    };
    world.outages[p] = Some((outage, until));
    world.publish(p);
    if let Outage::Stale(_) = outage {
        // The last price ages past max_age (60 s) now; the other feeds keep publishing.
        world.advance(61 + rng.below(900) as i64);
    }
    format!("oracle_outage pool {p}: {outage:?} until step {until}")
}

/// Ends the outages due at `step`.
fn end_outages(world: &mut World, step: usize, log: &mut Vec<String>) {
    for p in 0..world.pools.len() {
        if world.outages[p].is_some_and(|(_, until)| until <= step) {
            world.outages[p] = None;
            world.publish(p);
            log.push(format!("{step}: oracle_recovered pool {p}"));
        }
    }
    if world.paused_until.is_some_and(|until| until <= step) {
        let admin = world.env.admin.insecure_clone();
        let ix = instructions::set_group_pause(&admin.pubkey(), &world.env.group, false);
        world.env.svm.process(&[ix], &[&admin]).expect("unpause");
        world.paused_until = None;
        log.push(format!("{step}: group_unpaused"));
    }
}

/// M-2: a pull update older than the newest price the pool recorded, still within
/// max_age, passed instead of the current one. Refused (`OracleOutdated`) whether
/// it prices a health report, a borrow or a liquidation.
fn older_update_attack(world: &mut World, rng: &mut Rng, report: &mut Report) -> Result<String, String> {
    let pulls: Vec<usize> = (0..PRICED).filter(|&p| world.feeds[p] == Some(Feed::Pull)).collect();
    let p = pulls[rng.below(pulls.len() as u64) as usize];
    let keys = world.pools[p];
    // Any account with a balance in the pool (an empty slot's price is never read).
    let holders: Vec<(usize, Pubkey)> =
        world.users.iter().enumerate().flat_map(|(u, user)| user.accounts.iter().map(move |m| (u, *m))).collect();
    let holders: Vec<(usize, Pubkey)> = holders
        .into_iter()
        .filter(|(_, m)| {
            world.env.margin(m).active().iter().any(|pos| pos.pool == keys.pool.to_bytes() && !pos.is_empty())
        })
        .collect();
    if holders.is_empty() {
        return Ok(format!("older_update pool {p}: no holder"));
    }
    let (u, margin) = holders[rng.below(holders.len() as u64) as usize];
    // A keeper first reads the current prices with the pools writable, recording
    // them (it may be refused, e.g. on an unpriced debt: then nothing is recorded).
    let record = writable_pools(world.health_metas(&margin, None));
    let payer = world.env.svm.payer().insecure_clone();
    let _recorded = world.send(report, "record_prices", instructions::health(&margin, &record), &[&payer])?;
    let newest = world.env.pool(&keys).newest_publish_time;
    let now = world.env.svm.now();
    // Older than the newest recorded, within max_age (60 s) of now.
    let publish_time = newest - 1 - rng.below(30) as i64;
    if newest <= 0 || now - publish_time > 60 {
        return Ok(format!("older_update pool {p}: no recent recorded price"));
    }
    let factor = 0.5 + rng.unit();
    let old = usd_price(world.usd[p] * factor, publish_time);
    let setup = world.env.oracles[&keys.pool];
    let old_account = Pubkey::new_unique();
    let data = pyth::price_update_v2(&setup.address, margin_interface::oracle::Verification::Full, &old, 1);
    let owner = Pubkey::new_from_array(margin_interface::oracle::PYTH_RECEIVER_PROGRAM_ID);
    world.env.svm.set_account(&old_account, Account { lamports: 10_000_000, data, owner, ..Account::default() });
    let swap = |ix: Instruction| crate::swap_account(ix, &setup.account, &old_account);

    let account = world.env.margin(&margin);
    let deposit = account.active().iter().find(|pos| pos.deposit_shares > 0).map(|pos| world.pool_index(&pos.pool));
    let debt = account.active().iter().find(|pos| pos.borrow_shares > 0).map(|pos| world.pool_index(&pos.pool));
    let (name, ix, signer, allowed): (&'static str, Instruction, Keypair, Vec<MarginError>) =
        match (rng.below(3), deposit, debt) {
            (0, Some(asset), Some(liability)) => {
                let metas = world.health_metas(&margin, None);
                let keeper = &world.keeper;
                let ix = instructions::liquidate(
                    &keeper.key.pubkey(),
                    &keeper.margin,
                    &margin,
                    &world.pools[asset],
                    &world.pools[liability],
                    &keeper.wallets[liability],
                    u64::MAX,
                    &metas,
                    &[],
                );
                // Liquidation values outages at zero (ZeroAll): the older update is what fails.
                (
                    "older_update_liquidate",
                    swap(ix),
                    world.keeper.key.insecure_clone(),
                    vec![MarginError::OracleOutdated],
                )
            }
            (1, _, _) => {
                // Borrow from the account's debt pool (isolated) or a random priced one.
                let q = if account.header.kind == AccountKind::Isolated as u8 {
                    world.pool_index(&account.positions[1].pool)
                } else {
                    rng.below(PRICED as u64) as usize
                };
                let borrowed = world.pools[q].pool;
                let metas = world.health_metas(&margin, Some(&borrowed));
                let owner = world.users[u].key.insecure_clone();
                let ix = instructions::borrow(
                    &owner.pubkey(),
                    &margin,
                    &world.pools[q],
                    &world.users[u].wallets[q],
                    1 + rng.below(1_000),
                    &metas,
                );
                // Checks before the health check may refuse first.
                let mut allowed = vec![
                    MarginError::GroupPaused,
                    MarginError::PoolReduceOnly,
                    MarginError::PoolPaused,
                    MarginError::BorrowCapExceeded,
                    MarginError::InsufficientLiquidity,
                    MarginError::IsolatedPoolMismatch,
                    MarginError::DepositOutstanding,
                    MarginError::PositionsFull,
                ];
                allowed.push(world.first_health_error(&margin, p, Some(q)));
                ("older_update_borrow", swap(ix), owner, allowed)
            }
            _ => {
                // The health report with the pools writable (a read that records prices).
                let metas = writable_pools(world.health_metas(&margin, None));
                let expected = world.first_health_error(&margin, p, None);
                ("older_update_health", swap(instructions::health(&margin, &metas)), payer, vec![expected])
            }
        };
    let outcome = world.send(report, name, ix, &[&signer])?;
    match outcome.as_ref().err().and_then(|f| f.margin_error()) {
        Some(e) if allowed.contains(&e) => Ok(format!("{name} pool {p} on {} (published {publish_time} < newest {newest}) -> refused: {e:?}", world.name(&margin))),
        _ => Err(format!("{name}: an update published at {publish_time}, before pool {p}'s newest {newest}, was not refused with {allowed:?}: {outcome:?}")),
    }
}

/// Health accounts with every pool writable (a read that records newer prices).
fn writable_pools(metas: Vec<AccountMeta>) -> Vec<AccountMeta> {
    metas.into_iter().enumerate().map(|(i, m)| if i % 2 == 0 { AccountMeta::new(m.pubkey, false) } else { m }).collect()
}

/// A random change of pool `p`'s config: one or two fields moved, sometimes out of
/// bounds. The oracle's identity, age and confidence limits stay (they decide
/// outages, which the outage action drives), so Equity must not move at all.
fn perturb(config: &PoolConfig, rng: &mut Rng, total_deposits: u128, total_debt: u128) -> PoolConfig {
    let mut c = *config;
    let step = |rng: &mut Rng, value: u16, by: u64, max: u64| -> u16 {
        let delta = rng.below(2 * by + 1) as i64 - by as i64;
        (value as i64 + delta).clamp(0, max as i64) as u16
    };
    for _ in 0..1 + rng.below(2) {
        match rng.below(12) {
            0 => {
                c.init_asset_weight_bps = step(rng, c.init_asset_weight_bps, 1_000, 10_000);
                c.maint_asset_weight_bps = step(rng, c.maint_asset_weight_bps, 1_000, 10_000);
            }
            1 => {
                c.init_liab_weight_bps = step(rng, c.init_liab_weight_bps, 1_000, 20_000);
                c.maint_liab_weight_bps = step(rng, c.maint_liab_weight_bps, 1_000, 20_000);
            }
            2 => {
                c.liquidation_penalty_min_bps = step(rng, c.liquidation_penalty_min_bps, 500, 2_100);
                c.liquidation_penalty_max_bps = step(rng, c.liquidation_penalty_max_bps, 500, 2_100);
            }
            3 => c.close_factor_bps = rng.below(10_001) as u16,
            4 => c.liquidation_target_bps = step(rng, c.liquidation_target_bps, 500, 10_000),
            5 => c.dust_threshold_micro_usd = [0, 10_000, 100_000, 1_000_000, 10_000_000][rng.below(5) as usize],
            10 => {
                c.stress_bps = [0, 200, 1_500, 3_500][rng.below(4) as usize];
                c.stress_confidence_multiplier_pct = [0, 100, 300][rng.below(3) as usize];
            }
            11 => {
                c.liquidation_confidence_bonus_pct = [0, 100, 500][rng.below(3) as usize];
                c.age_haircut_max_bps = [0, 500, 5_000][rng.below(3) as usize];
                c.age_haircut_start_secs = c.oracle.max_age_secs.saturating_sub(1 + rng.below(30) as u32);
                c.flash_fee_bps = [0, 9, 100][rng.below(3) as usize];
            }
            6 => {
                let curve = &mut c.rate_curve;
                curve.max_rate_bps =
                    (curve.max_rate_bps as i64 + rng.below(6_001) as i64 - 3_000).clamp(0, 16_000) as u32;
                let scale = 0.5 + rng.unit();
                for rate in curve.kink_rate_bps.iter_mut() {
                    *rate = ((*rate as f64 * scale) as u32).min(curve.max_rate_bps);
                }
            }
            7 => {
                c.protocol_fee_bps = step(rng, c.protocol_fee_bps, 1_000, 10_000);
                c.insurance_fee_bps = step(rng, c.insurance_fee_bps, 1_000, 10_000);
            }
            8 => {
                c.oracle.confidence_multiplier_pct = step(rng, c.oracle.confidence_multiplier_pct, 100, 310);
                c.liquidation_insurance_share_bps = step(rng, c.liquidation_insurance_share_bps, 2_000, 10_000);
            }
            _ => match rng.below(5) {
                // Caps around the current totals (tightening blocks new risk only).
                0 => c.deposit_cap = ((total_deposits as f64) * (0.8 + rng.unit() * 3.0)) as u64,
                1 => c.borrow_cap = ((total_debt as f64) * (0.8 + rng.unit() * 3.0)) as u64,
                // Isolation debt ceilings: none, $1k, $100k, $10M.
                2 => {
                    c.isolated_debt_ceiling_micro_usd =
                        [0, 1_000_000_000, 100_000_000_000, 10_000_000_000_000][rng.below(4) as usize]
                }
                _ => {
                    (c.deposit_cap, c.borrow_cap) = (u64::MAX, u64::MAX);
                    if rng.below(4) == 0 {
                        c.flags ^= POOL_FLAG_ISOLATED_ONLY;
                    }
                }
            },
        }
    }
    c
}

/// An admin config change: out of bounds -> refused with `validate`'s own error;
/// loosening -> applied at once (`Env::update_config` must not wait); tightening
/// -> queued, refused before the delay, applied after it. Either way no account's
/// Equity moves (compared at the instant the change applies).
fn admin_config(world: &mut World, rng: &mut Rng, report: &mut Report) -> Result<String, String> {
    let p = rng.below(world.pools.len() as u64) as usize;
    let keys = world.pools[p];
    let pool = world.env.pool(&keys);
    let current = pool.config;
    let candidate = perturb(&current, rng, pool.total_deposits().unwrap_or(0), pool.total_debt().unwrap_or(0));
    let admin = world.env.admin.insecure_clone();
    let update = instructions::update_pool_config(&admin.pubkey(), &keys, candidate);
    if let Err(expected) = candidate.validate() {
        let outcome = world.send(report, "admin_config_invalid", update, &[&admin])?;
        return match outcome.as_ref().err().and_then(|f| f.margin_error()) {
            Some(e) if e == expected => Ok(format!("admin_config pool {p}: out of bounds, refused {e:?}")),
            _ => Err(format!("config out of bounds ({expected:?}) not refused with it: {outcome:?}")),
        };
    }
    let (name, before) = if candidate.applies_immediately_over(&current) {
        let before = world.equities();
        if world.env.update_config(&keys, candidate) {
            return Err(format!("a loosening change of pool {p} was queued instead of applied"));
        }
        report.by_action.entry("admin_config_loosen").or_default().0 += 1;
        report.landed += 1;
        world.touched[p] += 1;
        // update_config did not touch the clock or the oracles: nothing to re-publish.
        ("admin_config_loosen", before)
    } else {
        // Env::update_config's steps, split so Equity is compared at the instant
        // the change applies (not across the delay's interest).
        if let Err(failure) = world.send(report, "admin_config_queue", update, &[&admin])? {
            return Err(format!("queueing a valid config change was refused: {failure}"));
        }
        if world.env.pool(&keys).config != current {
            return Err(format!("a tightening change of pool {p} applied without the delay"));
        }
        let apply = instructions::apply_pool_config(&keys, &admin.pubkey());
        let early = world.send(report, "admin_config_apply_early", apply.clone(), &[])?;
        if early.as_ref().err().and_then(|f| f.margin_error()) != Some(MarginError::ConfigChangeNotReady) {
            return Err(format!("applying before the delay was not refused with ConfigChangeNotReady: {early:?}"));
        }
        let delay = world.env.group_state().config_delay_secs as i64;
        world.advance(delay);
        let before = world.equities();
        if let Err(failure) = world.send(report, "admin_config_apply", apply, &[])? {
            return Err(format!("applying after the delay was refused: {failure}"));
        }
        ("admin_config_tighten", before)
    };
    if world.env.pool(&keys).config != candidate {
        return Err(format!("{name}: pool {p}'s config is not the one sent"));
    }
    check_equities_unchanged(world, name, &before)?;
    Ok(format!("{name} pool {p}"))
}

/// Admin actions never lower (here: never change) any account's Equity.
fn check_equities_unchanged(world: &mut World, name: &str, before: &[Result<i128, MarginError>]) -> Result<(), String> {
    let after = world.equities();
    for ((margin, b), a) in world.margins.iter().zip(before).zip(&after) {
        if b != a {
            return Err(format!("{name} moved the Equity of {}: {b:?} -> {a:?}", world.name(margin)));
        }
    }
    Ok(())
}

/// Runs `steps` random steps from `seed`, checking every invariant after each.
pub fn run(seed: u64, steps: usize) -> Result<Report, Violation> {
    run_with(seed, steps, Options::default())
}

/// [`run`] with `options`.
pub fn run_with(seed: u64, steps: usize, options: Options) -> Result<Report, Violation> {
    let mut rng = Rng::new(seed);
    let mut world = World::new(&mut rng);
    let mut report = Report::default();
    let mut log = Vec::new();
    let supply: Vec<u128> = (0..world.pools.len()).map(|p| world.supply(p)).collect();
    let mut previous: Vec<(u128, u128)> = (0..world.pools.len())
        .map(|p| {
            let pool = world.env.pool(&world.pools[p]);
            (pool.deposit_share_value(), pool.borrow_share_value())
        })
        .collect();
    let fail = |step: usize, message: String, log: &Vec<String>| Violation { seed, step, message, log: log.clone() };

    for step in 0..steps {
        report.steps += 1;
        world.wrote_off = false;
        end_outages(&mut world, step, &mut log);
        let kind = rng.below(1000);
        let result = match kind {
            0..=719 => match pick_user_action(&mut world, &mut rng, kind) {
                Some(action) => {
                    log.push(format!("{step}: {} on {}", action.name, world.name(&action.subject)));
                    run_user_action(&mut world, &mut report, &mut log, action)
                }
                None => {
                    log.push(format!("{step}: (nothing to liquidate)"));
                    Ok(())
                }
            },
            720..=759 => {
                let p = rng.below(world.pools.len() as u64) as usize;
                log.push(format!("{step}: accrue_interest pool {p}"));
                let ix = instructions::accrue_interest(&world.pools[p].pool);
                world.send(&mut report, "accrue_interest", ix, &[]).map(|_| ())
            }
            760..=839 => {
                log.push(format!("{step}: {}", price_move(&mut world, &mut rng)));
                Ok(())
            }
            840..=889 => {
                // Mostly short; a quarter of the moves are days.
                let seconds = if rng.below(4) == 0 { 1 + rng.below(30 * 86_400) } else { 1 + rng.below(3_600) };
                world.advance(seconds as i64);
                log.push(format!("{step}: clock_move {seconds} s"));
                Ok(())
            }
            890..=891 => {
                // A long idle gap: nobody cranks interest; the keeper must still work.
                let seconds = 30 * 86_400 + rng.below(150 * 86_400);
                world.advance(seconds as i64);
                log.push(format!("{step}: long_idle {} days", seconds / 86_400));
                Ok(())
            }
            892..=906 => {
                log.push(format!("{step}: {}", start_outage(&mut world, &mut rng, step)));
                Ok(())
            }
            907..=941 => {
                log.push(format!("{step}: older_update_attack"));
                older_update_attack(&mut world, &mut rng, &mut report)
                    .map(|line| *log.last_mut().expect("logged") = format!("{step}: {line}"))
            }
            942..=971 => {
                log.push(format!("{step}: admin_config"));
                admin_config(&mut world, &mut rng, &mut report)
                    .map(|line| *log.last_mut().expect("logged") = format!("{step}: {line}"))
            }
            972..=996 => {
                let p = rng.below(world.pools.len() as u64) as usize;
                // Mostly back to Active: a pool spends about 15% of the run restricted.
                let status = match rng.below(20) {
                    0 | 1 => PoolStatus::ReduceOnly,
                    2 => PoolStatus::Paused,
                    _ => PoolStatus::Active,
                };
                log.push(format!("{step}: admin_status pool {p} {status:?}"));
                let admin = world.env.admin.insecure_clone();
                let ix = instructions::set_pool_status(&admin.pubkey(), &world.pools[p], status);
                let before = world.equities();
                world
                    .send(&mut report, "admin_status", ix, &[&admin])
                    .and_then(|_| check_equities_unchanged(&mut world, "admin_status", &before))
            }
            _ => {
                if world.paused_until.is_some() {
                    log.push(format!("{step}: group_pause (already paused)"));
                    Ok(())
                } else {
                    let until = step + 5 + rng.below(46) as usize;
                    log.push(format!("{step}: group_pause until step {until}"));
                    let admin = world.env.admin.insecure_clone();
                    let ix = instructions::set_group_pause(&admin.pubkey(), &world.env.group, true);
                    let before = world.equities();
                    world.paused_until = Some(until);
                    world
                        .send(&mut report, "group_pause", ix, &[&admin])
                        .and_then(|_| check_equities_unchanged(&mut world, "group_pause", &before))
                }
            }
        };
        result.map_err(|message| fail(step, message, &log))?;
        keeper_pass(&mut world, &mut report, &mut log, step, options).map_err(|message| fail(step, message, &log))?;
        check_books(&mut world, &supply, &mut previous).map_err(|message| fail(step, message, &log))?;
    }
    report.log = log;
    Ok(report)
}

/// The program's sizing of the keeper's liquidation (max repay unlimited), with
/// the maintenance weights of the seized collateral and of the debt.
fn planned(
    world: &mut World,
    health: &Health,
    kind: AccountKind,
    asset: &Leg,
    debt: &Leg,
) -> Option<(LiquidationPlan, (f64, f64))> {
    let asset_config = world.env.pool(&world.pools[asset.pool]).config;
    let debt_config = world.env.pool(&world.pools[debt.pool]).config;
    let input = LiquidationInput {
        maintenance_health: health.maintenance,
        maintenance_liabilities: health.maintenance_liabilities,
        asset_config: &asset_config,
        liability_config: &debt_config,
        asset_weight_bps: seized_asset_weight_bps(&asset_config, kind),
        asset_price: asset.unit,
        liability_price: debt.unit,
        deposit_shares: asset.shares,
        deposit_share_value: asset.share_value,
        borrow_shares: debt.shares,
        borrow_share_value: debt.share_value,
        max_repay: u64::MAX,
        asset_confidence_bps: asset.confidence_bps,
    };
    let settled = plan(&input).ok()?;
    Some((settled, (input.asset_weight_bps as f64 / 1e4, debt_config.maint_liab_weight_bps as f64 / 1e4)))
}

/// What the program's own sizing (`liquidation::plan`) makes of a refused keeper
/// liquidation, and how many debt shares its repay burns: for the report.
fn explain_plan(world: &mut World, health: &Health, kind: AccountKind, asset: &Leg, debt: &Leg) -> String {
    let (asset_config, debt_config) =
        (world.env.pool(&world.pools[asset.pool]).config, world.env.pool(&world.pools[debt.pool]).config);
    let Some((settled, (asset_weight, liability_weight))) = planned(world, health, kind, asset, debt) else {
        return "the plan refuses".into();
    };
    format!(
        "plan {settled:?} (debt share value {:.6}); target {} bps, close factor {} bps, bonus {}..{} bps, maintenance weights asset {asset_weight} liability {liability_weight}",
        debt.share_value as f64 / Q64,
        debt_config.liquidation_target_bps,
        debt_config.close_factor_bps,
        asset_config.liquidation_penalty_min_bps,
        asset_config.liquidation_penalty_max_bps,
    )
}

/// The keeper after every step: every account with Maintenance < 0 and priced
/// collateral is liquidated (largest priced collateral against the largest priced
/// debt, no interest crank first); every bankrupt account it cannot liquidate is
/// written off, refused only by an oracle outage on a remaining deposit; an
/// account with debt and no deposits at all is always written off.
fn keeper_pass(
    world: &mut World,
    report: &mut Report,
    log: &mut Vec<String>,
    step: usize,
    options: Options,
) -> Result<(), String> {
    for margin in world.margins.clone() {
        if margin == world.keeper.margin || !has_debt(world, &margin) {
            continue;
        }
        let who = world.name(&margin);
        let kind = if world.env.margin(&margin).header.kind == AccountKind::Cross as u8 {
            AccountKind::Cross
        } else {
            AccountKind::Isolated
        };
        let health = match world.health(&margin, Unpriced::ZeroAll) {
            Ok(health) => health,
            // A pull feed whose only update here is stale or too wide: not an
            // outage (a liquidator would post a fresh update); the account waits.
            Err(error) if world.pull_feed_awaits_update(&margin, error) => {
                log.push(format!("{step}: {who} waits for a fresh pull update ({error:?})"));
                continue;
            }
            Err(error) => return Err(format!("{who}: health unreadable even with ZeroAll: {error:?}")),
        };
        let mut liquidated = false;
        if health.maintenance < 0 {
            let legs = world.legs(&margin)?;
            let largest = |deposit: bool| {
                legs.iter()
                    .filter(|l| l.deposit == deposit && l.price.is_ok())
                    .max_by_key(|l| (l.value, l.amount))
                    .copied()
            };
            let Some(debt) = largest(false) else {
                return Err(format!("{who}: Maintenance {} < 0 without a priced debt", to_usd(health.maintenance)));
            };
            if let Some(asset) = largest(true) {
                let metas = world.health_metas(&margin, None);
                let keeper = &world.keeper;
                let ix = instructions::liquidate(
                    &keeper.key.pubkey(),
                    &keeper.margin,
                    &margin,
                    &world.pools[asset.pool],
                    &world.pools[debt.pool],
                    &keeper.wallets[debt.pool],
                    u64::MAX,
                    &metas,
                    &[],
                );
                let key = world.keeper.key.insecure_clone();
                let outcome = world.send(report, "keeper_liquidate", ix, &[&key])?;
                log.push(format!(
                    "{step}: keeper liquidates {who} (Maintenance ${:.6}, Equity ${:.6}) pool {} for pool {} -> {}",
                    to_usd(health.maintenance),
                    to_usd(health.equity),
                    asset.pool,
                    debt.pool,
                    outcome.as_ref().map_or_else(|f| format!("refused: {f}"), |()| "landed".into()),
                ));
                match outcome {
                    Ok(()) => {
                        liquidated = true;
                        report.liquidations += 1;
                        let after = world.health(&margin, Unpriced::ZeroAll);
                        if !after.as_ref().is_ok_and(|a| a.maintenance > health.maintenance) {
                            return Err(format!(
                                "keeper liquidation of {who} did not raise Maintenance: {health:?} -> {after:?}"
                            ));
                        }
                    }
                    Err(failure) => {
                        // Only collateral whose shares are worth no whole unit may be
                        // refused (NothingToLiquidate): the plan's rounding floor makes
                        // every other liquidation raise health.
                        let rounds =
                            failure.margin_error() == Some(MarginError::NothingToLiquidate) && asset.amount == 0;
                        let plan = explain_plan(world, &health, kind, &asset, &debt);
                        if !rounds {
                            return Err(format!(
                                "{who} has Maintenance ${} < 0 and priced collateral {asset:?}, but liquidating it for {debt:?} was refused: {failure}; {plan}",
                                to_usd(health.maintenance)
                            ));
                        }
                        log.push(format!("{step}: accepted: the collateral's shares are worth no whole unit: {plan}"));
                    }
                }
            }
        }
        if !liquidated && health.equity < 0 {
            // Bankrupt and not liquidatable: the write-off must be possible, unless
            // a remaining deposit's oracle is out (the account may not be bankrupt
            // at all): then it is refused with the error it meets first.
            let legs = world.legs(&margin)?;
            let outage =
                legs.iter().any(|l| l.deposit && l.price.is_err() && l.price != Err(MarginError::OracleNotConfigured));
            let stuck = legs.iter().find(|l| l.deposit && l.price.is_ok() && !l.dust).copied();
            match stuck {
                Some(leg) if !outage => {
                    // Priced collateral above dust whose liquidation rounds to nothing.
                    let threshold = world.env.pool(&world.pools[leg.pool]).config.dust_threshold_micro_usd;
                    let message = format!(
                        "{who} is bankrupt (Equity ${}) with priced collateral worth ${} in pool {} (dust threshold ${}), yet not liquidatable: {leg:?}",
                        to_usd(health.equity),
                        leg.value as f64 / Q64,
                        leg.pool,
                        threshold as f64 / 1e6,
                    );
                    meet_known(report, log, step, options, KnownIssue::BankruptWithUnliquidatableCollateral, message)?;
                }
                _ => resolve_all(world, report, log, step, &margin, outage)?,
            }
        }
        if has_debt(world, &margin) && world.env.margin(&margin).active().iter().all(|p| p.deposit_shares == 0) {
            // Nothing left to seize: the debt is written off.
            resolve_all(world, report, log, step, &margin, false)?;
        }
    }
    Ok(())
}

/// A broken invariant that is a known issue: counted when the run tolerates
/// those, else the violation `message`.
fn meet_known(
    report: &mut Report,
    log: &mut Vec<String>,
    step: usize,
    options: Options,
    issue: KnownIssue,
    message: String,
) -> Result<(), String> {
    if !options.tolerate_known {
        return Err(format!("{message} (known issue {issue:?})"));
    }
    *report.known.entry(issue).or_default() += 1;
    log.push(format!("{step}: known issue {issue:?}: {message}"));
    Ok(())
}

/// Sends `resolve_bad_debt` for each of `margin`'s debts; each must land, or be
/// refused with the error `resolve_bad_debt` meets first on a remaining deposit
/// (in slot order: its oracle's error, or `NotBankrupt` when it is not dust, which
/// is legitimate only while another deposit's oracle is out).
fn resolve_all(
    world: &mut World,
    report: &mut Report,
    log: &mut Vec<String>,
    step: usize,
    margin: &Pubkey,
    outage: bool,
) -> Result<(), String> {
    let who = world.name(margin);
    loop {
        let account = world.env.margin(margin);
        let Some(debt) = account.active().iter().find(|p| p.borrow_shares > 0) else { return Ok(()) };
        let keys = world.pools[world.pool_index(&debt.pool)];
        let mut expected = None;
        for leg in world.legs(margin)?.iter().filter(|l| l.deposit) {
            if world.env.pool(&world.pools[leg.pool]).config.oracle.kind == OracleKind::None as u8 {
                continue;
            }
            match leg.price {
                Err(e) => expected = Some(e),
                Ok(()) if !leg.dust => expected = Some(MarginError::NotBankrupt),
                Ok(()) => continue,
            }
            break;
        }
        let ix = world.env.resolve_bad_debt_ix(margin, &keys);
        let outcome = world.send(report, "resolve_bad_debt", ix, &[])?;
        log.push(format!(
            "{step}: resolve_bad_debt on {who} -> {}",
            outcome.as_ref().map_or_else(|f| format!("refused: {f}"), |()| "landed".into())
        ));
        match (outcome, expected) {
            (Ok(()), None) => {
                report.bad_debt += 1;
                world.wrote_off = true;
            }
            (Err(failure), Some(e))
                if failure.margin_error() == Some(e) && (outage || e != MarginError::NotBankrupt) =>
            {
                return Ok(())
            }
            (outcome, expected) => {
                return Err(format!("resolve_bad_debt of {who}: expected {expected:?}, got {outcome:?}"));
            }
        }
    }
}

/// Pool-level and account-level invariants after every step.
fn check_books(world: &mut World, supply: &[u128], previous: &mut [(u128, u128)]) -> Result<(), String> {
    for p in 0..world.pools.len() {
        let keys = world.pools[p];
        let pool = world.env.pool(&keys);
        // The program runs on the SVM's clock: nothing accrues past it.
        if pool.last_accrual_ts > world.env.svm.now() {
            return Err(format!(
                "pool {p} accrued to {}, after the clock {}",
                pool.last_accrual_ts,
                world.env.svm.now()
            ));
        }
        // Token conservation across every holder.
        let now_supply = world.supply(p);
        if now_supply != supply[p] {
            return Err(format!("pool {p}: tokens not conserved ({now_supply} vs {})", supply[p]));
        }
        // Sum of account shares equals the pool totals; the isolation debt tally is
        // the sum of its isolated accounts' (every debt path releases both), and an
        // account without debt has none.
        let (mut deposits, mut borrows, mut tallies) = (0u128, 0u128, 0u128);
        for margin in world.margins.clone() {
            let account = world.env.margin(&margin);
            let tally = account.header.isolated_debt_micro_usd;
            if tally != 0 && account.active().iter().all(|p| p.borrow_shares == 0) {
                return Err(format!("{} has no debt but an isolation tally of {tally}", world.name(&margin)));
            }
            if account.header.kind == AccountKind::Isolated as u8 && account.positions[0].pool == keys.pool.to_bytes() {
                tallies += tally as u128;
            }
            for position in account.active() {
                if position.pool == keys.pool.to_bytes() {
                    deposits += position.deposit_shares as u128;
                    borrows += position.borrow_shares as u128;
                }
            }
        }
        if tallies != pool.isolated_debt_micro_usd as u128 {
            return Err(format!(
                "pool {p}: isolation tallies {tallies} vs the pool's {}",
                pool.isolated_debt_micro_usd
            ));
        }
        if deposits != pool.total_deposit_shares as u128 || borrows != pool.total_borrow_shares as u128 {
            return Err(format!(
                "pool {p}: shares {deposits}/{borrows} vs totals {}/{}",
                pool.total_deposit_shares, pool.total_borrow_shares
            ));
        }
        // Vault >= deposits - debt + fees + insurance, within one unit per operation.
        let slack = world.touched[p] as i128 + 2;
        let vault = world.env.svm.token_balance(&keys.vault) as i128;
        let fees = (fixed::load(&pool.protocol_fees) >> 64) as i128 + (fixed::load(&pool.insurance_fund) >> 64) as i128;
        let wide = |value: u128| i128::try_from(value).unwrap_or(i128::MAX);
        let debt = wide(pool.total_debt().map_err(|e| format!("pool {p}: {e:?}"))?);
        let total_deposits = wide(pool.total_deposits().map_err(|e| format!("pool {p}: {e:?}"))?);
        let books = total_deposits.saturating_sub(debt).saturating_add(fees);
        if vault.saturating_add(slack) < books {
            return Err(format!("pool {p}: vault {vault} below books {books}"));
        }
        // Debt never exceeds what depositors and fee buckets hold claims on.
        if debt > total_deposits.saturating_add(fees).saturating_add(slack) {
            return Err(format!("pool {p}: debt {debt} above deposits plus fees"));
        }
        // Share values move only up, except deposits after a bad-debt write-off or
        // when the pool emptied (the next deposit restarts at one).
        let (deposit_value, borrow_value) = (pool.deposit_share_value(), pool.borrow_share_value());
        let restarted = pool.total_deposit_shares == 0 || deposit_value == fixed::ONE;
        if borrow_value < previous[p].1 || (deposit_value < previous[p].0 && !world.wrote_off && !restarted) {
            return Err(format!("pool {p}: share value went down"));
        }
        previous[p] = (deposit_value, borrow_value);
    }
    for margin in world.margins.clone() {
        let account = world.env.margin(&margin);
        let who = world.name(&margin);
        // Zero collateral implies zero debt (the keeper just wrote it off).
        if account.active().iter().all(|p| p.deposit_shares == 0)
            && account.active().iter().any(|p| p.borrow_shares > 0)
        {
            return Err(format!("{who} has debt and no collateral outside the bad-debt path"));
        }
        // A cross account never holds a pool without an oracle.
        if account.header.kind == AccountKind::Cross as u8
            && account.active().iter().any(|p| p.pool == world.pools[UNPRICED].pool.to_bytes())
        {
            return Err(format!("cross account {who} holds a position in the pool without an oracle"));
        }
    }
    Ok(())
}
