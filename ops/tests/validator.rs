//! The real path: a local validator started in-process (same Agave as the rest),
//! the `.so` deployed to it, a market set up over JSON-RPC, and the `margin keeper`
//! and `margin liquidator` binaries run against its `--rpc-url` end to end.

use std::process::Command;

use margin_client::{
    config::default_pool_config,
    instructions::{self, OpenKind},
    oracle::{legacy_trading, price_update_v2},
    pda::{self, PoolKeys},
    program_id, spl_token_id,
};
use margin_interface::{
    oracle::{OraclePrice, Verification, PYTH_LEGACY_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID},
    state::OracleKind,
};
use margin_sim::features::FeatureSet;
use margin_sim::svm::program_dir;
use solana_sdk::{
    account::{Account, AccountSharedData},
    instruction::Instruction,
    program_pack::Pack,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::Transaction,
};
use solana_test_validator::TestValidatorGenesis;
use spl_token_interface::{
    instruction as token_ix,
    state::{Account as TokenAccount, Mint},
};

fn send(rpc: &solana_rpc_client::rpc_client::RpcClient, payer: &Keypair, ixs: &[Instruction], signers: &[&Keypair]) {
    let blockhash = rpc.get_latest_blockhash().expect("blockhash");
    let mut all = vec![payer];
    all.extend(signers.iter().copied().filter(|k| k.pubkey() != payer.pubkey()));
    let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &all, blockhash);
    rpc.send_and_confirm_transaction(&tx).unwrap_or_else(|e| panic!("transaction failed: {e}"));
}

fn create_account_ix(payer: &Pubkey, new: &Pubkey, lamports: u64, space: u64, owner: &Pubkey) -> Instruction {
    // System program CreateAccount (instruction 0), built by hand.
    let mut data = vec![0, 0, 0, 0];
    data.extend_from_slice(&lamports.to_le_bytes());
    data.extend_from_slice(&space.to_le_bytes());
    data.extend_from_slice(owner.as_ref());
    Instruction {
        program_id: margin_client::system_program_id(),
        accounts: vec![
            solana_sdk::instruction::AccountMeta::new(*payer, true),
            solana_sdk::instruction::AccountMeta::new(*new, true),
        ],
        data,
    }
}

fn mint(rpc: &solana_rpc_client::rpc_client::RpcClient, payer: &Keypair, decimals: u8) -> Pubkey {
    let mint = Keypair::new();
    let rent = rpc.get_minimum_balance_for_rent_exemption(Mint::LEN).unwrap();
    send(
        rpc,
        payer,
        &[
            create_account_ix(&payer.pubkey(), &mint.pubkey(), rent, Mint::LEN as u64, &spl_token_id()),
            token_ix::initialize_mint2(&spl_token_id(), &mint.pubkey(), &payer.pubkey(), None, decimals).unwrap(),
        ],
        &[&mint],
    );
    mint.pubkey()
}

