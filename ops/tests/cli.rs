//! The `margin` binary fails clearly (one line, exit status 1; clap's usage
//! errors exit 2; never a panic) on bad input, documents every subcommand in
//! `--help`, takes its defaults from the Solana CLI config, checks a market file
//! before contacting any cluster, and its bots run inside the embedded SVM
//! without `--url`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use clap::CommandFactory;

/// Runs `margin` with `HOME` at `home` (no Solana CLI config unless the test
/// writes one there): exit code, stdout, stderr.
fn margin_in(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_margin")).args(args).env("HOME", home).output().expect("run margin");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("margin-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn margin(args: &[&str]) -> (i32, String, String) {
    margin_in(&temp_dir("home"), args)
}

fn write_keypair(path: &Path) {
    let key = solana_sdk::signature::Keypair::new();
    std::fs::write(path, format!("{:?}", key.to_bytes().to_vec())).unwrap();
}

/// Asserts a one-line `error: ...` with exit status 1 and returns the message.
fn one_line_error((code, _, stderr): (i32, String, String)) -> String {
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("error: ") && stderr.ends_with('\n') && stderr.lines().count() == 1, "{stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr.trim_end().to_string()
}

const UNREACHABLE: &str = "http://127.0.0.1:1";
const SOME_ADDRESS: &str = "SysvarC1ock11111111111111111111111111111111";

#[test]
fn missing_keypair_is_a_clear_error() {
    let message =
        one_line_error(margin(&["keeper", "--rpc-url", UNREACHABLE, "--keypair", "/nonexistent/key.json", "--once"]));
    assert!(message.starts_with("error: cannot read keypair /nonexistent/key.json"), "{message}");
}

#[test]
fn unreachable_rpc_is_a_clear_error() {
    let dir = temp_dir("unreachable");
    let path = dir.join("id.json");
    write_keypair(&path);
    let key = path.to_str().unwrap();
    for command in ["keeper", "liquidator"] {
        let mut args = vec![command, "--rpc-url", UNREACHABLE, "--keypair", key, "--once"];
        if command == "liquidator" {
            args.extend(["--margin-account", "11111111111111111111111111111111"]);
        }
        let message = one_line_error(margin(&args));
        assert!(message.starts_with("error: RPC failure"), "{command}: {message}");
    }
    // The operator commands too, with the new spellings.
    for args in [
        vec!["pool", "show", SOME_ADDRESS, "-u", UNREACHABLE],
        vec!["account", "show", SOME_ADDRESS, "--url", UNREACHABLE],
        vec!["accounts", "list", "-u", UNREACHABLE, "--unhealthy"],
        vec!["risk", "--account", SOME_ADDRESS, "-u", UNREACHABLE],
    ] {
        let message = one_line_error(margin(&args));
        assert!(message.starts_with("error: RPC failure"), "{args:?}: {message}");
    }
    // Not a URL nor a moniker: a usage error.
    let (code, _, stderr) = margin(&["keeper", "--rpc-url", "not a url", "--keypair", key, "--once"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("expected localhost, devnet, testnet, mainnet-beta or an http(s) URL"), "{stderr}");
}

#[test]
fn bad_arguments_exit_non_zero() {
    for args in [
        vec!["keeper", "--max-age", "soon"],
        vec!["liquidator", "--bogus", "1"],
        vec!["nonsense"],
        vec![],
        vec!["pool", "status", SOME_ADDRESS, "closed"],
        vec!["program", "set-upgrade-authority"],
        vec!["keeper", "--priority-fee", "1", "--fee-percentile", "50"],
        vec!["keeper", "--fee-percentile", "101"],
    ] {
        let (code, _, stderr) = margin(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Every command and subcommand answers `--help` (exit 0) and lists each of its
/// flags and the global ones.
#[test]
fn help_works_on_every_subcommand() {
    fn walk(command: &clap::Command, path: Vec<String>, found: &mut Vec<(Vec<String>, Vec<String>)>) {
        let flags = command.get_arguments().filter_map(|a| a.get_long().map(|l| format!("--{l}"))).collect();
        found.push((path.clone(), flags));
        for sub in command.get_subcommands() {
            let mut path = path.clone();
            path.push(sub.get_name().to_string());
            walk(sub, path, found);
        }
    }
    let mut found = Vec::new();
    walk(&margin_ops::cli::Cli::command(), Vec::new(), &mut found);
    assert!(found.len() >= 20, "{} commands", found.len());
    for (path, flags) in found {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let (code, stdout, stderr) = margin(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        for flag in
            flags.iter().chain(&["--url".to_string(), "--keypair".into(), "--program-id".into(), "--output".into()])
        {
            if flag == "--help" || flag == "--version" {
                continue;
            }
            assert!(stdout.contains(flag.as_str()), "{args:?} does not mention {flag}:\n{stdout}");
        }
    }
    // The old spelling is accepted but not advertised.
    let (_, stdout, _) = margin(&["keeper", "--help"]);
    assert!(!stdout.contains("--rpc-url"), "{stdout}");
}

#[test]
fn the_solana_cli_config_gives_the_default_url_and_keypair() {
    let home = temp_dir("config");
    // No config: no cluster, and the keypair is the Solana CLI's default path.
    let message = one_line_error(margin_in(&home, &["accounts", "list"]));
    assert_eq!(
        message,
        "error: no cluster: pass -u/--url (localhost, devnet, testnet, mainnet-beta or a URL) or set one with `solana config set --url`"
    );
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/market.toml");
    let message = one_line_error(margin_in(&home, &["market", "init", "--config", example, "-u", UNREACHABLE]));
    let default_key = home.join(".config/solana/id.json");
    assert!(message.starts_with(&format!("error: cannot read keypair {}:", default_key.display())), "{message}");

    // A config (as `solana config set` writes it): its URL and keypair.
    let config_dir = home.join(".config/solana/cli");
    std::fs::create_dir_all(&config_dir).unwrap();
    let key = home.join("from-config.json");
    let config = |url: &str| {
        format!(
            "---\njson_rpc_url: \"{url}\"\nwebsocket_url: \"\"\nkeypair_path: {}\naddress_labels:\n  \"11111111111111111111111111111111\": System Program\ncommitment: confirmed\n",
            key.display()
        )
    };
    std::fs::write(config_dir.join("config.yml"), config(UNREACHABLE)).unwrap();
    let message = one_line_error(margin_in(&home, &["market", "init", "--config", example]));
    assert!(message.starts_with(&format!("error: cannot read keypair {}:", key.display())), "{message}");
    write_keypair(&key);
    let message = one_line_error(margin_in(&home, &["accounts", "list"]));
    assert!(message.starts_with("error: RPC failure") && message.contains("127.0.0.1:1"), "{message}");
    // Monikers in the config too; --url wins over it.
    std::fs::write(config_dir.join("config.yml"), config("localhost")).unwrap();
    let message = one_line_error(margin_in(&home, &["accounts", "list", "-u", UNREACHABLE]));
    assert!(message.contains("127.0.0.1:1"), "{message}");
    // Another config file with --solana-config; a missing one is an error.
    let other = home.join("other.yml");
    std::fs::write(&other, config(UNREACHABLE)).unwrap();
    let message = one_line_error(margin_in(&home, &["accounts", "list", "--solana-config", other.to_str().unwrap()]));
    assert!(message.contains("127.0.0.1:1"), "{message}");
    let message = one_line_error(margin_in(&home, &["accounts", "list", "--solana-config", "/nonexistent.yml"]));
    assert!(message.starts_with("error: cannot read the Solana CLI config /nonexistent.yml"), "{message}");
}

/// A bad field is named, with its bound, before the keypair is read or any
/// cluster is contacted (nothing can have been sent).
#[test]
fn a_bad_market_file_is_one_line_naming_the_field() {
    let dir = temp_dir("market");
    let path = dir.join("market.toml");
    let file = path.to_str().unwrap();
    let init = ["market", "init", "--config", file, "-u", UNREACHABLE, "-k", "/nonexistent/key.json"];
    let cases = [
        (
            "[group]\nseed = 1\n[[pool]]\nsymbol = \"SOL\"\nmint = \"So11111111111111111111111111111111111111112\"\nmaint_asset_weight_bps = 9000\ninit_asset_weight_bps = 12000\n",
            "pool \"SOL\": init_asset_weight_bps = 12000 is out of bounds (at most maint_asset_weight_bps 9000)",
        ),
        (
            "[group]\nseed = 1\n[[pool]]\nsymbol = \"SOL\"\nmint = \"So11111111111111111111111111111111111111112\"\n[pool.oracle]\nkind = \"pyth-pull\"\nfeed_id = \"05\"\n",
            "pool \"SOL\": oracle.feed_id = '05' is not 32 bytes of hex (64 digits, optional 0x)",
        ),
        (
            "[group]\nseed = 1\n[[pool]]\nsymbol = \"X\"\nmint = \"not-a-key\"\n",
            "pool \"X\": mint = 'not-a-key' is not a base58 address",
        ),
        ("[[pool]]\nmint = \"So11111111111111111111111111111111111111112\"\n", "[group] is missing (seed, optional config_delay_secs and fee_destination)"),
    ];
    for (toml, expected) in cases {
        std::fs::write(&path, toml).unwrap();
        assert_eq!(one_line_error(margin(&init)), format!("error: {file}: {expected}"));
    }
    // Unknown fields are errors, with where they are.
    std::fs::write(&path, "[group]\nseed = 1\ncolor = \"red\"\n").unwrap();
    let message = one_line_error(margin(&init));
    assert!(message.starts_with(&format!("error: {file}: unknown field `color`")), "{message}");
    // The committed example passes every check: the next error is the keypair.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/market.toml");
    let message = one_line_error(margin(&[
        "market",
        "init",
        "--config",
        example,
        "-k",
        "/nonexistent/key.json",
        "-u",
        UNREACHABLE,
    ]));
    assert!(message.starts_with("error: cannot read keypair /nonexistent/key.json"), "{message}");
    let message = one_line_error(margin(&["market", "init", "--config", "/nonexistent.toml"]));
    assert!(message.starts_with("error: cannot read /nonexistent.toml"), "{message}");
}

#[test]
fn the_bots_refuse_json_output() {
    let message = one_line_error(margin(&["keeper", "--once", "--output", "json"]));
    assert_eq!(message, "error: keeper prints a log: --output json is not supported");
}

#[test]
fn bots_run_on_the_embedded_svm_without_rpc_url() {
    let (code, stdout, stderr) = margin(&["liquidator"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("keeper: accrued pool"), "{stdout}");
    assert!(stdout.contains("liquidated"), "{stdout}");
}
