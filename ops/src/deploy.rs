//! Deploying and upgrading the program through the upgradeable BPF loader
//! (loader v3), as `solana program deploy` does: the ELF goes into a buffer
//! account in chunks that each fit a packet, then is deployed (with room to
//! grow for upgrades) or swapped in by an upgrade. Resumable: a chunk that fails
//! is retried, and writing into a buffer that already holds part of the ELF
//! rewrites only the chunks that differ; a buffer can also be closed to reclaim
//! its rent.

use solana_loader_v3_interface::{get_program_data_address, instruction as loader, state::UpgradeableLoaderState};
use solana_rpc_client::rpc_client::RpcClient;
use solana_sdk::{
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::Transaction,
};

use margin_client::transaction::{legacy_size, PACKET_LIMIT};

/// The upgradeable BPF loader.
pub fn loader_id() -> Pubkey {
    solana_sdk_ids::bpf_loader_upgradeable::id()
}

/// What went wrong, in one line.
pub type DeployError = String;

/// What a deploy or an upgrade did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Chunks the ELF took.
    pub chunks: usize,
    /// Chunks actually sent (fewer when resuming a partly written buffer).
    pub sent: usize,
}

/// A deployed program as the loader holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramInfo {
    /// The program data account.
    pub program_data: Pubkey,
    /// Slot of the last deploy or upgrade.
    pub slot: u64,
    /// Who may upgrade it; `None` once immutable.
    pub upgrade_authority: Option<Pubkey>,
    /// Bytes the program data holds for the ELF (the most an upgrade may use
    /// without extending it).
    pub max_len: usize,
}

fn send(
    rpc: &RpcClient,
    payer: &Keypair,
    instructions: &[Instruction],
    signers: &[&Keypair],
) -> Result<(), DeployError> {
    let mut last = String::new();
    // A failed send is retried with a fresh blockhash (what a dropped packet or an
    // expired blockhash needs); a transaction the cluster ran and refused is not.
    for _ in 0..3 {
        let blockhash = rpc.get_latest_blockhash().map_err(|e| format!("cannot reach the cluster: {e}"))?;
        let mut all: Vec<&Keypair> = vec![payer];
        all.extend(signers.iter().copied().filter(|k| k.pubkey() != payer.pubkey()));
        let tx = Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &all, blockhash);
        match rpc.send_and_confirm_transaction(&tx) {
            Ok(_) => return Ok(()),
            Err(error) if error.get_transaction_error().is_some() => return Err(error.to_string()),
            Err(error) => last = error.to_string(),
        }
    }
    Err(last)
}

/// Largest ELF chunk one `Write` transaction (paid and signed by the buffer
/// authority) carries within the packet limit.
pub fn chunk_len(authority: &Pubkey) -> usize {
    let buffer = Pubkey::new_unique();
    (1..PACKET_LIMIT)
        .rev()
        .find(|&len| legacy_size(authority, &[loader::write(&buffer, authority, 0, vec![0; len])]) <= PACKET_LIMIT)
        .unwrap_or(1)
}

/// Writes `elf` into the buffer `buffer` (created and funded by `payer`, who is
/// its authority, when missing). An existing buffer of `payer` sized for `elf`
/// is resumed: only chunks whose bytes differ are written.
pub fn write_buffer(
    rpc: &RpcClient,
    payer: &Keypair,
    buffer: &Keypair,
    elf: &[u8],
    log: &mut dyn FnMut(&str),
) -> Result<Written, DeployError> {
    let address = buffer.pubkey();
    let size = UpgradeableLoaderState::size_of_buffer(elf.len());
    let existing = rpc.get_account_with_commitment(&address, rpc.commitment()).map_err(|e| e.to_string())?.value;
    let held = match existing {
        None => {
            let lamports = rpc.get_minimum_balance_for_rent_exemption(size).map_err(|e| e.to_string())?;
            let create = loader::create_buffer(&payer.pubkey(), &address, &payer.pubkey(), lamports, elf.len())
                .map_err(|e| e.to_string())?;
            send(rpc, payer, &create, &[buffer])?;
            log(&format!("program: created buffer {address} ({size} bytes)"));
            vec![0; size]
        }
        Some(account) => {
            let ours = account.owner == loader_id()
                && account.data.len() == size
                && account.data.get(..37).is_some_and(|head| {
                    // Buffer { authority: Some(payer) }: tag 1, option tag 1, key.
                    head[..4] == [1, 0, 0, 0] && head[4] == 1 && head[5..37] == payer.pubkey().to_bytes()
                });
            if !ours {
                return Err(format!(
                    "buffer {address} exists but is not a {size}-byte buffer of {}: close it (margin program close-buffer) or use another buffer keypair",
                    payer.pubkey()
                ));
            }
            log(&format!("program: resuming buffer {address}"));
            account.data
        }
    };
    let chunk = chunk_len(&payer.pubkey());
    let metadata = UpgradeableLoaderState::size_of_buffer_metadata();
    let writes: Vec<Instruction> = elf
        .chunks(chunk)
        .enumerate()
        .filter(|(index, bytes)| {
            let offset = metadata + index * chunk;
            held[offset..offset + bytes.len()] != **bytes
        })
        .map(|(index, bytes)| loader::write(&address, &payer.pubkey(), (index * chunk) as u32, bytes.to_vec()))
        .collect();
    let (chunks, sent) = (elf.len().div_ceil(chunk), writes.len());
    send_all(rpc, payer, writes)?;
    log(&format!("program: wrote {sent} of {chunks} chunks of {chunk} bytes"));
    Ok(Written { chunks, sent })
}