fn token_account(
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    payer: &Keypair,
    mint: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Pubkey {
    let account = Keypair::new();
    let rent = rpc.get_minimum_balance_for_rent_exemption(TokenAccount::LEN).unwrap();
    let mut ixs = vec![
        create_account_ix(&payer.pubkey(), &account.pubkey(), rent, TokenAccount::LEN as u64, &spl_token_id()),
        token_ix::initialize_account3(&spl_token_id(), &account.pubkey(), mint, owner).unwrap(),
    ];
    if amount > 0 {
        ixs.push(token_ix::mint_to(&spl_token_id(), mint, &account.pubkey(), &payer.pubkey(), &[], amount).unwrap());
    }
    send(rpc, payer, &ixs, &[&account]);
    account.pubkey()
}

/// One test validator at a time in this process (they share port ranges).
static VALIDATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn margin_cli(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_margin")).args(args).output().expect("run margin");
    (
        out.status.success(),
        format!(
            "{}{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            if out.status.success() { String::new() } else { format!(" [{}]", out.status) }
        ),
    )
}

#[test]
fn keeper_and_liquidator_binaries_work_over_json_rpc() {
    let _one_at_a_time = VALIDATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Pyth accounts are created at genesis (the validator has no Pyth): USDC's legacy
    // price account, and two posted pull updates of SOL's feed, $100 and a newer $55
    // (the market moved; both within max age).
    let (sol_update, sol_crash, usdc_oracle) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
    let sol_feed = [5u8; 32];
    let price = |usd: i64, at: i64| OraclePrice {
        price: usd * 100_000_000,
        conf: 0,
        expo: -8,
        publish_time: at,
        ema_price: usd * 100_000_000,
        ema_conf: 0,
    };
    let mut genesis = margin_genesis();
    let accounts = [
        (usdc_oracle, legacy_trading(&price(1, now)), PYTH_LEGACY_PROGRAM_ID),
        (sol_update, price_update_v2(&sol_feed, Verification::Full, &price(100, now), 1), PYTH_RECEIVER_PROGRAM_ID),
        (sol_crash, price_update_v2(&sol_feed, Verification::Full, &price(55, now + 1), 2), PYTH_RECEIVER_PROGRAM_ID),
    ];
    for (key, data, owner) in accounts {
        let account =
            Account { lamports: 1_000_000_000, data, owner: Pubkey::new_from_array(owner), ..Account::default() };
        genesis.add_account(key, AccountSharedData::from(account));
    }
    let (validator, payer) = genesis.start();
    let rpc = validator.get_rpc_client();
    let url = validator.rpc_url();

    // Group and two pools over RPC; oracle ages generous (genesis-time prices).
    send(&rpc, &payer, &[instructions::init_group(&payer.pubkey(), &payer.pubkey(), 0, &payer.pubkey())], &[]);
    let group = pda::group(&payer.pubkey(), 0);
    let mut pools = Vec::new();
    for (decimals, kind, address) in
        [(9u8, OracleKind::PythPull, sol_feed), (6, OracleKind::PythLegacy, usdc_oracle.to_bytes())]
    {
        let mint = mint(&rpc, &payer, decimals);
        let keys = PoolKeys::derive(&group, &mint, &spl_token_id());
        let mut config = default_pool_config();
        config.oracle.kind = kind as u8;
        config.oracle.address = address;
        config.oracle.max_age_secs = 3_600;
        send(&rpc, &payer, &[instructions::create_pool(&payer.pubkey(), &payer.pubkey(), &keys, config)], &[]);
        pools.push(keys);
    }
    let (sol, usdc) = (pools[0], pools[1]);

    // A lender, and a borrower close to its limit: 10 SOL ($1,000) against 700 USDC.
    let lender_margin = pda::margin_account(&group, &payer.pubkey(), 0);
    send(
        &rpc,
        &payer,
        &[instructions::open_margin_account(&payer.pubkey(), &payer.pubkey(), &group, 0, OpenKind::Cross)],
        &[],
    );
    let lender_usdc = token_account(&rpc, &payer, &usdc.mint, &payer.pubkey(), 10_000_000_000);
    send(
        &rpc,
        &payer,
        &[instructions::deposit(&payer.pubkey(), &lender_margin, &usdc, &lender_usdc, 10_000_000_000)],
        &[],
    );
    let borrower = Keypair::new();
    let victim = pda::margin_account(&group, &borrower.pubkey(), 0);
    send(
        &rpc,
        &payer,
        &[instructions::open_margin_account(&payer.pubkey(), &borrower.pubkey(), &group, 0, OpenKind::Cross)],
        &[&borrower],
    );
    let sol_wallet = token_account(&rpc, &payer, &sol.mint, &borrower.pubkey(), 10_000_000_000);
    let usdc_out = token_account(&rpc, &payer, &usdc.mint, &borrower.pubkey(), 0);
    send(
        &rpc,
        &payer,
        &[instructions::deposit(&borrower.pubkey(), &victim, &sol, &sol_wallet, 10_000_000_000)],
        &[&borrower],
    );
    let health = |pools: &[(PoolKeys, Pubkey)]| {
        pools
            .iter()
            .flat_map(|(k, o)| {
                [
                    solana_sdk::instruction::AccountMeta::new_readonly(k.pool, false),
                    solana_sdk::instruction::AccountMeta::new_readonly(*o, false),
                ]
            })
            .collect::<Vec<_>>()
    };
    let metas = health(&[(sol, sol_update), (usdc, usdc_oracle)]);
    send(
        &rpc,
        &payer,
        &[instructions::borrow(&borrower.pubkey(), &victim, &usdc, &usdc_out, 700_000_000, &metas)],
        &[&borrower],
    );

    // SOL at $55 (the newer update): the borrower is liquidatable.
    // The liquidator: a funded key file, a margin account, a USDC account.
    let liquidator = Keypair::new();
    send(&rpc, &payer, &[margin_tests_transfer(&payer.pubkey(), &liquidator.pubkey(), 2_000_000_000)], &[]);
    send(
        &rpc,
        &payer,
        &[instructions::open_margin_account(&payer.pubkey(), &liquidator.pubkey(), &group, 0, OpenKind::Cross)],
        &[&liquidator],
    );
    let liquidator_margin = pda::margin_account(&group, &liquidator.pubkey(), 0);
    let liquidator_usdc = token_account(&rpc, &payer, &usdc.mint, &liquidator.pubkey(), 5_000_000_000);
    let dir = std::env::temp_dir().join(format!("margin-validator-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = dir.join("liquidator.json");
    std::fs::write(&key_path, format!("{:?}", liquidator.to_bytes().to_vec())).unwrap();
    let key = key_path.to_str().unwrap();
    let payer_path = dir.join("payer.json");
    std::fs::write(&payer_path, format!("{:?}", payer.to_bytes().to_vec())).unwrap();

    // The operator commands on this market, before the liquidation.
    operator_commands(&Market {
        validator: &validator,
        rpc: &rpc,
        payer: &payer,
        url: &url,
        payer_path: payer_path.to_str().unwrap(),
        dir: &dir,
        sol,
        usdc,
        victim,
        borrower: borrower.pubkey(),
        lender: lender_margin,
        feed: sol_feed,
        update: sol_update,
        crash: sol_crash,
        usdc_oracle,
    });

    // Keeper over JSON-RPC.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let (ok, output) = margin_cli(&["keeper", "--rpc-url", &url, "--keypair", key, "--max-age", "0", "--once"]);
    assert!(ok, "{output}");
    assert!(output.contains("keeper: accrued pool"), "{output}");

    // Liquidator over JSON-RPC.
    let wallet = format!("{}={}", usdc.mint, liquidator_usdc);
    let oracle = format!("{}={}", sol_feed.iter().map(|b| format!("{b:02x}")).collect::<String>(), sol_crash);
    let (ok, output) = margin_cli(&[
        "liquidator",
        "--rpc-url",
        &url,
        "--keypair",
        key,
        "--margin-account",
        &liquidator_margin.to_string(),
        "--wallet",
        &wallet,
        "--oracle",
        &oracle,
        "--min-profit",
        "0",
        "--priority-fee",
        "1000",
        "--once",
    ]);
    assert!(ok, "{output}");
    assert!(output.contains(&format!("liquidated {victim}")), "{output}");
    // The liquidation went out with its compute budget first: the limit it
    // reports (simulated units + 10%) and the fixed 1,000 micro-lamports/CU.
    let field = |name: &str| -> String {
        output
            .split(name)
            .nth(1)
            .and_then(|rest| rest.split([',', ')', '\n', ' ']).next())
            .unwrap_or_default()
            .to_string()
    };
    let limit: u32 = field("CU limit ").parse().unwrap_or_else(|_| panic!("no CU limit in: {output}"));
    assert!(output.contains("priority fee 1000 micro-lamports/CU"), "{output}");
    let signature: solana_sdk::signature::Signature =
        field("signature ").parse().unwrap_or_else(|_| panic!("no signature in: {output}"));
    let config = solana_rpc_client_types::config::RpcTransactionConfig {
        encoding: Some(solana_transaction_status_client_types::UiTransactionEncoding::Base64),
        commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    // The history is written a moment after confirmation.
    let landed = (0..50)
        .find_map(|_| {
            rpc.get_transaction_with_config(&signature, config).ok().or_else(|| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                None
            })
        })
        .expect("the liquidation is on chain");
    let meta = landed.transaction.meta.expect("status");
    assert!(meta.err.is_none(), "landed without error");
    let tx = landed.transaction.transaction.decode().expect("a decodable transaction");
    let (set_limit, set_price) = margin_client::budget::decode_budget(&tx.message);
    assert_eq!((set_limit, set_price), (Some(limit), Some(1_000)));
    let consumed: u64 = Option::from(meta.compute_units_consumed).expect("units consumed");
    // Simulated units + 10% + 5,000 of headroom (the state moves by landing).
    assert!(consumed <= limit as u64 && limit as u64 <= consumed * 12 / 10 + 5_000, "{consumed} used of {limit}");
    // The bot reports the units it repaid; exactly those left the liquidator's wallet.
    let repaid: u64 = output
        .split("repaid ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|units| units.parse().ok())
        .unwrap_or_else(|| panic!("no repaid amount in: {output}"));
    let seized = margin_client::accounts::margin_account(&rpc.get_account(&liquidator_margin).unwrap().data).unwrap();
    assert!(seized.active()[0].deposit_shares > 0, "the liquidator holds the seized SOL");
    let balance: u64 = rpc.get_token_account_balance(&liquidator_usdc).unwrap().amount.parse().unwrap();
    assert_eq!(balance, 5_000_000_000 - repaid);
}

/// The market of `keeper_and_liquidator_binaries_work_over_json_rpc`.
struct Market<'a> {
    validator: &'a solana_test_validator::TestValidator,
    rpc: &'a solana_rpc_client::rpc_client::RpcClient,
    payer: &'a Keypair,
    url: &'a str,
    payer_path: &'a str,
    dir: &'a std::path::Path,
    sol: PoolKeys,
    usdc: PoolKeys,
    victim: Pubkey,
    borrower: Pubkey,
    lender: Pubkey,
    feed: [u8; 32],
    update: Pubkey,
    crash: Pubkey,
    usdc_oracle: Pubkey,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `accounts list`, `account show`, `market init`, `pool show|status|update|apply`
/// over JSON-RPC, and their one-line refusals.
fn operator_commands(m: &Market) {
    let (url, key) = (m.url, m.payer_path);
    let feed = hex(&m.feed);
    let (at_100, at_55) = (format!("{feed}={}", m.update), format!("{feed}={}", m.crash));
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-u", url, "-k", key]);
        margin_cli(&all)
    };
    let ok = |args: &[&str]| {
        let (ok, output) = run(args);
        assert!(ok, "{args:?}: {output}");
        output
    };
    let refused = |args: &[&str]| {
        let (ok, output) = run(args);
        assert!(!ok, "{args:?}: {output}");
        let message = output.strip_suffix(" [exit status: 1]").unwrap_or_else(|| panic!("exit 1: {output}"));
        assert_eq!(message.lines().count(), 1, "{message}");
        message.trim_end().to_string()
    };
    let (victim, sol_pool) = (m.victim.to_string(), m.sol.pool.to_string());

    // accounts list: the borrower's health needs the SOL pull update; the lender's
    // USDC needs nothing more (legacy oracle). At $55 the borrower is unhealthy,
    // at $100 not.
    let output = ok(&["accounts", "list"]);
    assert!(
        output.contains(&format!(
            "{victim} owner {} cross 2 position(s) maintenance unavailable (pool {sol_pool} has a pull feed: pass its update account with --oracle {feed}=ACCOUNT)",
            m.borrower
        )),
        "{output}"
    );
    assert!(
        output.contains(&format!("{} owner {} cross 1 position(s) maintenance $8500.00", m.lender, m.payer.pubkey())),
        "{output}"
    );
    let output = ok(&["accounts", "list", "--unhealthy", "--oracle", &at_55]);
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 2, "{output}");
    assert!(
        lines[0].starts_with(&format!("{victim} owner {} cross 2 position(s) maintenance $-267.50", m.borrower)),
        "{output}"
    );
    assert_eq!(lines[1], "1 unhealthy margin account(s)");
    assert_eq!(ok(&["accounts", "list", "--unhealthy", "--oracle", &at_100]), "0 unhealthy margin account(s)\n");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&["accounts", "list", "--unhealthy", "--oracle", &at_55, "-o", "json"])).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["address"], victim.as_str());

    // account show: positions, health at every level, the risk report.
    let output = ok(&["account", "show", &victim, "--oracle", &at_55]);
    assert!(
        output.contains(&format!(
            "pool {sol_pool} (mint {}): deposit 10 (10000000000 native), debt 0 (0 native), price $55.0000",
            m.sol.mint
        )),
        "{output}"
    );
    assert!(output.contains("health: initial $-330.00, maintenance $-267.50, equity $-150.00"), "{output}");
    assert!(output.contains("(liquidatable)") && output.contains("P(maintenance health < 0)"), "{output}");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&["account", "show", &victim, "--oracle", &at_55, "--output", "json"])).unwrap();
    assert_eq!(shown["positions"][0]["deposit_native"], 10_000_000_000u64);
    let maintenance = shown["health"]["maintenance"].as_f64().unwrap();
    assert!((maintenance + 267.5).abs() < 0.01, "{maintenance}");
    assert_eq!(shown["risk"]["assets"].as_array().map(Vec::len), Some(2), "{shown}");
    // Without the update: positions, and why there is no health.
    let output = ok(&["account", "show", &victim]);
    assert!(output.contains("health: unavailable (pool"), "{output}");

    // The wrong kind of account, the wrong program: one line each.
    assert_eq!(
        refused(&["account", "show", &sol_pool]),
        format!("error: {sol_pool} is not a margin account: it is a pool of the margin program")
    );
    assert_eq!(
        refused(&["pool", "show", &victim]),
        format!("error: {victim} is not a pool: it is a margin account of the margin program")
    );
    let elsewhere = Pubkey::new_unique();
    assert_eq!(
        refused(&["accounts", "list", "--program-id", &elsewhere.to_string()]),
        format!("error: program {elsewhere} is not deployed on {url}")
    );
    assert_eq!(
        refused(&["pool", "show", &sol_pool, "--program-id", &sol_pool]),
        format!("error: {sol_pool} is not a program (an account owned by {})", program_id())
    );

    // market init: a group and two pools from a file; nothing for a bad file.
    let (mint_a, mint_b) = (mint(m.rpc, m.payer, 9), mint(m.rpc, m.payer, 6));
    let write = |name: &str, text: String| {
        let path = m.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let market = write(
        "market.toml",
        format!(
            "[group]\nseed = 9\nconfig_delay_secs = 86400\n\n\
             [[pool]]\nsymbol = \"wSOL\"\nmint = \"{mint_a}\"\ninit_asset_weight_bps = 7000\nmaint_asset_weight_bps = 8000\nstress_bps = 3000\n\
             [pool.oracle]\nkind = \"pyth-pull\"\nfeed_id = \"{feed}\"\nmax_age_secs = 3600\n\n\
             [[pool]]\nsymbol = \"USD\"\nmint = \"{mint_b}\"\n\
             [pool.oracle]\nkind = \"pyth-legacy\"\naccount = \"{}\"\nmax_age_secs = 3600\n",
            m.usdc_oracle
        ),
    );
    let group = pda::group(&m.payer.pubkey(), 9);
    let (pool_a, pool_b) = (pda::pool(&group, &mint_a), pda::pool(&group, &mint_b));
    let output = ok(&["market", "init", "--config", &market]);
    assert_eq!(
        output,
        format!(
            "group {group}: created (seed 9, config delay 86400 s, admin {})\npool \"wSOL\" (mint {mint_a}): created {pool_a}\npool \"USD\" (mint {mint_b}): created {pool_b}\n",
            m.payer.pubkey()
        )
    );
    let created = margin_client::accounts::pool(&m.rpc.get_account(&pool_a).unwrap().data).unwrap();
    assert_eq!((created.config.init_asset_weight_bps, created.config.stress_bps), (7_000, 3_000));
    assert_eq!((created.config.oracle.kind, created.config.oracle.address), (OracleKind::PythPull as u8, m.feed));
    let decoded = margin_client::accounts::group(&m.rpc.get_account(&group).unwrap().data).unwrap();
    assert_eq!(decoded.config_delay_secs, 86_400);
    // Again: everything exists, nothing is sent.
    let output = ok(&["market", "init", "--config", &market]);
    assert!(
        output.starts_with(&format!("group {group}: exists")) && output.contains(&format!("exists {pool_b}")),
        "{output}"
    );
    // A bad field, a missing mint: named, and nothing created.
    let bad = write(
        "bad.toml",
        format!("[group]\nseed = 10\n[[pool]]\nsymbol = \"wSOL\"\nmint = \"{mint_a}\"\nclose_factor_bps = 0\n"),
    );
    assert_eq!(
        refused(&["market", "init", "--config", &bad]),
        format!("error: {bad}: pool \"wSOL\": close_factor_bps = 0 is out of bounds (between 1 and 10000)")
    );
    let nowhere = Pubkey::new_unique();
    let missing =
        write("missing.toml", format!("[group]\nseed = 10\n[[pool]]\nsymbol = \"Z\"\nmint = \"{nowhere}\"\n"));
    assert_eq!(
        refused(&["market", "init", "--config", &missing]),
        format!("error: {missing}: pool \"Z\": mint {nowhere} not found on {url}")
    );
    let untouched = pda::group(&m.payer.pubkey(), 10);
    assert!(m.rpc.get_account_with_commitment(&untouched, m.rpc.commitment()).unwrap().value.is_none());

    // pool show: the configured values, totals, rates.
    let (pool_a_text, pool_b_text) = (pool_a.to_string(), pool_b.to_string());
    let output = ok(&["pool", "show", &pool_a_text]);
    for line in [
        "  status active",
        "    init_asset_weight_bps = 7000",
        "    oracle.kind = pyth-pull",
        "    stress_bps = 3000",
        "  no queued config change",
    ] {
        assert!(output.contains(&format!("{line}\n")), "{line}: {output}");
    }
    assert!(output.contains("deposits 0 (0 native), debt 0 (0 native), utilization 0.00%"), "{output}");
    let shown: serde_json::Value = serde_json::from_str(&ok(&["pool", "show", &pool_b_text, "-o", "json"])).unwrap();
    assert_eq!(shown["config"]["oracle.account"], m.usdc_oracle.to_string().as_str());
    assert_eq!(shown["decimals"], 6);
    // USDC's pool: the lender's 10,000 and the borrower's 700.
    let output = ok(&["pool", "show", &m.usdc.pool.to_string()]);
    // (Interest projected to now: a few native units more than deposited.)
    assert!(output.contains("  deposits 10000") && output.contains("utilization 7.00%"), "{output}");

    // pool status.
    assert_eq!(
        ok(&["pool", "status", &pool_a_text, "reduce-only"]),
        format!("pool {pool_a}: status active -> reduce-only\n")
    );
    assert_eq!(margin_client::accounts::pool(&m.rpc.get_account(&pool_a).unwrap().data).unwrap().status, 1);
    assert_eq!(
        ok(&["pool", "status", &pool_a_text, "reduce-only"]),
        format!("pool {pool_a}: status already reduce-only\n")
    );
    assert_eq!(
        ok(&["pool", "status", &pool_a_text, "active"]),
        format!("pool {pool_a}: status reduce-only -> active\n")
    );

    // pool update: a tightening waits out the delay, a loosening applies at once
    // (and cancels the queued change); apply before the delay is refused.
    let tighter = write("tighter.toml", format!("[[pool]]\nmint = \"{mint_a}\"\ninit_asset_weight_bps = 6000\n"));
    let output = ok(&["pool", "update", &pool_a_text, "--config", &tighter]);
    assert!(
        output.starts_with(&format!("pool {pool_a}: queued (init_asset_weight_bps 7000 -> 6000): applies after ")),
        "{output}"
    );
    assert!(output.ends_with(&format!("then run `margin pool apply {pool_a}`\n")), "{output}");
    let output = ok(&["pool", "show", &pool_a_text]);
    assert!(
        output.contains("queued config change, applies after") && output.contains("init_asset_weight_bps 7000 -> 6000"),
        "{output}"
    );
    let message = refused(&["pool", "apply", &pool_a_text]);
    assert!(
        message.starts_with(&format!("error: the queued config change of pool {pool_a} applies after ")),
        "{message}"
    );
    // A day later (the validator cannot skip one: the queued change is backdated
    // instead), anyone's `pool apply` applies it and returns the rent.
    let pending = pda::pending_config(&pool_a);
    let mut queued = m.rpc.get_account(&pending).unwrap();
    let apply_after = std::mem::offset_of!(margin_interface::state::PendingPoolConfig, apply_after);
    queued.data[apply_after..apply_after + 8].copy_from_slice(&(unix_now() - 60).to_le_bytes());
    store_account(m.validator, m.rpc, &pending, queued);
    assert_eq!(
        ok(&["pool", "apply", &pool_a_text]),
        format!("pool {pool_a}: applied the queued change (init_asset_weight_bps 7000 -> 6000)\n")
    );
    assert!(m.rpc.get_account_with_commitment(&pending, m.rpc.commitment()).unwrap().value.is_none());
    let applied = margin_client::accounts::pool(&m.rpc.get_account(&pool_a).unwrap().data).unwrap();
    assert_eq!(applied.config.init_asset_weight_bps, 6_000);
    // Queued again (6000 -> 5500); a loosening applies at once and cancels it.
    let tighter = write("tighter-2.toml", format!("[[pool]]\nmint = \"{mint_a}\"\ninit_asset_weight_bps = 5500\n"));
    let output = ok(&["pool", "update", &pool_a_text, "--config", &tighter]);
    assert!(output.starts_with(&format!("pool {pool_a}: queued (init_asset_weight_bps 6000 -> 5500)")), "{output}");
    let looser = write("looser.toml", format!("[[pool]]\nmint = \"{mint_a}\"\ndeposit_cap = 5000000\n"));
    assert_eq!(
        ok(&["pool", "update", &pool_a_text, "--config", &looser]),
        format!("pool {pool_a}: applied at once (deposit_cap 18446744073709551615 -> 5000000)\n")
    );
    let updated = margin_client::accounts::pool(&m.rpc.get_account(&pool_a).unwrap().data).unwrap();
    assert_eq!((updated.config.deposit_cap, updated.config.init_asset_weight_bps), (5_000_000, 6_000));
    assert_eq!(refused(&["pool", "apply", &pool_a_text]), format!("error: pool {pool_a} has no queued config change"));
    // What the program would refuse is refused before sending, named.
    let no_oracle = write(
        "no-oracle.toml",
        format!("[[pool]]\nsymbol = \"wSOL\"\nmint = \"{mint_a}\"\n[pool.oracle]\nkind = \"none\"\n"),
    );
    assert_eq!(
        refused(&["pool", "update", &pool_a_text, "--config", &no_oracle]),
        format!(
            "error: {no_oracle}: pool \"wSOL\": oracle.kind = \"none\": a pool's oracle cannot be removed once set"
        )
    );
    assert_eq!(
        refused(&["pool", "update", &pool_b_text, "--config", &tighter]),
        format!("error: {tighter}: no [[pool]] has mint {mint_b} (pool {pool_b}'s)")
    );
}

