//! `margin program deploy|upgrade|set-upgrade-authority|close-buffer|show|verify`:
//! the upgradeable loader ([`crate::deploy`]). The program is `--program-id`
//! (default: the declared id); `deploy` takes the program keypair instead.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;
use solana_sdk::{
    pubkey::Pubkey,
    signature::{read_keypair_file, write_keypair_file, Keypair, Signer},
};

use super::{hex, pubkey_arg, CliError, Context};
use crate::deploy;

/// `margin program ...`.
#[derive(Subcommand, Debug)]
pub enum ProgramCommand {
    /// Write SO into a buffer and deploy it at the program keypair's address,
    /// with the keypair as upgrade authority.
    Deploy(DeployArgs),
    /// Write SO into a buffer and upgrade --program-id to it.
    Upgrade(UpgradeArgs),
    /// Hand the upgrade authority over, or make the program immutable.
    SetUpgradeAuthority(AuthorityArgs),
    /// Close a buffer (a half-written one) and return its rent.
    CloseBuffer(CloseArgs),
    /// Last deploy slot, upgrade authority and room of --program-id.
    Show,
    /// Check that --program-id holds exactly this build; print its SHA-256.
    Verify(VerifyArgs),
}

/// `margin program deploy`.
#[derive(Args, Debug)]
pub struct DeployArgs {
    /// The program's ELF
    #[arg(value_name = "SO")]
    so: PathBuf,
    /// Keypair of the program's address
    #[arg(long, value_name = "PATH")]
    program_keypair: PathBuf,
    #[command(flatten)]
    buffer: BufferArg,
    /// Room for the ELF in bytes (upgrades up to it need no extension)
    /// [default: twice the ELF]
    #[arg(long, value_name = "BYTES")]
    max_len: Option<usize>,
}

/// `margin program upgrade`.
#[derive(Args, Debug)]
pub struct UpgradeArgs {
    /// The new ELF
    #[arg(value_name = "SO")]
    so: PathBuf,
    #[command(flatten)]
    buffer: BufferArg,
}

/// Which buffer to write through.
#[derive(Args, Debug)]
struct BufferArg {
    /// Buffer keypair: resumes a failed write [default: a new one, saved next to
    /// SO until the loader consumes the buffer]
    #[arg(long, value_name = "PATH")]
    buffer_keypair: Option<PathBuf>,
}

/// `margin program set-upgrade-authority`.
#[derive(Args, Debug)]
pub struct AuthorityArgs {
    /// The new upgrade authority
    #[arg(long, value_name = "ADDR", value_parser = pubkey_arg, required_unless_present = "final", conflicts_with = "final")]
    new_authority: Option<Pubkey>,
    /// Make the program immutable (no authority)
    #[arg(long = "final", id = "final")]
    make_final: bool,
}

/// `margin program close-buffer`.
#[derive(Args, Debug)]
pub struct CloseArgs {
    /// The buffer
    #[arg(long, value_name = "ADDR", value_parser = pubkey_arg)]
    buffer: Pubkey,
    /// Receives the rent [default: the keypair]
    #[arg(long, value_name = "ADDR", value_parser = pubkey_arg)]
    recipient: Option<Pubkey>,
}

/// `margin program verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The build to compare
    #[arg(value_name = "SO")]
    so: PathBuf,
}

fn read_keypair(path: &Path) -> Result<Keypair, CliError> {
    read_keypair_file(path).map_err(|e| format!("cannot read keypair {}: {e}", path.display()))
}

