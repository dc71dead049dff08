//! Transaction assembly: legacy when it fits, v0 with an address lookup table when
//! a cross account's health accounts make it too big (a legacy borrow fits up to
//! 10 positions, a liquidation up to 12), plus the lookup table program's
//! instructions and account layout, and the two limits a cluster enforces before
//! running anything: the packet size and the account-lock count.

use crate::sdk::{
    hash::Hash,
    instruction::{AccountMeta, Instruction},
    message::{v0, AddressLookupTableAccount, Message, VersionedMessage},
    pubkey::Pubkey,
    signer::Signer,
    transaction::{Transaction, VersionedTransaction},
};

use crate::errors::ClientError;

/// Largest serialized transaction a cluster accepts (`PACKET_DATA_SIZE`: the RPC's
/// `sendTransaction` and the TPU drop anything longer).
pub const PACKET_LIMIT: usize = 1232;

/// Accounts one transaction may lock without `increase_tx_account_lock_limit`
/// (`9LZdXeKG...`), which is not active on mainnet-beta: 64 there.
pub const ACCOUNT_LOCK_LIMIT: usize = 64;

/// Accounts one transaction may lock once `increase_tx_account_lock_limit` is active.
pub const ACCOUNT_LOCK_LIMIT_INCREASED: usize = 128;

/// Most addresses one lookup table holds.
pub const LOOKUP_TABLE_CAPACITY: usize = 256;

/// Addresses one `extend` instruction adds, so that it fits a legacy transaction
/// with a fee payer distinct from the authority (30 x 32 bytes plus headers is
/// about 1,200 bytes; 20 leaves room).
pub const LOOKUP_TABLE_EXTEND_CHUNK: usize = 20;

/// The address lookup table program.
pub fn lookup_table_program_id() -> Pubkey {
    solana_pubkey::pubkey!("AddressLookupTab1e1111111111111111111111111")
}

/// Wire size of a signed transaction: the signatures (short-vec count and 64
/// bytes each) plus the serialized message (with its version prefix for v0).
pub fn serialized_size(tx: &VersionedTransaction) -> usize {
    short_vec_len(tx.signatures.len()) + 64 * tx.signatures.len() + tx.message.serialize().len()
}

/// Accounts a transaction locks: its static keys plus every address it loads
/// from lookup tables (what the runtime counts against the account-lock limit).
pub fn locked_accounts(tx: &VersionedTransaction) -> usize {
    let loaded: usize = tx
        .message
        .address_table_lookups()
        .map(|lookups| lookups.iter().map(|l| l.writable_indexes.len() + l.readonly_indexes.len()).sum())
        .unwrap_or(0);
    tx.message.static_account_keys().len() + loaded
}

/// The lookup tables a v0 transaction reads (none for legacy).
pub fn tables_used(tx: &VersionedTransaction) -> Vec<Pubkey> {
    tx.message.address_table_lookups().map(|l| l.iter().map(|l| l.account_key).collect()).unwrap_or_default()
}

fn short_vec_len(n: usize) -> usize {
    match n {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        _ => 3,
    }
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
/// Fails with [`ClientError::MissingSigner`] when the message needs a signature
/// no given signer makes, [`ClientError::Compile`] when the v0 message cannot be
/// compiled, [`ClientError::Signing`] when a signer fails.
pub fn assemble(
    payer: &dyn Signer,
    instructions: &[Instruction],
    signers: &[&dyn Signer],
    tables: &[AddressLookupTableAccount],
    blockhash: Hash,
) -> Result<VersionedTransaction, ClientError> {
    let mut all: Vec<&dyn Signer> = vec![payer];
    all.extend(signers.iter().copied().filter(|k| k.pubkey() != payer.pubkey()));
    if tables.is_empty() || legacy_size(&payer.pubkey(), instructions) <= PACKET_LIMIT {
        let mut tx = Transaction::new_with_payer(instructions, Some(&payer.pubkey()));
        let required = tx.message.account_keys[..tx.message.header.num_required_signatures as usize].to_vec();
        tx.try_sign(&needed(&required, all)?, blockhash)?;
        return Ok(tx.into());
    }
    let message = v0::Message::try_compile(&payer.pubkey(), instructions, tables, blockhash)?;
    let required = message.account_keys[..message.header.num_required_signatures as usize].to_vec();
    Ok(VersionedTransaction::try_new(VersionedMessage::V0(message), &needed(&required, all)?)?)
}

/// The signers among `all` whose keys `required` lists; every required key
/// must have one.
fn needed<'a>(required: &[Pubkey], all: Vec<&'a dyn Signer>) -> Result<Vec<&'a dyn Signer>, ClientError> {
    if let Some(missing) = required.iter().find(|key| !all.iter().any(|k| k.pubkey() == **key)) {
        return Err(ClientError::MissingSigner(*missing));
    }
    Ok(all.into_iter().filter(|k| required.contains(&k.pubkey())).collect())
}