/// System transfer (instruction 2), built by hand.
fn margin_tests_transfer(from: &Pubkey, to: &Pubkey, lamports: u64) -> Instruction {
    let mut data = vec![2, 0, 0, 0];
    data.extend_from_slice(&lamports.to_le_bytes());
    Instruction {
        program_id: margin_client::system_program_id(),
        accounts: vec![
            solana_sdk::instruction::AccountMeta::new(*from, true),
            solana_sdk::instruction::AccountMeta::new(*to, false),
        ],
        data,
    }
}

/// `init_group` (seed `seed`, admin = payer) for the program at `program`: the
/// client's builder, re-addressed (its PDA and bump derived from `program`).
fn init_group_at(program: &Pubkey, admin: &Pubkey, seed: u64) -> (Instruction, Pubkey) {
    let (group, bump) = Pubkey::find_program_address(
        &[margin_interface::pda::GROUP_SEED, admin.as_ref(), &seed.to_le_bytes()],
        program,
    );
    let mut ix = instructions::init_group(admin, admin, seed, admin);
    ix.program_id = *program;
    ix.accounts[2].pubkey = group;
    // InitGroup's data: tag, seed (8), fee destination (32), then the bump.
    ix.data[1 + 8 + 32] = bump;
    (ix, group)
}