fn read_elf(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The buffer keypair: given, or new and saved next to the `.so` until the
/// loader consumes the buffer (so a failed write can be resumed or closed).
fn buffer(arg: &BufferArg, so: &Path) -> Result<(Keypair, Option<String>), CliError> {
    match &arg.buffer_keypair {
        Some(path) => Ok((read_keypair(path)?, None)),
        None => {
            let keypair = Keypair::new();
            let file = format!("{}.buffer-{}.json", so.display(), keypair.pubkey());
            write_keypair_file(&keypair, &file).map_err(|e| format!("cannot write {file}: {e}"))?;
            Ok((keypair, Some(file)))
        }
    }
}

/// After a failure: how to resume, if a buffer was created; else the generated
/// keypair file goes.
fn resume_hint(rpc: &solana_rpc_client::rpc_client::RpcClient, file: &Option<String>, buffer: &Pubkey) -> String {
    let exists = rpc.get_account_with_commitment(buffer, rpc.commitment()).is_ok_and(|r| r.value.is_some());
    match file {
        Some(file) if exists => format!(
            " (resume with --buffer-keypair {file}, or reclaim its rent: margin program close-buffer --buffer {buffer})"
        ),
        Some(file) => {
            let _ = std::fs::remove_file(file);
            String::new()
        }
        None => String::new(),
    }
}

#[derive(Serialize, Debug)]
struct ShowJson {
    program: String,
    program_data: String,
    slot: u64,
    upgrade_authority: Option<String>,
    max_len: usize,
}

#[derive(Serialize, Debug)]
struct VerifyJson {
    program: String,
    bytes: usize,
    sha256: String,
}

pub fn run(ctx: &Context, command: ProgramCommand) -> Result<(), CliError> {
    if !matches!(command, ProgramCommand::Show | ProgramCommand::Verify(_)) {
        ctx.text_only("this program command")?;
    }
    let url = ctx.url()?;
    // Only the commands that send need the keypair.
    let payer = || ctx.keypair();
    let rpc = ctx.chain()?.client;
    let program_id = ctx.program().id;
    let mut log = |line: &str| println!("{line}");
    match command {
        ProgramCommand::Deploy(args) => {
            let payer = payer()?;
            let elf = read_elf(&args.so)?;
            let program = read_keypair(&args.program_keypair)?;
            if let Some(id) = ctx.global.program_id.filter(|id| *id != program.pubkey()) {
                return Err(format!(
                    "--program-id {id} is not the address of --program-keypair ({})",
                    program.pubkey()
                ));
            }
            let max_len = args.max_len.unwrap_or(elf.len() * 2);
            let (buffer, file) = buffer(&args.buffer, &args.so)?;
            deploy::deploy(&rpc, &payer, &program, &buffer, &elf, max_len, &mut log)
                .map_err(|e| format!("{e}{}", resume_hint(&rpc, &file, &buffer.pubkey())))?;
            file.map(std::fs::remove_file);
            Ok(())
        }
        ProgramCommand::Upgrade(args) => {
            let payer = payer()?;
            let elf = read_elf(&args.so)?;
            let (buffer, file) = buffer(&args.buffer, &args.so)?;
            deploy::upgrade(&rpc, &payer, &program_id, &buffer, &elf, &mut log)
                .map_err(|e| format!("{e}{}", resume_hint(&rpc, &file, &buffer.pubkey())))?;
            file.map(std::fs::remove_file);
            Ok(())
        }
        ProgramCommand::SetUpgradeAuthority(args) => {
            let new = if args.make_final { None } else { args.new_authority };
            deploy::set_upgrade_authority(&rpc, &payer()?, &program_id, new.as_ref(), &mut log)
        }
        ProgramCommand::CloseBuffer(args) => {
            let payer = payer()?;
            let recipient = args.recipient.unwrap_or(payer.pubkey());
            deploy::close_buffer(&rpc, &payer, &args.buffer, &recipient, &mut log)
        }
        ProgramCommand::Verify(args) => {
            let elf = read_elf(&args.so)?;
            let bytes = deploy::verify(&rpc, &program_id, &elf)?;
            let sha256 = hex(&solana_sdk::hash::hashv(&[&elf]).to_bytes());
            let json = VerifyJson { program: program_id.to_string(), bytes, sha256 };
            ctx.print(&json, || {
                format!("program {program_id} holds this build: {bytes} bytes, sha256 {}\n", json.sha256)
            })
        }
        ProgramCommand::Show => {
            let info = deploy::program_info(&rpc, &program_id).map_err(|e| format!("{e} (on {url})"))?;
            let json = ShowJson {
                program: program_id.to_string(),
                program_data: info.program_data.to_string(),
                slot: info.slot,
                upgrade_authority: info.upgrade_authority.map(|a| a.to_string()),
                max_len: info.max_len,
            };
            ctx.print(&json, || {
                let authority = json.upgrade_authority.clone().unwrap_or_else(|| "none (immutable)".into());
                format!(
                    "program {program_id}: data {}, last deployed in slot {}, upgrade authority {authority}, room for {} bytes\n",
                    json.program_data, json.slot, json.max_len
                )
            })
        }
    }
}
