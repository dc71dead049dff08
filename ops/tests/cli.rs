//! The `margin` binary fails clearly (non-zero exit, a sentence, no panic) on bad
//! input, and its bots run inside the embedded SVM without `--rpc-url`.

use std::process::Command;

fn margin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_margin")).args(args).output().expect("run margin");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn missing_keypair_is_a_clear_error() {
    let (code, _, stderr) =
        margin(&["keeper", "--rpc-url", "http://127.0.0.1:1", "--keypair", "/nonexistent/key.json", "--once"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot read keypair /nonexistent/key.json"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn unreachable_rpc_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("margin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("id.json");
    let key = solana_sdk::signature::Keypair::new();
    std::fs::write(&path, format!("{:?}", key.to_bytes().to_vec())).unwrap();
    for command in ["keeper", "liquidator"] {
        let mut args = vec![command, "--rpc-url", "http://127.0.0.1:1", "--keypair", path.to_str().unwrap(), "--once"];
        if command == "liquidator" {
            args.extend(["--margin-account", "11111111111111111111111111111111"]);
        }
        let (code, _, stderr) = margin(&args);
        assert_ne!(code, 0, "{command}");
        assert!(stderr.contains("RPC failure"), "{command}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let (code, _, stderr) =
        margin(&["keeper", "--rpc-url", "not a url", "--keypair", path.to_str().unwrap(), "--once"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("error:") && !stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_arguments_exit_non_zero() {
    for args in [vec!["keeper", "--max-age", "soon"], vec!["liquidator", "--bogus", "1"], vec!["nonsense"], vec![]] {
        let (code, _, stderr) = margin(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn bots_run_on_the_embedded_svm_without_rpc_url() {
    let (code, stdout, stderr) = margin(&["liquidator"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("keeper: accrued pool"), "{stdout}");
    assert!(stdout.contains("liquidated"), "{stdout}");
}
