//! Transaction assembly: legacy when it fits, v0 with an address lookup table when
//! a cross account's health accounts make it too big (a legacy borrow fits up to
//! 10 positions).

use crate::sdk::{
    hash::Hash,
    instruction::Instruction,
    message::{v0, AddressLookupTableAccount, Message, VersionedMessage},
    pubkey::Pubkey,
    signer::Signer,
    transaction::{Transaction, VersionedTransaction},
};

/// Largest serialized transaction a cluster accepts.
pub const PACKET_LIMIT: usize = 1232;

/// The address lookup table program.
pub fn lookup_table_program_id() -> Pubkey {
    solana_pubkey::pubkey!("AddressLookupTab1e1111111111111111111111111")
}

/// Serialized size of a legacy transaction for `instructions` paid by `payer`.
pub fn legacy_size(payer: &Pubkey, instructions: &[Instruction]) -> usize {
    let message = Message::new(instructions, Some(payer));
    let signatures = message.header.num_required_signatures as usize;
    1 + 64 * signatures + message.serialize().len()
}

/// A signed transaction: legacy if it fits the packet limit, otherwise v0 using
/// `tables` (which must hold the accounts that do not fit). Any signer works (a
/// keypair, a wallet adapter's signer); each is used only if the message needs it.
pub fn assemble(
    payer: &dyn Signer,
    instructions: &[Instruction],
    signers: &[&dyn Signer],
    tables: &[AddressLookupTableAccount],
    blockhash: Hash,
) -> Result<VersionedTransaction, String> {
    let mut all: Vec<&dyn Signer> = vec![payer];
    all.extend(signers.iter().copied().filter(|k| k.pubkey() != payer.pubkey()));
    if tables.is_empty() || legacy_size(&payer.pubkey(), instructions) <= PACKET_LIMIT {
        let mut tx = Transaction::new_with_payer(instructions, Some(&payer.pubkey()));
        let required = tx.message.account_keys[..tx.message.header.num_required_signatures as usize].to_vec();
        tx.try_sign(&needed(&required, all), blockhash).map_err(|e| e.to_string())?;
        return Ok(tx.into());
    }
    let message =
        v0::Message::try_compile(&payer.pubkey(), instructions, tables, blockhash).map_err(|e| e.to_string())?;
    let required = message.account_keys[..message.header.num_required_signatures as usize].to_vec();
    VersionedTransaction::try_new(VersionedMessage::V0(message), &needed(&required, all)).map_err(|e| e.to_string())
}

/// The signers among `all` whose keys `required` lists.
fn needed<'a>(required: &[Pubkey], all: Vec<&'a dyn Signer>) -> Vec<&'a dyn Signer> {
    all.into_iter().filter(|k| required.contains(&k.pubkey())).collect()
}

/// Account data of an active lookup table holding `addresses` (the lookup table
/// program's layout: a 56-byte header, then the addresses), for local setups and
/// the embedded SVM. On a cluster, create and extend tables with the lookup table
/// program's instructions instead.
pub fn lookup_table_data(authority: &Pubkey, addresses: &[Pubkey]) -> Vec<u8> {
    let mut data = Vec::with_capacity(56 + 32 * addresses.len());
    data.extend_from_slice(&1u32.to_le_bytes()); // ProgramState::LookupTable
    data.extend_from_slice(&u64::MAX.to_le_bytes()); // deactivation slot: active
    data.extend_from_slice(&0u64.to_le_bytes()); // last extended slot
    data.push(0); // last extended start index
    data.push(1); // authority: Some
    data.extend_from_slice(authority.as_ref());
    data.extend_from_slice(&[0, 0]); // padding
    for address in addresses {
        data.extend_from_slice(address.as_ref());
    }
    data
}
