//! `margin`: the command-line entry point. `margin demo [--users N] [--days N]`
//! runs the scripted scenario on the embedded SVM with the real program.

use std::process::ExitCode;

use margin_client::demo::{self, DemoConfig};

const USAGE: &str = "usage: margin demo [--users N] [--days N]";

fn parse_demo(args: &[String]) -> Result<DemoConfig, String> {
    let mut config = DemoConfig::default();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: usize = value.parse().map_err(|_| format!("{flag}: '{value}' is not a number"))?;
        match flag.as_str() {
            "--users" => config.users = number.max(2),
            "--days" => config.days = (number as u32).max(2),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(config)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => {
            let config = match parse_demo(&args[1..]) {
                Ok(config) => config,
                Err(message) => {
                    eprintln!("{message}\n{USAGE}");
                    return ExitCode::from(2);
                }
            };
            match demo::run(config, |line| println!("{line}")) {
                Ok(summary) => {
                    print!("\n{}", demo::render(&summary));
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("demo failed: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