/// Sends one transaction per instruction without waiting for each (chunk writes
/// are independent), then confirms them all; what did not land within its
/// blockhash's life is sent again (three rounds), what the cluster refused is an
/// error.
fn send_all(rpc: &RpcClient, payer: &Keypair, mut pending: Vec<Instruction>) -> Result<(), DeployError> {
    use solana_rpc_client_types::config::RpcSendTransactionConfig;
    let config = RpcSendTransactionConfig { skip_preflight: true, ..RpcSendTransactionConfig::default() };
    for _ in 0..3 {
        if pending.is_empty() {
            return Ok(());
        }
        let blockhash = rpc.get_latest_blockhash().map_err(|e| format!("cannot reach the cluster: {e}"))?;
        let mut signatures = Vec::with_capacity(pending.len());
        for ix in &pending {
            let tx = Transaction::new_signed_with_payer(
                std::slice::from_ref(ix),
                Some(&payer.pubkey()),
                &[payer],
                blockhash,
            );
            // A send the node drops is caught by the status check below.
            signatures.push(rpc.send_transaction_with_config(&tx, config).unwrap_or(tx.signatures[0]));
        }
        let mut landed = vec![false; pending.len()];
        // About a blockhash's life (150 slots) of polling.
        for _ in 0..150 {
            let open: Vec<usize> = (0..pending.len()).filter(|&i| !landed[i]).collect();
            if open.is_empty() {
                break;
            }
            for batch in open.chunks(256) {
                let asked: Vec<_> = batch.iter().map(|&i| signatures[i]).collect();
                let statuses = rpc.get_signature_statuses(&asked).map_err(|e| e.to_string())?.value;
                for (&i, status) in batch.iter().zip(statuses) {
                    match status {
                        Some(status) if status.err.is_some() => {
                            return Err(format!("a chunk write was refused: {:?}", status.err));
                        }
                        Some(status) if status.satisfies_commitment(rpc.commitment()) => landed[i] = true,
                        _ => {}
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(400));
        }
        pending = pending.into_iter().zip(landed).filter(|(_, done)| !done).map(|(ix, _)| ix).collect();
    }
    if pending.is_empty() {
        Ok(())
    } else {
        Err(format!("{} chunk writes did not land after three rounds", pending.len()))
    }
}

/// Deploys `elf` at the address of `program` (a new keypair), with `payer` as
/// upgrade authority and room for an ELF of `max_len` bytes.
pub fn deploy(
    rpc: &RpcClient,
    payer: &Keypair,
    program: &Keypair,
    buffer: &Keypair,
    elf: &[u8],
    max_len: usize,
    log: &mut dyn FnMut(&str),
) -> Result<Written, DeployError> {
    if rpc.get_account_with_commitment(&program.pubkey(), rpc.commitment()).map_err(|e| e.to_string())?.value.is_some()
    {
        return Err(format!("{} already exists: use `margin program upgrade`", program.pubkey()));
    }
    let written = write_buffer(rpc, payer, buffer, elf, log)?;
    let lamports = rpc
        .get_minimum_balance_for_rent_exemption(UpgradeableLoaderState::size_of_program())
        .map_err(|e| e.to_string())?;
    let instructions = loader::deploy_with_max_program_len(
        &payer.pubkey(),
        &program.pubkey(),
        &buffer.pubkey(),
        &payer.pubkey(),
        lamports,
        max_len.max(elf.len()),
    )
    .map_err(|e| e.to_string())?;
    send(rpc, payer, &instructions, &[program])?;
    log(&format!("program: deployed {} ({} bytes, room for {max_len})", program.pubkey(), elf.len()));
    Ok(written)
}

/// Upgrades `program_id` (whose upgrade authority is `authority`, also the
/// payer) to `elf` through `buffer`, first extending the program data if `elf`
/// is larger than it holds. The buffer's rent goes back to `authority`.
pub fn upgrade(
    rpc: &RpcClient,
    authority: &Keypair,
    program_id: &Pubkey,
    buffer: &Keypair,
    elf: &[u8],
    log: &mut dyn FnMut(&str),
) -> Result<Written, DeployError> {
    let info = program_info(rpc, program_id)?;
    if info.upgrade_authority != Some(authority.pubkey()) {
        return Err(match info.upgrade_authority {
            None => format!("{program_id} is immutable (no upgrade authority)"),
            Some(other) => format!("{program_id}'s upgrade authority is {other}, not {}", authority.pubkey()),
        });
    }
    let written = write_buffer(rpc, authority, buffer, elf, log)?;
    if elf.len() > info.max_len {
        let more = u32::try_from(elf.len() - info.max_len).map_err(|e| e.to_string())?;
        send(rpc, authority, &[loader::extend_program(program_id, Some(&authority.pubkey()), more)], &[])?;
        log(&format!("program: extended {program_id} by {more} bytes"));
    }
    let upgrade = loader::upgrade(program_id, &buffer.pubkey(), &authority.pubkey(), &authority.pubkey());
    send(rpc, authority, &[upgrade], &[])?;
    log(&format!("program: upgraded {program_id} ({} bytes)", elf.len()));
    Ok(written)
}

/// Hands `program_id`'s upgrade authority to `new`, or (None) makes it immutable.
pub fn set_upgrade_authority(
    rpc: &RpcClient,
    authority: &Keypair,
    program_id: &Pubkey,
    new: Option<&Pubkey>,
    log: &mut dyn FnMut(&str),
) -> Result<(), DeployError> {
    let program_data = get_program_data_address(program_id);
    let ix = loader::set_upgrade_authority(program_id, &authority.pubkey(), new);
    send(rpc, authority, &[ix], &[])?;
    match new {
        Some(new) => log(&format!("program: {program_id} ({program_data}) is now upgradeable by {new}")),
        None => log(&format!("program: {program_id} is now immutable")),
    }
    Ok(())
}

/// Closes a buffer of `authority` (a half-written one, say), returning its
/// rent to `recipient`.
pub fn close_buffer(
    rpc: &RpcClient,
    authority: &Keypair,
    buffer: &Pubkey,
    recipient: &Pubkey,
    log: &mut dyn FnMut(&str),
) -> Result<(), DeployError> {
    send(rpc, authority, &[loader::close(buffer, recipient, &authority.pubkey())], &[])?;
    log(&format!("program: closed buffer {buffer}, rent to {recipient}"));
    Ok(())
}

/// The program data of `program_id`: last deploy slot, upgrade authority, room.
pub fn program_info(rpc: &RpcClient, program_id: &Pubkey) -> Result<ProgramInfo, DeployError> {
    let program_data = get_program_data_address(program_id);
    let account = rpc
        .get_account_with_commitment(&program_data, rpc.commitment())
        .map_err(|e| e.to_string())?
        .value
        .ok_or_else(|| format!("{program_id} is not a program of the upgradeable loader"))?;
    let metadata = UpgradeableLoaderState::size_of_programdata_metadata();
    let data = &account.data;
    // ProgramData { slot: u64, upgrade_authority_address: Option<Pubkey> }: tag 3.
    if account.owner != loader_id() || data.len() < metadata || data[..4] != [3, 0, 0, 0] {
        return Err(format!("{program_data} is not program data"));
    }
    let slot = u64::from_le_bytes(data[4..12].try_into().expect("8 bytes"));
    let upgrade_authority = (data[12] == 1).then(|| Pubkey::try_from(&data[13..45]).expect("32 bytes"));
    Ok(ProgramInfo { program_data, slot, upgrade_authority, max_len: data.len() - metadata })
}

/// Whether the program deployed at `program_id` is exactly `elf`: its program
/// data holds the ELF's bytes and zeros after them (the room left for
/// upgrades). Returns the number of bytes compared.
pub fn verify(rpc: &RpcClient, program_id: &Pubkey, elf: &[u8]) -> Result<usize, DeployError> {
    let info = program_info(rpc, program_id)?;
    let account = rpc
        .get_account_with_commitment(&info.program_data, rpc.commitment())
        .map_err(|e| e.to_string())?
        .value
        .ok_or_else(|| format!("{} vanished", info.program_data))?;
    let deployed = &account.data[UpgradeableLoaderState::size_of_programdata_metadata()..];
    if deployed.len() < elf.len() || deployed[..elf.len()] != *elf || deployed[elf.len()..].iter().any(|b| *b != 0) {
        return Err(format!("{program_id} does not hold this build ({} bytes compared)", elf.len()));
    }
    Ok(elf.len())
}
