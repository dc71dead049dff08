//! Program entrypoint and the one dispatch table.

use borsh::BorshDeserialize;
use margin_interface::{error::MarginError, instruction::MarginInstruction};
use pinocchio::{error::ProgramError, AccountView, Address, ProgramResult};

use crate::processor;

pinocchio::program_entrypoint!(process_instruction);
// A bump allocator: the program itself never allocates, but borsh builds an error
// message when instruction data does not decode.
pinocchio::default_allocator!();
pinocchio::nostd_panic_handler!();

/// Decodes the instruction and runs its processor.
pub fn process_instruction(program_id: &Address, accounts: &mut [AccountView], data: &[u8]) -> ProgramResult {
    let instruction =
        MarginInstruction::try_from_slice(data).map_err(|_| ProgramError::from(MarginError::InvalidInstruction))?;
    match instruction {
        // 0
        MarginInstruction::InitGroup { seed, fee_destination, bump, config_delay_secs } => {
            processor::init_group::process(program_id, accounts, seed, fee_destination, bump, config_delay_secs)
        }
        // 1
        MarginInstruction::CreatePool { config, bumps } => {
            processor::create_pool::process(program_id, accounts, &config, bumps)
        }
        // 2
        MarginInstruction::UpdatePoolConfig { config, pending_bump } => {
            processor::update_pool_config::process(program_id, accounts, &config, pending_bump)
        }
        // 3
        MarginInstruction::SetPoolStatus { status } => {
            processor::set_pool_status::process(program_id, accounts, status)
        }
        // 4
        MarginInstruction::ProposeAdmin { new_admin } => {
            processor::transfer_admin::propose(program_id, accounts, new_admin)
        }
        // 5
        MarginInstruction::AcceptAdmin => processor::transfer_admin::accept(program_id, accounts),
        // 6
        MarginInstruction::OpenMarginAccount { index, kind, bump } => {
            processor::open_margin_account::process(program_id, accounts, index, kind, bump)
        }
        // 7
        MarginInstruction::CloseMarginAccount => processor::close_margin_account::process(program_id, accounts),
        // 8
        MarginInstruction::Deposit { amount } => processor::deposit::process(program_id, accounts, amount),
        // 9
        MarginInstruction::Withdraw { amount, all } => processor::withdraw::process(program_id, accounts, amount, all),
        // 10
        MarginInstruction::AccrueInterest => processor::accrue_interest::process(program_id, accounts),
        // 11
        MarginInstruction::CollectFees => processor::collect_fees::process(program_id, accounts),
        // 12
        MarginInstruction::SetGroupPause { paused } => {
            processor::set_group_pause::process(program_id, accounts, paused)
        }
        // 13
        MarginInstruction::Borrow { amount } => processor::borrow::process(program_id, accounts, amount),
        // 14
        MarginInstruction::Repay { amount, all } => processor::repay::process(program_id, accounts, amount, all),
        // 15
        MarginInstruction::TransferCollateral { amount, all } => {
            processor::transfer_collateral::process(program_id, accounts, amount, all)
        }
        // 16
        MarginInstruction::Health => processor::health::process(program_id, accounts),
        // 17
        MarginInstruction::Liquidate { max_repay } => processor::liquidate::process(program_id, accounts, max_repay),
        // 18
        MarginInstruction::ResolveBadDebt => processor::resolve_bad_debt::process(program_id, accounts),
        // 19
        MarginInstruction::ApplyPoolConfig => processor::apply_pool_config::process(program_id, accounts),
        // 20
        MarginInstruction::SetProtection { protection } => {
            processor::set_protection::process(program_id, accounts, &protection)
        }
        // 21
        MarginInstruction::Deleverage { max_repay } => processor::deleverage::process(program_id, accounts, max_repay),
        // 22
        MarginInstruction::FlashBegin { end_index } => processor::flash_begin::process(program_id, accounts, end_index),
        // 23
        MarginInstruction::FlashEnd => processor::flash_end::process(program_id, accounts),
    }
}