/// The lookup table `authority` creates with `recent_slot` (a slot in the
/// cluster's `SlotHashes`, i.e. one of the last 512): its address and bump.
pub fn lookup_table_address(authority: &Pubkey, recent_slot: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[authority.as_ref(), &recent_slot.to_le_bytes()], &lookup_table_program_id())
}

/// `CreateLookupTable` (the lookup table program's instruction 0): `payer` funds
/// the rent, `authority` need not sign (relaxed on every cluster). Returns the
/// instruction and the table's address.
pub fn create_lookup_table(authority: &Pubkey, payer: &Pubkey, recent_slot: u64) -> (Instruction, Pubkey) {
    let (table, bump) = lookup_table_address(authority, recent_slot);
    let mut data = 0u32.to_le_bytes().to_vec();
    data.extend_from_slice(&recent_slot.to_le_bytes());
    data.push(bump);
    let accounts = vec![
        AccountMeta::new(table, false),
        AccountMeta::new_readonly(*authority, false),
        AccountMeta::new(*payer, true),
        AccountMeta::new_readonly(crate::system_program_id(), false),
    ];
    (Instruction { program_id: lookup_table_program_id(), accounts, data }, table)
}

/// `ExtendLookupTable` (instruction 2): appends `addresses`; `payer` tops up the
/// rent. The new entries are usable from the next slot on.
pub fn extend_lookup_table(table: &Pubkey, authority: &Pubkey, payer: &Pubkey, addresses: &[Pubkey]) -> Instruction {
    let mut data = 2u32.to_le_bytes().to_vec();
    data.extend_from_slice(&(addresses.len() as u64).to_le_bytes());
    for address in addresses {
        data.extend_from_slice(address.as_ref());
    }
    let accounts = vec![
        AccountMeta::new(*table, false),
        AccountMeta::new_readonly(*authority, true),
        AccountMeta::new(*payer, true),
        AccountMeta::new_readonly(crate::system_program_id(), false),
    ];
    Instruction { program_id: lookup_table_program_id(), accounts, data }
}

/// A lookup table's addresses from its account data (the layout
/// [`lookup_table_data`] writes) and its authority (`None` once frozen); `None`
/// when the data is not a table or the table is being deactivated.
pub fn decode_lookup_table(data: &[u8]) -> Option<(Option<Pubkey>, Vec<Pubkey>)> {
    if data.len() < 56 || data[..4] != 1u32.to_le_bytes() || data[4..12] != u64::MAX.to_le_bytes() {
        return None;
    }
    let authority = (data[21] == 1).then(|| Pubkey::new_from_array(data[22..54].try_into().expect("32 bytes")));
    let addresses = data[56..].chunks_exact(32).map(|c| Pubkey::new_from_array(c.try_into().expect("32"))).collect();
    Some((authority, addresses))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{errors::ClientError, MarginProgram};
    use solana_sdk::signature::{Keypair, Signer as _};

    #[test]
    fn assemble_names_the_signer_it_lacks_and_signs_with_the_rest() {
        let (payer, owner) = (Keypair::new(), Keypair::new());
        let program = MarginProgram { id: Pubkey::new_unique() };
        let keys = program.pool_keys(&Pubkey::new_unique(), &Pubkey::new_unique(), &crate::spl_token_id());
        let margin = program.margin_account(&keys.group, &owner.pubkey(), 0);
        let deposit = program.deposit(&owner.pubkey(), &margin, &keys, &Pubkey::new_unique(), 1);
        let lacking = assemble(&payer, std::slice::from_ref(&deposit), &[], &[], Hash::default());
        assert_eq!(lacking.unwrap_err(), ClientError::MissingSigner(owner.pubkey()));
        let tx = assemble(&payer, &[deposit], &[&owner], &[], Hash::default()).expect("both signers");
        assert_eq!(tx.signatures.len(), 2);
        assert!(tx.verify_with_results().iter().all(|ok| *ok));
    }
}