/// The program deployed through the upgradeable loader (not genesis) with the
/// CLI, used, upgraded with a rebuilt `.so` (state and behaviour survive), made
/// immutable (then upgrades are refused); a buffer resumed and closed.
#[test]
fn the_cli_deploys_upgrades_and_freezes_the_program_through_the_loader() {
    let _one_at_a_time = VALIDATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut genesis = TestValidatorGenesis::default();
    genesis.deactivate_features(&FeatureSet::MainnetBeta.inactive());
    let (validator, payer) = genesis.start();
    let rpc = validator.get_rpc_client();
    let url = validator.rpc_url();
    let so = program_dir().join("margin.so");
    let elf = std::fs::read(&so).expect("margin.so");
    let dir = std::env::temp_dir().join(format!("margin-deploy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write_key = |name: &str, key: &Keypair| {
        let path = dir.join(name);
        std::fs::write(&path, format!("{:?}", key.to_bytes().to_vec())).unwrap();
        path.to_str().unwrap().to_string()
    };
    let payer_path = write_key("payer.json", &payer);
    let program = Keypair::new();
    let program_path = write_key("program.json", &program);
    let so_path = dir.join("margin.so");
    std::fs::copy(&so, &so_path).unwrap();
    let so_arg = so_path.to_str().unwrap();
    let common = ["--rpc-url", url.as_str(), "--keypair", payer_path.as_str()];

    // Deploy: chunks written, program live at the new address, payer the authority,
    // twice the ELF's room.
    let mut args = vec!["program", "deploy", so_arg];
    args.extend(common);
    args.extend(["--program-keypair", program_path.as_str()]);
    let (ok, output) = margin_cli(&args);
    assert!(ok, "{output}");
    let chunk = margin_ops::deploy::chunk_len(&payer.pubkey());
    let chunks = elf.len().div_ceil(chunk);
    assert!(output.contains(&format!("wrote {chunks} of {chunks} chunks of {chunk} bytes")), "{output}");
    let id = program.pubkey();
    let account = rpc.get_account(&id).unwrap();
    assert!(account.executable);
    assert_eq!(account.owner, margin_ops::deploy::loader_id());
    let info = margin_ops::deploy::program_info(&rpc, &id).unwrap();
    assert_eq!((info.upgrade_authority, info.max_len), (Some(payer.pubkey()), 2 * elf.len()));
    // The buffer keypair file the CLI kept while writing is gone with the buffer.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3, "payer, program and the .so only");

    // The deployed program is this build, byte for byte.
    let mut args = vec!["program", "verify", so_arg];
    args.extend(common);
    let id_text = id.to_string();
    args.extend(["--program-id", id_text.as_str()]);
    let (ok, output) = margin_cli(&args);
    assert!(ok, "{output}");
    let sha = solana_sdk::hash::hashv(&[&elf]).to_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert!(output.contains(&format!("holds this build: {} bytes, sha256 {sha}", elf.len())), "{output}");
    // And not another one.
    let other = dir.join("other.so");
    let mut changed = elf.clone();
    changed[100] ^= 1;
    std::fs::write(&other, &changed).unwrap();
    let mut args = vec!["program", "verify", other.to_str().unwrap()];
    args.extend(common);
    args.extend(["--program-id", id_text.as_str()]);
    let (ok, output) = margin_cli(&args);
    assert!(!ok, "{output}");
    assert!(output.contains("does not hold this build"), "{output}");
    std::fs::remove_file(&other).unwrap();

    // Behaviour: a group at the deployed address.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let (ix, group) = init_group_at(&id, &payer.pubkey(), 1);
    send(&rpc, &payer, &[ix], &[]);
    let group_account = rpc.get_account(&group).unwrap();
    assert_eq!(group_account.owner, id);
    let decoded = margin_client::accounts::group(&group_account.data).unwrap();
    assert_eq!(decoded.admin, payer.pubkey().to_bytes());

    // Upgrade with a rebuilt .so (the build is reproducible: the same bytes).
    let mut args = vec!["program", "upgrade", so_arg];
    args.extend(common);
    args.extend(["--program-id", id_text.as_str()]);
    let (ok, output) = margin_cli(&args);
    assert!(ok, "{output}");
    assert!(output.contains(&format!("upgraded {id}")), "{output}");
    let upgraded = margin_ops::deploy::program_info(&rpc, &id).unwrap();
    assert!(upgraded.slot > info.slot, "redeployed in a later slot: {} -> {}", info.slot, upgraded.slot);
    std::thread::sleep(std::time::Duration::from_secs(1));
    // State survives; behaviour too (a second group).
    assert_eq!(rpc.get_account(&group).unwrap().data, group_account.data);
    let (ix, second) = init_group_at(&id, &payer.pubkey(), 2);
    send(&rpc, &payer, &[ix], &[]);
    assert_eq!(rpc.get_account(&second).unwrap().owner, id);

    // --program-id reaches every command: a market on this deployment, the
    // keeper cranking its pool (the bots' scans and instructions), and the
    // declared id, not deployed here, refused in one line.
    let token = mint(&rpc, &payer, 9);
    let market = dir.join("market.toml");
    std::fs::write(&market, format!("[group]\nseed = 5\n[[pool]]\nsymbol = \"TOK\"\nmint = \"{token}\"\n")).unwrap();
    let ours = margin_client::MarginProgram { id };
    let (group5, pool) = (ours.group(&payer.pubkey(), 5), ours.pool(&ours.group(&payer.pubkey(), 5), &token));
    let mut args = vec!["market", "init", "--config", market.to_str().unwrap(), "--program-id", id_text.as_str()];
    args.extend(common);
    let (ok, output) = margin_cli(&args);
    assert!(ok, "{output}");
    assert!(
        output.contains(&format!("group {group5}: created")) && output.contains(&format!("created {pool}")),
        "{output}"
    );
    assert_eq!(rpc.get_account(&pool).unwrap().owner, id);
    let mut args = vec!["keeper", "--max-age", "0", "--once", "--program-id", id_text.as_str()];
    args.extend(common);
    let (ok, output) = margin_cli(&args);
    assert!(ok, "{output}");
    assert!(output.contains(&format!("keeper: accrued pool {pool}")), "{output}");
    let pool_text = pool.to_string();
    let mut args = vec!["pool", "show", pool_text.as_str()];
    args.extend(common);
    let (ok, output) = margin_cli(&args);
    assert_eq!(output, format!("error: program {} is not deployed on {url}\n [exit status: 1]", program_id()));
    assert!(!ok);
    args.extend(["--program-id", id_text.as_str()]);
    let (ok, output) = margin_cli(&args);
    assert!(ok && output.contains("  status active\n"), "{output}");

    // A half-written buffer is resumed: only the chunk that differs is rewritten;
    // then it is closed and its rent comes back. (Ten chunks of the ELF: buffers
    // are checked only when deployed.)
    let buffer = Keypair::new();
    let mut log = |_: &str| {};
    let mut altered = elf[..10 * chunk].to_vec();
    margin_ops::deploy::write_buffer(&rpc, &payer, &buffer, &altered, &mut log).unwrap();
    altered[chunk + 7] ^= 0xff;
    let resumed = margin_ops::deploy::write_buffer(&rpc, &payer, &buffer, &altered, &mut log).unwrap();
    assert_eq!(resumed, margin_ops::deploy::Written { chunks: 10, sent: 1 });
    let rent = rpc.get_account(&buffer.pubkey()).unwrap().lamports;
    let before = rpc.get_balance(&payer.pubkey()).unwrap();
    let buffer_text = buffer.pubkey().to_string();
    let mut args = vec!["program", "close-buffer"];
    args.extend(common);
    args.extend(["--buffer", buffer_text.as_str()]);
    let (ok, output) = margin_cli(&args);
    assert!(ok, "{output}");
    assert!(rpc.get_account_with_commitment(&buffer.pubkey(), rpc.commitment()).unwrap().value.is_none());
    // The rent back, less the one signature's fee.
    assert_eq!(rpc.get_balance(&payer.pubkey()).unwrap(), before + rent - 5_000);

    // Immutable: the authority is gone and an upgrade is a one-line error.
    let mut args = vec!["program", "set-upgrade-authority"];
    args.extend(common);
    args.extend(["--program-id", id_text.as_str(), "--final"]);
    let (ok, output) = margin_cli(&args);
    assert!(ok, "{output}");
    assert_eq!(margin_ops::deploy::program_info(&rpc, &id).unwrap().upgrade_authority, None);
    let mut args = vec!["program", "upgrade", so_arg];
    args.extend(common);
    args.extend(["--program-id", id_text.as_str()]);
    let (ok, output) = margin_cli(&args);
    assert!(!ok);
    assert_eq!(output.trim(), format!("error: {id} is immutable (no upgrade authority)\n [exit status: 1]"));
}

/// A Pyth price of `usd` per whole token published at `at`, no confidence band.
fn usd_price(usd: i64, at: i64) -> OraclePrice {
    OraclePrice {
        price: usd * 100_000_000,
        conf: 0,
        expo: -8,
        publish_time: at,
        ema_price: usd * 100_000_000,
        ema_conf: 0,
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A validator with the margin program at genesis, transaction history on (the
/// tests read back what the bots sent), mainnet-beta's features, and a legacy Pyth
/// price account per `(address, price)` (no Pyth program runs here).
fn start_validator(oracles: &[(Pubkey, OraclePrice)]) -> (solana_test_validator::TestValidator, Keypair) {
    let mut genesis = margin_genesis();
    for (key, price) in oracles {
        genesis.add_account(*key, AccountSharedData::from(legacy_oracle(price)));
    }
    genesis.start()
}

/// A validator genesis with the margin program, transaction history on (the
/// tests read back what the bots sent) and mainnet-beta's runtime, not every
/// feature the validator knows.
fn margin_genesis() -> TestValidatorGenesis {
    std::env::set_var("SBF_OUT_DIR", program_dir());
    let mut genesis = TestValidatorGenesis::default();
    genesis.rpc_config(solana_rpc::rpc::JsonRpcConfig {
        enable_rpc_transaction_history: true,
        ..solana_rpc::rpc::JsonRpcConfig::default_for_test()
    });
    genesis.add_program("margin", program_id());
    genesis.deactivate_features(&FeatureSet::MainnetBeta.inactive());
    genesis
}

fn legacy_oracle(price: &OraclePrice) -> Account {
    Account {
        lamports: 1_000_000_000,
        data: legacy_trading(price),
        owner: Pubkey::new_from_array(PYTH_LEGACY_PROGRAM_ID),
        ..Account::default()
    }
}

/// Publishes `price` into the legacy price account `key`, as Pyth's publishers
/// would (no oracle program runs here): [`store_account`].
fn publish_price(
    validator: &solana_test_validator::TestValidator,
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    key: &Pubkey,
    price: &OraclePrice,
) {
    store_account(validator, rpc, key, legacy_oracle(price));
}

/// Writes `account` at `key` straight into the validator's working bank, under
/// the bank's freeze lock so the slot cannot close mid-write; returns once the
/// RPC reads it at confirmed commitment.
fn store_account(
    validator: &solana_test_validator::TestValidator,
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    key: &Pubkey,
    account: Account,
) {
    let data = account.data.clone();
    let account = AccountSharedData::from(account);
    loop {
        let bank = validator.bank_forks().read().unwrap().working_bank();
        let frozen = bank.freeze_lock();
        if *frozen == Default::default() {
            bank.store_account(key, &account);
            break;
        }
        drop(frozen);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for _ in 0..150 {
        // The bots read at confirmed; `rpc` reads at processed, which runs ahead.
        let confirmed = rpc.get_account_with_commitment(key, solana_commitment_config::CommitmentConfig::confirmed());
        if confirmed.ok().and_then(|read| read.value).is_some_and(|a| a.data == data) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("the account {key} was not confirmed within 30 s");
}

/// Group (seed 0, admin = payer) and one pool per `(decimals, legacy oracle)`,
/// oracle ages generous; two pools per transaction.
fn market(
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    payer: &Keypair,
    pools: &[(u8, Pubkey)],
) -> (Pubkey, Vec<PoolKeys>) {
    send(rpc, payer, &[instructions::init_group(&payer.pubkey(), &payer.pubkey(), 0, &payer.pubkey())], &[]);
    let group = pda::group(&payer.pubkey(), 0);
    let mut keys = Vec::new();
    for chunk in pools.chunks(2) {
        let mut ixs = Vec::new();
        for &(decimals, oracle) in chunk {
            let mint = mint(rpc, payer, decimals);
            let pool = PoolKeys::derive(&group, &mint, &spl_token_id());
            let mut config = default_pool_config();
            config.oracle.kind = OracleKind::PythLegacy as u8;
            config.oracle.address = oracle.to_bytes();
            config.oracle.max_age_secs = 3_600;
            ixs.push(instructions::create_pool(&payer.pubkey(), &payer.pubkey(), &pool, config));
            keys.push(pool);
        }
        send(rpc, payer, &ixs, &[]);
    }
    (group, keys)
}

/// A lender of 10,000 USDC in `usdc`, and a borrower holding 10 SOL in `sol` and
/// owing 700 USDC (Maintenance health $115 at SOL $100). Returns the borrower's
/// key and margin account.
fn lender_and_borrower(
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    payer: &Keypair,
    group: &Pubkey,
    (sol, sol_oracle): (&PoolKeys, Pubkey),
    (usdc, usdc_oracle): (&PoolKeys, Pubkey),
) -> (Keypair, Pubkey) {
    let lender_margin = pda::margin_account(group, &payer.pubkey(), 0);
    let lender_usdc = token_account(rpc, payer, &usdc.mint, &payer.pubkey(), 10_000_000_000);
    send(
        rpc,
        payer,
        &[
            instructions::open_margin_account(&payer.pubkey(), &payer.pubkey(), group, 0, OpenKind::Cross),
            instructions::deposit(&payer.pubkey(), &lender_margin, usdc, &lender_usdc, 10_000_000_000),
        ],
        &[],
    );
    let borrower = Keypair::new();
    let victim = pda::margin_account(group, &borrower.pubkey(), 0);
    let sol_wallet = token_account(rpc, payer, &sol.mint, &borrower.pubkey(), 10_000_000_000);
    let usdc_out = token_account(rpc, payer, &usdc.mint, &borrower.pubkey(), 0);
    let metas: Vec<solana_sdk::instruction::AccountMeta> = [(sol.pool, sol_oracle), (usdc.pool, usdc_oracle)]
        .iter()
        .flat_map(|(pool, oracle)| {
            [
                solana_sdk::instruction::AccountMeta::new_readonly(*pool, false),
                solana_sdk::instruction::AccountMeta::new_readonly(*oracle, false),
            ]
        })
        .collect();
    send(
        rpc,
        payer,
        &[
            instructions::open_margin_account(&payer.pubkey(), &borrower.pubkey(), group, 0, OpenKind::Cross),
            instructions::deposit(&borrower.pubkey(), &victim, sol, &sol_wallet, 10_000_000_000),
            instructions::borrow(&borrower.pubkey(), &victim, usdc, &usdc_out, 700_000_000, &metas),
        ],
        &[&borrower],
    );
    (borrower, victim)
}

/// A funded liquidator key with a cross margin account and `usdc_units` of USDC.
fn liquidator_setup(
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    payer: &Keypair,
    group: &Pubkey,
    usdc: &PoolKeys,
    usdc_units: u64,
) -> (Keypair, Pubkey, Pubkey) {
    let liquidator = Keypair::new();
    send(
        rpc,
        payer,
        &[
            margin_tests_transfer(&payer.pubkey(), &liquidator.pubkey(), 2_000_000_000),
            instructions::open_margin_account(&payer.pubkey(), &liquidator.pubkey(), group, 0, OpenKind::Cross),
        ],
        &[&liquidator],
    );
    let margin = pda::margin_account(group, &liquidator.pubkey(), 0);
    let wallet = token_account(rpc, payer, &usdc.mint, &liquidator.pubkey(), usdc_units);
    (liquidator, margin, wallet)
}

fn token_balance(rpc: &solana_rpc_client::rpc_client::RpcClient, account: &Pubkey) -> u64 {
    rpc.get_token_account_balance(account).unwrap().amount.parse().unwrap()
}

/// The borrow shares of `pool` in margin account `key`.
fn borrow_shares(rpc: &solana_rpc_client::rpc_client::RpcClient, key: &Pubkey, pool: &Pubkey) -> u64 {
    let account = margin_client::accounts::margin_account(&rpc.get_account(key).unwrap().data).unwrap();
    account.active().iter().find(|p| p.pool == pool.to_bytes()).map_or(0, |p| p.borrow_shares)
}

/// The streaming liquidator, started in a thread against the validator's RPC and
/// websocket endpoints, loads the market once, then liquidates a borrower made
/// unhealthy by a published price as the notification arrives: no second scan.
#[test]
fn the_streaming_liquidator_liquidates_on_a_price_notification_without_a_rescan() {
    use margin_ops::{
        bots::{Attempt, Liquidator, Rpc},
        stream::{StreamConfig, StreamingLiquidator},
    };
    use std::sync::{atomic::AtomicBool, mpsc, Arc};
    let _one_at_a_time = VALIDATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let now = unix_now();
    let (sol_oracle, usdc_oracle) = (Pubkey::new_unique(), Pubkey::new_unique());
    let (validator, payer) = start_validator(&[(sol_oracle, usd_price(100, now)), (usdc_oracle, usd_price(1, now))]);
    let rpc = validator.get_rpc_client();
    let (group, pools) = market(&rpc, &payer, &[(9, sol_oracle), (6, usdc_oracle)]);
    let (sol, usdc) = (pools[0], pools[1]);
    let (_borrower, victim) = lender_and_borrower(&rpc, &payer, &group, (&sol, sol_oracle), (&usdc, usdc_oracle));
    let (liquidator, liquidator_margin, liquidator_usdc) = liquidator_setup(&rpc, &payer, &group, &usdc, 5_000_000_000);
    let debt_before = borrow_shares(&rpc, &victim, &usdc.pool);

    let (url, ws_url) = (validator.rpc_url(), validator.rpc_pubsub_url());
    let (ready_tx, ready) = mpsc::channel();
    let (attempt_tx, attempts) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let key_bytes = liquidator.to_bytes();
    let started = std::time::Instant::now();
    let bot_thread = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let signer = Keypair::try_from(&key_bytes[..]).unwrap();
            let mut bot = Liquidator::new(&signer, liquidator_margin);
            bot.wallets.insert(usdc.mint, liquidator_usdc);
            bot.min_profit_usd = 0.0;
            let mut chain = Rpc::new(&url);
            let mut config = StreamConfig::new(&ws_url);
            // No resync within the test: whatever it sees comes from notifications.
            config.resync = std::time::Duration::from_secs(3_600);
            config.tick = std::time::Duration::from_millis(100);
            let mut log = |line: &str| println!("{line}");
            let mut streaming = StreamingLiquidator::connect(&mut chain, &bot, config, &mut log)?;
            let index = streaming.index();
            ready_tx
                .send((streaming.stats(), index.len(), index.liquidatable().len(), streaming.oracle_subscriptions()))
                .unwrap();
            streaming
                .run(&mut chain, &stop, &mut log, &mut |attempt: &Attempt| attempt_tx.send(attempt.clone()).unwrap())
        }
    });
    let (stats, indexed, liquidatable, oracles) =
        ready.recv_timeout(std::time::Duration::from_secs(60)).expect("the streaming liquidator connects");
    // One load: only the borrower has debt; nobody is liquidatable at $100; both
    // pools' oracles watched.
    assert_eq!((stats.full_scans, indexed, liquidatable, oracles), (1, 1, 0, 2));
    println!("connected after {:?}", started.elapsed());

    // SOL at $85: Maintenance health 722.50 - 735 = -$12.50.
    let published = std::time::Instant::now();
    publish_price(&validator, &rpc, &sol_oracle, &usd_price(85, unix_now()));
    let attempt = attempts.recv_timeout(std::time::Duration::from_secs(60)).expect("a liquidation attempt");
    let latency = published.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let stats = bot_thread.join().unwrap().expect("the run ends without error");
    let Attempt::Liquidated { account, asset_pool, liability_pool, repaid, sent, .. } = attempt else {
        panic!("not a liquidation: {attempt:?}")
    };
    println!("liquidated {latency:?} after the price was published; {stats:?}");
    assert_eq!((account, asset_pool, liability_pool, sent.legacy), (victim, sol.pool, usdc.pool, true));
    // Still the one full load: the liquidation came from the price notification.
    assert_eq!((stats.full_scans, stats.passes, stats.liquidations), (1, 1, 1));
    assert_eq!(stats.price_updates, 1, "one price published, one notification");
    // Exactly the planned repay left the wallet, and the debt shares it buys were burned.
    assert_eq!(token_balance(&rpc, &liquidator_usdc), 5_000_000_000 - repaid);
    let pool = margin_client::accounts::pool(&rpc.get_account(&usdc.pool).unwrap().data).unwrap();
    let burned = margin_interface::fixed::div_q64_floor(repaid, pool.borrow_share_value()).unwrap();
    assert_eq!(borrow_shares(&rpc, &victim, &usdc.pool), debt_before - burned);
}

/// The transaction `signature` as the validator recorded it (its history is
/// written a moment after confirmation).
fn recorded_transaction(
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    signature: &solana_sdk::signature::Signature,
) -> solana_transaction_status_client_types::EncodedTransactionWithStatusMeta {
    let config = solana_rpc_client_types::config::RpcTransactionConfig {
        encoding: Some(solana_transaction_status_client_types::UiTransactionEncoding::Base64),
        commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    (0..50)
        .find_map(|_| {
            rpc.get_transaction_with_config(signature, config).ok().or_else(|| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                None
            })
        })
        .unwrap_or_else(|| panic!("{signature} is not on chain"))
        .transaction
}

/// A cross account with 16 positions (SOL, the USDC debt, 14 small deposits) is
/// liquidated by the bot over JSON-RPC: the transaction does not fit a legacy
/// packet, so the bot creates a lookup table, extends it with exactly the
/// liquidation's accounts and sends v0; the next round reuses the table as it is.
#[test]
fn a_16_position_liquidation_creates_extends_and_reuses_a_lookup_table() {
    use margin_client::{
        health::health_account_metas,
        instructions::SeizeAccounts,
        transaction::{decode_lookup_table, legacy_size, PACKET_LIMIT},
    };
    use margin_ops::bots::{liquidator_once, Attempt, Liquidator, Rpc};
    let _one_at_a_time = VALIDATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let started = std::time::Instant::now();
    let now = unix_now();
    let oracles: Vec<(Pubkey, OraclePrice)> =
        (0..16).map(|i| (Pubkey::new_unique(), usd_price(if i == 0 { 100 } else { 1 }, now))).collect();
    let (validator, payer) = start_validator(&oracles);
    let rpc = validator.get_rpc_client();
    let specs: Vec<(u8, Pubkey)> =
        oracles.iter().enumerate().map(|(i, (key, _))| (if i == 0 { 9 } else { 6 }, *key)).collect();
    let (group, pools) = market(&rpc, &payer, &specs);
    let (sol, usdc) = (pools[0], pools[1]);
    let (sol_oracle, usdc_oracle) = (oracles[0].0, oracles[1].0);
    let (borrower, victim) = lender_and_borrower(&rpc, &payer, &group, (&sol, sol_oracle), (&usdc, usdc_oracle));
    // 14 more positions: 0.01 token ($0.01) in each other pool, two pools a transaction.
    for chunk in pools[2..].chunks(2) {
        let mut ixs = Vec::new();
        let wallets: Vec<Keypair> = chunk.iter().map(|_| Keypair::new()).collect();
        let rent = rpc.get_minimum_balance_for_rent_exemption(TokenAccount::LEN).unwrap();
        for (pool, wallet) in chunk.iter().zip(&wallets) {
            let (owner, account) = (borrower.pubkey(), wallet.pubkey());
            ixs.push(create_account_ix(&payer.pubkey(), &account, rent, TokenAccount::LEN as u64, &spl_token_id()));
            ixs.push(token_ix::initialize_account3(&spl_token_id(), &account, &pool.mint, &owner).unwrap());
            ixs.push(token_ix::mint_to(&spl_token_id(), &pool.mint, &account, &payer.pubkey(), &[], 10_000).unwrap());
            ixs.push(instructions::deposit(&owner, &victim, pool, &account, 10_000));
        }
        let mut signers: Vec<&Keypair> = wallets.iter().collect();
        signers.push(&borrower);
        send(&rpc, &payer, &ixs, &signers);
    }
    let positions = margin_client::accounts::margin_account(&rpc.get_account(&victim).unwrap().data).unwrap();
    assert_eq!(positions.active().len(), 16);
    let (liquidator, liquidator_margin, liquidator_usdc) = liquidator_setup(&rpc, &payer, &group, &usdc, 5_000_000_000);
    let setup = started.elapsed();

    // What the liquidation names besides signers and the program: exactly what
    // the table must hold (the repay does not change the accounts).
    let oracle_of = |pool: &Pubkey| oracles[pools.iter().position(|p| p.pool == *pool).unwrap()].0;
    let metas = health_account_metas(positions.active(), oracle_of);
    let seize = SeizeAccounts {
        keeper: liquidator.pubkey(),
        keeper_margin: liquidator_margin,
        account: victim,
        asset: &sol,
        liability: &usdc,
        source: liquidator_usdc,
        account_health: &metas,
        keeper_health: &[],
    };
    let liquidate = instructions::liquidate_with(&seize, 1);
    let mut expected: Vec<Pubkey> = Vec::new();
    for meta in &liquidate.accounts {
        if !meta.is_signer && meta.pubkey != program_id() && !expected.contains(&meta.pubkey) {
            expected.push(meta.pubkey);
        }
    }
    let budgeted = margin_client::budget::with_budget(margin_client::budget::MAX_COMPUTE_UNIT_LIMIT, 0, &[liquidate]);
    let legacy = legacy_size(&liquidator.pubkey(), &budgeted);
    assert_eq!((legacy, PACKET_LIMIT), (1_520, 1_232), "the 16-position liquidation does not fit legacy");

    let mut bot = Liquidator::new(&liquidator, liquidator_margin);
    bot.wallets.insert(usdc.mint, liquidator_usdc);
    bot.min_profit_usd = 0.0;
    let mut chain = Rpc::new(&validator.rpc_url());
    let mut lines = Vec::new();
    let mut round = |price: i64, lines: &mut Vec<String>| {
        publish_price(&validator, &rpc, &sol_oracle, &usd_price(price, unix_now()));
        let attempts = liquidator_once(&mut chain, &bot, &mut |line: &str| {
            println!("{line}");
            lines.push(line.to_string());
        })
        .expect("a pass");
        let [Attempt::Liquidated { account, repaid, sent, .. }] = attempts.as_slice() else {
            panic!("one liquidation expected: {attempts:?}")
        };
        assert_eq!(*account, victim);
        (*repaid, sent.clone())
    };

    // SOL at $85: liquidatable (Maintenance health about -$12.50).
    let first_started = std::time::Instant::now();
    let (first_repaid, first) = round(85, &mut lines);
    let first_time = first_started.elapsed();
    let tables: Vec<Pubkey> = bot.tables.borrow().iter().map(|t| t.key).collect();
    assert_eq!(tables.len(), 1, "one table created");
    let table = tables[0];
    assert_eq!((first.legacy, first.lookup_tables.clone()), (false, vec![table]));
    let created = |lines: &[String]| lines.iter().filter(|l| l.contains("creating lookup table")).count();
    assert_eq!(created(&lines), 1);
    // On chain: the bot's table (its authority), extended with exactly those accounts.
    let (authority, addresses) = decode_lookup_table(&rpc.get_account(&table).unwrap().data).unwrap();
    assert_eq!((authority, addresses.clone()), (Some(liquidator.pubkey()), expected.clone()));
    // 9 of its own (the two margin accounts, the group, the pools, the debt vault, the
    // wallet, the mint, the token program) and the 14 other pools and 16 oracles.
    assert_eq!(expected.len(), 39);
    // It landed as v0 through that table.
    let landed = recorded_transaction(&rpc, &first.signature.unwrap());
    assert_eq!(landed.version, Some(solana_sdk::transaction::TransactionVersion::Number(0)));
    let tx = landed.transaction.decode().unwrap();
    let lookups = tx.message.address_table_lookups().unwrap();
    assert_eq!(lookups.iter().map(|l| l.account_key).collect::<Vec<_>>(), vec![table]);
    assert_eq!((first.size, margin_client::transaction::serialized_size(&tx)), (347, 347));

    // SOL at $75: liquidatable again; the same table, no creation, no extension.
    let second_started = std::time::Instant::now();
    let (second_repaid, second) = round(75, &mut lines);
    let second_time = second_started.elapsed();
    assert_eq!((second.legacy, second.lookup_tables.clone(), second.size), (false, vec![table], 347));
    assert_eq!(bot.tables.borrow().len(), 1);
    assert_eq!(created(&lines), 1);
    assert_eq!(decode_lookup_table(&rpc.get_account(&table).unwrap().data).unwrap().1, addresses);
    let landed = recorded_transaction(&rpc, &second.signature.unwrap());
    let tx = landed.transaction.decode().unwrap();
    assert_eq!(tx.message.address_table_lookups().unwrap()[0].account_key, table);
    assert_eq!(token_balance(&rpc, &liquidator_usdc), 5_000_000_000 - first_repaid - second_repaid);
    println!(
        "setup {setup:?}; first liquidation (table created and extended) {first_time:?}, {} bytes v0 ({legacy} legacy); second {second_time:?}, {} bytes",
        first.size, second.size
    );
}
