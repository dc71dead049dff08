//! `margin`: the command line (`margin --help`; every command and flag in
//! docs/keeper.md). The parsing and the commands are `margin_ops::cli`.

use std::process::ExitCode;

use clap::Parser;
use margin_ops::cli::{self, Cli};

fn main() -> ExitCode {
    // Usage errors exit 2 (clap); failures print one line and exit 1.
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
